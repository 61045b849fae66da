"""TOML configuration files (routing, returns policy) parsed by pydantic models, checked once at start.

A refusal names the table, the rule and the key ("rules[2].channels[0]: unknown channel 'fax'") so
that an operator finds the line; the app does not start with a file it cannot keep its promises by.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from app.config import ConfigError

M = TypeVar("M", bound=BaseModel)


class ConfigSection(BaseModel):
    """A table of a configuration file: a misspelt key is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True)


def config_problem(message: str) -> PydanticCustomError:
    """A refusal with a message written for operators (shown as it is, after the place)."""
    return PydanticCustomError("hc_config", message)


def says(message: str) -> WrapValidator:
    """Word any refusal of a setting as one message for operators."""
    def wrap(value, handler):
        try:
            return handler(value)
        except ValidationError:
            raise config_problem(message) from None
    return WrapValidator(wrap)


def _place(location) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind.startswith("hc_"):
        return error["msg"]
    messages = {
        "missing": "is missing",
        "extra_forbidden": "is not a known setting",
        "int_type": "must be a whole number", "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "float_type": "must be a number", "float_parsing": "must be a number",
        "finite_number": "must be a finite number",
        "bool_type": "must be true or false", "bool_parsing": "must be true or false",
        "string_type": "must be text", "string_too_short": "must not be empty",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters",
        "list_type": "must be a list", "dict_type": "must be a table", "model_type": "must be a table",
        "greater_than_equal": f"must be at least {ctx.get('ge')}", "greater_than": f"must be more than {ctx.get('gt')}",
        "less_than_equal": f"must be at most {ctx.get('le')}", "less_than": f"must be less than {ctx.get('lt')}",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "too_short": f"needs at least {ctx.get('min_length')} entries",
    }
    return messages.get(kind, "is not valid")


def describe(exc: ValidationError) -> str:
    """The first problem of a configuration file as "place: message"."""
    error = exc.errors(include_url=False)[0]
    place = _place(error["loc"])
    return f"{place}: {_message(error)}" if place else _message(error)


def parse_config(model: type[M], text: str, source: str, error: type[ConfigError] = ConfigError) -> M:
    """TOML text through model; error(...) with the source and the place of the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{source}: {describe(exc)}") from None


def read_config(model: type[M], path: Path, error: type[ConfigError] = ConfigError) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from None
    return parse_config(model, text, str(path), error)
