"""What the /admin pages accept: the invitation, a new role, the team filter and the audit trail filter."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from flask_babel import lazy_gettext as _l
from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from app.accounts.staff import STAFF_ROLES
from app.audit.trail import OBJECT_TYPES
from app.core.schemas import Email, Line, OptionalBlank, Schema

MAX_PAGE = 100_000


def _one_of(choices, message):
    def check(value: Any) -> Any:
        if value is None or value == "":
            return value  # blank: OptionalBlank (or "missing") decides
        if not isinstance(value, str) or value not in choices:
            raise PydanticCustomError("hc_choice", str(message))
        return value
    return BeforeValidator(check)


_ROLE_MESSAGE = _l("Bitte wählen Sie eine Rolle: Agent, Teamleitung, Redaktion oder Admin.")
Role = Annotated[Literal["agent", "lead", "editor", "admin"], _one_of(STAFF_ROLES, _ROLE_MESSAGE)]


class InviteInput(Schema):
    """POST /admin/einladen"""

    email: Email
    name: Line(200) = ""
    role: Role


class RoleInput(Schema):
    """POST /admin/team/<id>/rolle"""

    role: Role


class ConfirmInput(Schema):
    """The member page's buttons (activate, deactivate, reset factors, new link): the CSRF token only."""


class TeamQuery(Schema):
    """GET /admin?rolle=&status=&q="""

    rolle: Annotated[Role | None, OptionalBlank] = None
    status: Annotated[Literal["aktiv", "inaktiv"] | None, OptionalBlank,
                      _one_of(("aktiv", "inaktiv"), _l("Bitte wählen Sie „aktiv“ oder „deaktiviert“."))] = None
    q: Annotated[Line(100) | None, OptionalBlank] = None

    @property
    def active(self) -> bool | None:
        return None if self.status is None else self.status == "aktiv"


# Far-off years would overflow when a day becomes a UTC range; nobody looks for them.
Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2199, 12, 31))]


class TrailQuery(Schema):
    """GET /admin/protokoll and /admin/protokoll.csv: who, what kind, which action and object, from/to (Berlin days)."""

    person: Annotated[Line(254) | None, OptionalBlank] = None
    art: Annotated[Literal[OBJECT_TYPES] | None, OptionalBlank,  # type: ignore[valid-type]
                   _one_of(OBJECT_TYPES, _l("Bitte wählen Sie eine der Arten."))] = None
    aktion: Annotated[Line(60) | None, OptionalBlank] = None
    objekt: Annotated[Line(254) | None, OptionalBlank] = None
    von: Annotated[Day | None, OptionalBlank] = None
    bis: Annotated[Day | None, OptionalBlank] = None
    seite: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 1

    @model_validator(mode="after")
    def _range(self):
        if self.von and self.bis and self.von > self.bis:
            raise PydanticCustomError("hc_range", str(_l("„Bis“ liegt vor „von“. Bitte prüfen Sie den Zeitraum.")))
        return self

    def filters(self) -> dict:
        """The filter as query parameters (for the page links and the CSV link), without the page."""
        values = {"person": self.person, "art": self.art, "aktion": self.aktion, "objekt": self.objekt,
                  "von": self.von.isoformat() if self.von else None, "bis": self.bis.isoformat() if self.bis else None}
        return {name: value for name, value in values.items() if value}
