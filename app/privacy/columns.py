"""Column types for free text a customer or agent writes: card numbers are masked on the way in and out.

`MaskedText` / `MaskedString(n)` keep the database type of Text / String(n) (no migration), and mask
- when a value is assigned to a mapped attribute (so the object in memory matches its row),
- when any statement binds a value for the column (Core insert/update, `.values(...)`, filters),
- when a row is read (rows written before the masking existed are never shown unmasked).
Masking keeps or shortens a text, so a String(n) column never overflows because of it.
"""
from __future__ import annotations

from sqlalchemy import String, Text, event
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator

from app.privacy.redaction import mask_card_numbers


def _mask(value):
    return mask_card_numbers(value) if isinstance(value, str) else value


class MaskedText(TypeDecorator):
    """Text with card numbers masked to first 6 / last 4."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _mask(value)

    def process_result_value(self, value, dialect):
        return _mask(value)


class MaskedString(TypeDecorator):
    """String(n) with card numbers masked to first 6 / last 4."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return _mask(value)

    def process_result_value(self, value, dialect):
        return _mask(value)


def _mask_on_set(_target, value, _oldvalue, _initiator):
    return _mask(value)


@event.listens_for(Mapper, "mapper_configured")
def _mask_attributes(mapper, class_):
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, (MaskedText, MaskedString)) for column in prop.columns):
            attribute = getattr(class_, prop.key)
            if not event.contains(attribute, "set", _mask_on_set):
                event.listen(attribute, "set", _mask_on_set, retval=True)
