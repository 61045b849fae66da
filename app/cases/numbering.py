"""Case numbers like NL-2026-000123: unique and gapless per year, also under concurrent submits."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.cases.models import CaseSequence
from app.extensions import db

PREFIX = "NL"


def next_case_number(year: int) -> str:
    """Take the next number inside the caller's transaction.

    The increment is one UPDATE that locks the year's row until the case is committed (PostgreSQL:
    row lock; SQLite: the transaction began IMMEDIATE). A rolled-back case gives its number back, so
    numbers stay gapless.
    """
    result = db.session.execute(
        update(CaseSequence).where(CaseSequence.year == year)
        .values(last_value=CaseSequence.last_value + 1).returning(CaseSequence.last_value)
    ).scalar_one_or_none()
    if result is None:
        try:
            with db.session.begin_nested():
                db.session.add(CaseSequence(year=year, last_value=1))
            result = 1
        except IntegrityError:
            # Another transaction created the year's row first; take a number from it.
            result = db.session.execute(
                update(CaseSequence).where(CaseSequence.year == year)
                .values(last_value=CaseSequence.last_value + 1).returning(CaseSequence.last_value)
            ).scalar_one()
    return f"{PREFIX}-{year}-{result:06d}"


def current_value(year: int) -> int:
    return db.session.scalar(select(CaseSequence.last_value).where(CaseSequence.year == year)) or 0
