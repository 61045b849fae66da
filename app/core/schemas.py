"""One schema per input: pydantic models parse JSON bodies, query strings, forms, webhooks and files.

Each feature keeps its models in its own `schemas.py` and parses with `parse_json`, `parse_query`,
`parse_form` or `parse_data`; a refusal is always an `InvalidInput` with one German (or English)
message per field, rendered by the one error handler. The OpenAPI document is generated from the
same models (app/api/openapi.py).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any, Literal, TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.core.emails import InvalidEmail, normalize_email
from app.core.errors import BadRequest, DomainError, InvalidInput

M = TypeVar("M", bound=BaseModel)

INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
INT32_MAX = 2 ** 31 - 1

# C0/C1 controls and DEL. Line breaks and tabs are allowed in multi-line text only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same rules for the OpenAPI document, so that clients (and the fuzzer) know what is refused.
_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
_PARAGRAPHS_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# Bidi overrides and isolates (Trojan Source), zero-width characters.
_BIDI = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Schema(BaseModel):
    """Base of every input model: unknown fields are ignored (never trusted), values are frozen."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True)


def _no_controls_multiline(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_character", "control character")
    return value.replace("\r\n", "\n").replace("\r", "\n")


def _no_controls(value: str) -> str:
    if _CONTROL_SINGLE_LINE.search(value):
        raise PydanticCustomError("control_character", "control character")
    return value


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidEmail as exc:
        raise PydanticCustomError("hc_email", str(exc)) from exc


def _none_if_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def Line(max_length: int = 200, min_length: int = 0):  # noqa: N802 - reads like a type
    """One line of text (names, numbers, codes): no control characters, bounded length."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_controls), Field(json_schema_extra={"pattern": _LINE_PATTERN})]


def Paragraphs(max_length: int = 5000, min_length: int = 0):  # noqa: N802
    """Free text that may span lines (messages, comments): line breaks and tabs kept, other controls refused."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_controls_multiline), Field(json_schema_extra={"pattern": _PARAGRAPHS_PATTERN})]


Email = Annotated[str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email",
                                                               "maxLength": 254})]
OptionalBlank = BeforeValidator(_none_if_blank)
Int64 = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]
Id = Annotated[int, Field(strict=True, ge=1, le=INT32_MAX)]


def clean_filename(name: str | None, fallback: str = "datei") -> str:
    """A file name safe to store and show: no path, no control or bidi characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BIDI.sub("", _CONTROL_SINGLE_LINE.sub("", name)).strip().strip(".")
    name = " ".join(name.split())
    return (name or fallback)[-120:]


# --- parsing -----------------------------------------------------------------------------------

def _message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind.startswith("hc_"):
        # Our own validators word their message for the customer already.
        return error["msg"]
    messages = {
        "missing": _("Bitte ausfüllen."),
        "string_type": _("Muss Text sein."),
        "string_too_short": _("Bitte ausfüllen."),
        "string_too_long": _("Höchstens %(n)s Zeichen.", n=ctx.get("max_length")),
        "control_character": _("Enthält unzulässige Steuerzeichen."),
        "int_type": _("Muss eine ganze Zahl sein."),
        "int_parsing": _("Muss eine ganze Zahl sein."),
        "int_from_float": _("Muss eine ganze Zahl sein."),
        "greater_than_equal": _("Muss mindestens %(n)s sein.", n=ctx.get("ge")),
        "less_than_equal": _("Darf höchstens %(n)s sein.", n=ctx.get("le")),
        "bool_type": _("Muss true oder false sein."),
        "bool_parsing": _("Muss true oder false sein."),
        "list_type": _("Muss eine Liste sein."),
        "too_long": _("Höchstens %(n)s Einträge.", n=ctx.get("max_length")),
        "too_short": _("Mindestens %(n)s Einträge.", n=ctx.get("min_length")),
        "dict_type": _("Muss ein Objekt sein."),
        "model_type": _("Muss ein Objekt sein."),
        "model_attributes_type": _("Muss ein Objekt sein."),
        "literal_error": _("Bitte wählen Sie einen der erlaubten Werte."),
        "enum": _("Bitte wählen Sie einen der erlaubten Werte."),
        "datetime_type": _("Muss eine Zeit nach ISO 8601 sein."),
        "datetime_parsing": _("Muss eine Zeit nach ISO 8601 sein."),
        "datetime_from_date_parsing": _("Muss eine Zeit nach ISO 8601 sein."),
        "date_parsing": _("Muss ein Datum (JJJJ-MM-TT) sein."),
        "date_from_datetime_parsing": _("Muss ein Datum (JJJJ-MM-TT) sein."),
        "value_error": _("Ungültiger Wert."),
    }
    if kind == "value_error" and ctx.get("error") is not None and getattr(ctx["error"], "args", None):
        return str(ctx["error"].args[0])
    return messages.get(kind, _("Ungültiger Wert."))


def field_errors(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    """pydantic's errors as {"items.0.sku": "Muss Text sein."}; the first message per field wins."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        location = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        name = ".".join(location) or "body"
        fields.setdefault(prefix + name, _message(error))
    return fields


def parse_data(model: type[M], data: Any, *, strict: bool | None = None, context: dict | None = None) -> M:
    """Validate data already read (a dict from a webhook, an import record, a TOML table) into model.

    A model may keep the documented error codes of an older endpoint: `error_codes` maps a field
    to its code and `error_status` sets the status (the search API answers 400 `bad_limit`).
    `context` reaches the model's validators (e.g. whether the visitor is signed in).
    """
    try:
        return model.model_validate(data, strict=strict, context=context)
    except ValidationError as exc:
        fields = field_errors(exc)
        codes = getattr(model, "error_codes", None)
        if codes:
            first = exc.errors(include_url=False, include_input=False)[0]
            top = str(first["loc"][0]) if first["loc"] else "body"
            name = next(iter(fields))
            code = codes.get(f"{top}:{first['type']}") or codes.get(top, "invalid_request")
            raise DomainError(fields[name], code=code,
                              status=getattr(model, "error_status", 422), fields=fields, field=top) from None
        raise InvalidInput(fields) from None


def parse_json(model: type[M], context: dict | None = None) -> M:
    """The request's JSON body as model; a body that is not a JSON object is refused with 422."""
    if not request.get_data(cache=True):
        # No body at all: the model decides (an all-optional model accepts it).
        return parse_data(model, {}, context=context)
    body = request.get_json(silent=True)
    if not request.is_json:
        raise InvalidInput({"body": _("Bitte senden Sie ein JSON-Objekt (Content-Type: application/json).")})
    if not isinstance(body, dict):
        raise InvalidInput({"body": _("Bitte senden Sie ein JSON-Objekt.")})
    return parse_data(model, body, context=context)


def multidict_to_dict(data, lists: frozenset[str] | set[str] = frozenset()) -> dict:
    """A query string or form as a plain dict: the first value of each name, all values for `lists`."""
    return {name: (data.getlist(name) if name in lists else data.get(name)) for name in data.keys()}


def _list_fields(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, info in model.model_fields.items():
        origin = getattr(info.annotation, "__origin__", None)
        if origin in (list, tuple, set, frozenset):
            names.add(info.alias or name)
    return names


def parse_query(model: type[M]) -> M:
    """The query string as model (strings are converted to numbers where the model asks)."""
    return parse_data(model, multidict_to_dict(request.args, _list_fields(model)))


def parse_prefill(model: type[M]) -> M:
    """Query parameters that only fill in a page (a link's ?order=, ?topic=, ?sku=): parsed by the model,
    and a value the model refuses is left out, as a page from a mistyped link should still open."""
    data = multidict_to_dict(request.args, _list_fields(model))
    for _attempt in range(len(data) + 1):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors(include_url=False) if error["loc"]}
            if not bad & set(data):
                raise InvalidInput(field_errors(exc)) from None
            data = {name: value for name, value in data.items() if name not in bad}
    return model.model_validate({})


def parse_form(model: type[M], formdata=None, context: dict | None = None) -> M:
    """A form post as model; WTForms only renders the form and checks CSRF."""
    formdata = request.form if formdata is None else formdata
    return parse_data(model, multidict_to_dict(formdata, _list_fields(model)), context=context)


def refuse(message: str, field: str | None = None) -> None:
    """Raise the one 422 for a single field (for checks a schema cannot express)."""
    raise InvalidInput({field: message} if field else None, message=message if not field else None)


__all__ = ["Schema", "Line", "Paragraphs", "Email", "Int64", "Id", "OptionalBlank", "parse_json", "parse_query",
           "parse_prefill", "PrefillQuery",
           "parse_form", "parse_data", "field_errors", "clean_filename", "refuse", "BadRequest", "InvalidInput"]


class PrefillQuery(Schema):
    """Links into a flow carry what to fill in: ?order=, ?topic=, ?article=, ?sku= (several), ?vorlage=, ?sid=
    (and ?pos=), and from a search into the contact form ?frage= (the query, starting the message) and ?kanal=."""

    order: Line(40) | None = None
    topic: Line(60) | None = None
    article: Line(120) | None = None
    sku: list[Line(64)] = []
    vorlage: Line(80) | None = None
    # The search a customer did not find an answer to: the contact form starts the message with it.
    frage: Line(200) | None = None
    # The channel the customer named in the search ("Rückruf", "Chat").
    kanal: Literal["phone", "email", "chat"] | None = None
    # A query string is text: the id is converted (Id itself is strict, for JSON).
    sid: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = None
    # Where the article stood in that search's results (1 = first), for the editors' click statistics.
    pos: Annotated[int, Field(ge=1, le=1000)] | None = None
