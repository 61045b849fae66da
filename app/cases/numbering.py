"""Numbers like NL-2026-000123 (cases) or R-2026-000042 (returns): unique and gapless per year."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.cases.models import CaseSequence
from app.extensions import db

PREFIX = "NL"


def next_number(sequence, prefix: str, year: int) -> str:
    """Take the next number of a per-year sequence table inside the caller's transaction.

    The increment is one UPDATE that locks the year's row until the record is committed (PostgreSQL:
    row lock; SQLite: the transaction began IMMEDIATE). A rolled-back record gives its number back, so
    numbers stay gapless.
    """
    result = db.session.execute(
        update(sequence).where(sequence.year == year)
        .values(last_value=sequence.last_value + 1).returning(sequence.last_value)
    ).scalar_one_or_none()
    if result is None:
        try:
            with db.session.begin_nested():
                db.session.add(sequence(year=year, last_value=1))
            result = 1
        except IntegrityError:
            # Another transaction created the year's row first; take a number from it.
            result = db.session.execute(
                update(sequence).where(sequence.year == year)
                .values(last_value=sequence.last_value + 1).returning(sequence.last_value)
            ).scalar_one()
    return f"{prefix}-{year}-{result:06d}"


def next_case_number(year: int) -> str:
    return next_number(CaseSequence, PREFIX, year)


def current_value(year: int, sequence=CaseSequence) -> int:
    return db.session.scalar(select(sequence.last_value).where(sequence.year == year)) or 0
