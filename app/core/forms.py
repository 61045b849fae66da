"""HTML form posts through their schema: WTForms renders the form and checks CSRF, the schema parses.

`parse_form_into(Model, form)` reads the posted fields into the model; a refusal puts one message
on each field of the WTForms form (so the page shows the form again with it) and returns None.
A field name sent more than once, where one value is expected, is refused like a wrong value —
it would otherwise be a guess which one counts.
"""
from __future__ import annotations

from typing import TypeVar

from flask import request
from flask_babel import gettext as _
from pydantic import BaseModel
from wtforms import Form

from app.core.errors import InvalidInput
from app.core.schemas import _list_fields, parse_data

M = TypeVar("M", bound=BaseModel)

FORM_ERROR_STATUS = 422


def form_dict(model: type[BaseModel], formdata) -> tuple[dict, dict[str, str]]:
    """The posted fields the model knows, and a message for each scalar field sent more than once."""
    lists = _list_fields(model)
    known = {info.alias or name for name, info in model.model_fields.items()}
    data, repeated = {}, {}
    for name in formdata.keys():
        if name not in known:
            continue  # csrf_token, submit buttons, forged extras: never trusted, never an error
        values = formdata.getlist(name)
        if name in lists:
            data[name] = values
        elif len(values) > 1:
            repeated[name] = _("Bitte geben Sie hier nur einen Wert an.")
        else:
            data[name] = values[0]
    return data, repeated


def parse_form_input(model: type[M], formdata=None) -> M:
    """The posted form as model, or InvalidInput with a message per field (repeated fields included)."""
    formdata = request.form if formdata is None else formdata
    data, repeated = form_dict(model, formdata)
    try:
        parsed = parse_data(model, data)
    except InvalidInput as exc:
        raise InvalidInput({**exc.errors, **repeated}) from None
    if repeated:
        raise InvalidInput(repeated)
    return parsed


def show_errors(form: Form, errors: dict[str, str]) -> None:
    """Put each message on its WTForms field; one without a field of its own goes to the form."""
    for name, message in errors.items():
        field = getattr(form, name.split(".")[0], None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [message]
        else:
            form.form_errors.append(message)


def parse_form_into(model: type[M], form: Form, formdata=None) -> M | None:
    """The posted form as model; None after putting the messages on the form's fields."""
    try:
        return parse_form_input(model, formdata)
    except InvalidInput as exc:
        show_errors(form, exc.errors)
        return None
