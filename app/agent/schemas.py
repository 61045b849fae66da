"""What the agent console's forms, the customer's survey and the agent JSON API accept, and what the API answers."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BeforeValidator, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from app.agent.actions import CALLBACK_OUTCOMES, MAX_TEXT, OUTCOMES
from app.agent.survey import MAX_COMMENT
from app.chat.schemas import MAX_MESSAGE
from app.chat.service import PRESENCE_STATES
from app.core.schemas import Line, Paragraphs, Schema


def _written(message):
    """A text somebody has to write: at least two characters after trimming."""
    def check(value: str) -> str:
        if len(value) < 2:
            raise PydanticCustomError("hc_required", str(message))
        return value
    return AfterValidator(check)


def _one_of(choices, message):
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise PydanticCustomError("hc_choice", str(message))
        return value
    return BeforeValidator(check)


def _one_of_or_none(choices, message):
    """An optional choice: not given (or blank) is None."""
    def check(value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or value not in choices:
            raise PydanticCustomError("hc_choice", str(message))
        return value
    return BeforeValidator(check)


def _one_line_subject(value: Any) -> Any:
    # A line break in a subject would start another mail header: said plainly, like the service does.
    if isinstance(value, str) and any(c in value for c in "\r\n\x00"):
        raise PydanticCustomError("hc_subject", str(_l("Der Betreff muss eine Zeile sein.")))
    return value


Note = Paragraphs(MAX_TEXT)
_NOTE_NEEDED = _l("Bitte schreiben Sie einen Text.")


class ClaimInput(Schema):
    """POST /agent/anfrage/<number>/uebernehmen (nothing but the CSRF token)."""


class NoteInput(Schema):
    """POST /agent/anfrage/<number>/notiz"""

    note: Annotated[Note, _written(_NOTE_NEEDED)] = Field("", validate_default=True)


class ReplyInput(Schema):
    """POST /agent/anfrage/<number>/antwort: an empty subject gets the standard one."""

    subject: Annotated[Line(200), BeforeValidator(_one_line_subject)] = ""
    body: Annotated[Note, _written(_NOTE_NEEDED)] = Field("", validate_default=True)


class CallbackInput(Schema):
    """POST /agent/anfrage/<number>/rueckruf"""

    outcome: Annotated[str, _one_of(CALLBACK_OUTCOMES, _l("Bitte wählen Sie, wie der Rückruf ausging."))] = \
        Field(None, validate_default=True)
    note: Note = ""


class ResolveInput(Schema):
    """POST /agent/anfrage/<number>/erledigen"""

    outcome: Annotated[str, _one_of(OUTCOMES, _l("Bitte wählen Sie ein Ergebnis."))] = \
        Field(None, validate_default=True)
    note: Note = ""


class ReopenInput(Schema):
    """POST /agent/anfrage/<number>/wieder-oeffnen"""

    note: Note = ""


class VerifyInput(Schema):
    """POST /agent/anfrage/<number>/verifizieren: how the agent checked who wrote."""

    note: Note = ""


class ChatLineInput(Schema):
    """POST /agent/anfrage/<number>/chat: one chat line without JavaScript."""

    body: Annotated[Paragraphs(MAX_MESSAGE), _written(_l("Bitte schreiben Sie eine Nachricht."))] = \
        Field("", validate_default=True)


class PresenceInput(Schema):
    """POST /agent/anwesenheit"""

    status: Annotated[str, _one_of(PRESENCE_STATES, _l("Bitte „online“ oder „abwesend“ wählen."))] = \
        Field(None, validate_default=True)


class SurveyInput(Schema):
    """POST /kontakt/umfrage/<token>: a score from 1 to 5, an optional comment and, when the survey asks it
    (HELPCENTER_SURVEY_NPS=on), an optional 0–10 answer to "would you recommend us?"."""

    score: Annotated[int, _one_of(("1", "2", "3", "4", "5"), _l("Bitte wählen Sie eine Note von 1 bis 5."))] = \
        Field(None, validate_default=True)
    comment: Paragraphs(MAX_COMMENT) = ""
    recommend: Annotated[int | None, _one_of_or_none(tuple(str(n) for n in range(11)),
                                         _l("Bitte wählen Sie einen Wert von 0 bis 10."))] = None


# --- the agent JSON API (/api/agent/*) -------------------------------------------------------------------

class CasesQuery(Schema):
    """GET /api/agent/cases?queue=<name>"""

    queue: Line(80) = Field("", description="The queue's name from GET /api/agent/queues")


class ResolveBody(Schema):
    """Resolve a case with its outcome; the customer gets the survey."""

    error_codes: ClassVar[dict[str, str]] = {"outcome": "invalid_outcome"}

    outcome: Literal[tuple(OUTCOMES)] = Field(description="How the case ended")  # type: ignore[valid-type]
    note: Paragraphs(MAX_TEXT) | None = Field(None, description="Internal note on the solution")


class CallbackBody(Schema):
    """'Rückruf erledigt' with how the call went; possible from the slot's start."""

    error_codes: ClassVar[dict[str, str]] = {"outcome": "invalid_outcome"}

    outcome: Literal[tuple(CALLBACK_OUTCOMES)] = Field(description="How the call went")  # type: ignore[valid-type]
    note: Paragraphs(MAX_TEXT) | None = Field(None, description="Internal note on the call")


class PresenceBody(Schema):
    """Online or away: online agents open the chat for customers."""

    error_codes: ClassVar[dict[str, str]] = {"status": "invalid_status"}

    status: Literal["online", "away"]


class SlaState(Schema):
    state: str = Field(description="scheduled (a callback before its slot), due, overdue, met or missed")
    minutes: int = Field(description="Minutes left (scheduled, due) or past (overdue, missed); 0 when met")
    callback_start: str | None = Field(None, description="A callback's booked slot: start (UTC)")
    callback_end: str | None = Field(None, description="A callback's booked slot: end (UTC)")


class CaseSummary(Schema):
    """A case as the console lists it."""

    case_number: str
    topic: str
    topic_label: str = Field(description="The topic as the agent reads it")
    channel: str
    channel_label: str
    queue: str
    queue_label: str = Field(description="The queue's name from the routing file")
    priority: str
    priority_label: str
    status: str
    status_label: str
    verified: bool
    contact_name: str
    order_number: str | None
    created_at: str | None
    callback_slot: str | None
    sla_due_at: str | None
    sla: SlaState
    assigned_to: str | None
    first_response_at: str | None
    resolved_at: str | None
    outcome: str | None
    outcome_label: str | None
    new_customer_message: bool = Field(False, description="The customer wrote after the last public answer or "
                                                          "action of an agent (the lists' \"Neue Nachricht\")")


class QueueCases(Schema):
    """The open cases of one queue in working order (callbacks by slot)."""

    queue: str
    cases: list[CaseSummary]


class QueueOverview(Schema):
    name: str
    title: str
    channels: list[str]
    sla_minutes: int
    count: int
    unclaimed: int
    overdue: int
    oldest_created_at: str | None
    next_due_at: str | None


class Queues(Schema):
    """Every queue with its open, unclaimed and overdue cases."""

    queues: list[QueueOverview]


class Presence(Schema):
    """The agent's status now."""

    status: str


# --- returns in the console (/agent/retouren) --------------------------------------------------------------

class ReturnActionInput(Schema):
    """POST /agent/retouren/<number>/status: the button pressed, a note (the reason when refusing), what was seen."""

    status: Annotated[str, _one_of(("received", "inspected", "refunded", "exchanged", "refused"),
                                   _l("Bitte wählen Sie einen Schritt."))] = Field(None, validate_default=True)
    note: Note = Field("", validate_default=True)
    seen_status: Line(20) = ""

    @field_validator("note")
    @classmethod
    def _refusal_needs_reason(cls, value: str, info: ValidationInfo) -> str:
        # The reason is what the customer reads in the refusal mail: refused without one, they learn nothing.
        if info.data.get("status") == "refused" and len(value.strip()) < 2:
            raise PydanticCustomError("hc_reason", str(_l("Bitte geben Sie an, warum die Rücksendung abgelehnt wird.")))
        return value


class ReturnsQuery(Schema):
    """GET /agent/retouren?status=<code>: the open returns, or those in one status."""

    status: Line(20) | None = None
