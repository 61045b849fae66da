"""What a customer tells us to open a case — one schema for the contact form and POST /api/cases — and the answers.

Everything that can be decided from the input alone is decided here, with the customer's message
per field: known topic and channel, text bounds, one e-mail validator, a phone number that can
be dialled, and which fields the topic and channel need. What needs the database (the order is
theirs, the items belong to it, the slot is still free, an agent is online) stays in
app/cases/service.py. Validation context: `signed_in` (name and e-mail come from the account, what
was sent is ignored) and `phone_on_file` (a signed-in customer's phone number may be left out).
"""
from __future__ import annotations

import re
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.cases.routing import CHANNELS
from app.cases.topics import OUTCOMES, TOPICS, resolve_topic
from app.core.schemas import Email, Line, OptionalBlank, Paragraphs, Schema

MIN_MESSAGE = 10
MAX_MESSAGE = 5000
MAX_SKUS = 50
PHONE = re.compile(r"\+?[0-9][0-9 ()/-]{5,28}[0-9]")


def _refuse(message: str) -> PydanticCustomError:
    # "hc_" errors carry the customer's message as it is (app/core/schemas.py).
    return PydanticCustomError("hc_invalid", message)


def _context(info: ValidationInfo, name: str) -> bool:
    return bool((info.context or {}).get(name))


TopicSlug = Annotated[Line(80) | None, OptionalBlank,
                      WithJsonSchema({"type": "string", "enum": sorted(TOPICS),
                                      "description": "A topic slug, or a group's slug for its general topic"})]
Channel = Annotated[Line(20) | None, OptionalBlank, WithJsonSchema({"type": "string", "enum": list(CHANNELS)})]
Outcome = Annotated[Line(40) | None, OptionalBlank,
                    WithJsonSchema({"anyOf": [{"type": "string", "enum": sorted(OUTCOMES)}, {"type": "null"}]})]


class CaseInput(Schema):
    """POST /api/cases: a new case (the contact form parses into the same schema)."""

    topic: TopicSlug = Field(description="What it is about")
    message: Annotated[Paragraphs(MAX_MESSAGE) | None, OptionalBlank] = Field(
        description=f"What happened, {MIN_MESSAGE}–{MAX_MESSAGE} characters",
        json_schema_extra={"minLength": MIN_MESSAGE})
    channel: Channel = Field(description="How we answer")
    order_number: Annotated[Line(40) | None, OptionalBlank] = Field(
        None, validate_default=True, description="The order it is about (the topic may need one)")
    skus: list[Line(40, min_length=1)] = Field([], max_length=MAX_SKUS, description="The affected items")
    desired_outcome: Outcome = Field(None, description="What the customer wishes for (complaints)")
    phone: Annotated[Line(40) | None, OptionalBlank] = Field(
        None, validate_default=True, description="Number for the callback (channel phone)")
    phone_consent: bool | None = Field(
        None, validate_default=True,
        description="Consent to be called on this number; default: given when channel is phone and a number is sent")
    callback_slot: Annotated[Line(40) | None, OptionalBlank] = Field(
        None, validate_default=True, description="A slot start from GET /api/contact/availability (channel phone)")
    name: Annotated[Line(200) | None, OptionalBlank] = Field(
        None, validate_default=True, description="Guests only: your name")
    email: Annotated[Email | None, OptionalBlank] = Field(
        None, validate_default=True, description="Guests only: where we answer")
    postcode: Annotated[Line(10) | None, OptionalBlank] = Field(
        None, description="Guests only: the delivery postcode, which proves the order")
    article: Annotated[Line(120) | None, OptionalBlank] = Field(
        None, description="The help article the customer came from")

    @model_validator(mode="before")
    @classmethod
    def _account_fills_in_who(cls, data: Any, info: ValidationInfo) -> Any:
        # Signed in, name and e-mail are the account's: whatever was sent is not even looked at.
        if _context(info, "signed_in") and isinstance(data, dict):
            data = {key: value for key, value in data.items() if key not in ("name", "email")}
        return data

    @field_validator("topic")
    @classmethod
    def _known_topic(cls, value: str | None) -> str:
        topic = resolve_topic(value)
        if topic is None:
            raise _refuse(_("Bitte wählen Sie ein Thema."))
        return topic.slug

    @field_validator("message")
    @classmethod
    def _enough_words(cls, value: str | None) -> str:
        if value is None or len(value) < MIN_MESSAGE:
            raise _refuse(_("Bitte beschreiben Sie Ihr Anliegen in ein paar Worten (mindestens %(n)d Zeichen).",
                            n=MIN_MESSAGE))
        return value

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str:
        if value not in CHANNELS:
            raise _refuse(_("Bitte wählen Sie, wie wir Sie erreichen sollen."))
        return value

    @field_validator("order_number")
    @classmethod
    def _order_when_needed(cls, value: str | None, info: ValidationInfo) -> str | None:
        topic = TOPICS.get(info.data.get("topic") or "")
        if topic is not None and topic.needs_order and not value:
            raise _refuse(_("Bitte geben Sie die Bestellung an, um die es geht."))
        return value

    @field_validator("skus")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("desired_outcome")
    @classmethod
    def _offered_outcome(cls, value: str | None) -> str | None:
        if value is not None and value not in OUTCOMES:
            raise _refuse(_("Bitte wählen Sie eine der angebotenen Lösungen."))
        return value

    @field_validator("phone")
    @classmethod
    def _dialable(cls, value: str | None, info: ValidationInfo) -> str | None:
        wanted = info.data.get("channel") == "phone"
        if value is not None and not PHONE.fullmatch(value):
            raise _refuse(_("Bitte geben Sie eine Telefonnummer an, unter der wir Sie erreichen."))
        if wanted and value is None and not _context(info, "phone_on_file"):
            raise _refuse(_("Bitte geben Sie eine Telefonnummer an, unter der wir Sie erreichen."))
        return value if wanted else None

    @field_validator("phone_consent")
    @classmethod
    def _consent_for_callbacks(cls, value: bool | None, info: ValidationInfo) -> bool:
        if info.data.get("channel") != "phone":
            return False
        consent = value if value is not None else bool(info.data.get("phone"))
        if not consent:
            raise _refuse(_("Bitte stimmen Sie zu, dass wir Ihre Nummer für den Rückruf verwenden."))
        return True

    @field_validator("callback_slot")
    @classmethod
    def _slot_for_callbacks(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("channel") != "phone":
            return None
        if value is None:
            raise _refuse(_("Bitte wählen Sie einen freien Termin für den Rückruf."))
        return value

    @field_validator("name")
    @classmethod
    def _guest_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        if _context(info, "signed_in"):
            return None
        if value is None:
            raise _refuse(_("Bitte geben Sie Ihren Namen an."))
        return " ".join(value.split())

    @field_validator("email")
    @classmethod
    def _guest_email(cls, value: str | None, info: ValidationInfo) -> str | None:
        if _context(info, "signed_in"):
            return None
        if value is None:
            raise _refuse(_("Bitte geben Sie Ihre E-Mail-Adresse an, damit wir antworten können."))
        return value


def _checkbox(value: Any) -> Any:
    # An unticked checkbox is not sent at all: in the form, absent means no.
    return False if value in (None, "") else value


class ContactFormInput(CaseInput):
    """The contact form /kontakt: the case input, a ticked box for consent and the form's submission id."""

    phone_consent: Annotated[bool, BeforeValidator(_checkbox)] = Field(False, validate_default=True)
    submission_id: Annotated[Line(64) | None, OptionalBlank] = None


class CaseReplyInput(Schema):
    """The customer's reply on their case: the web page's reply box, or JSON/multipart to the API."""

    body: Paragraphs(MAX_MESSAGE, min_length=1) = Field(description=f"The message, 1–{MAX_MESSAGE} characters")


class CaseReplyFormInput(CaseReplyInput):
    """The reply box on /kontakt/anfrage/<number>, with the form's submission id against double submits."""

    submission_id: Annotated[Line(64) | None, OptionalBlank] = None


# --- answers -----------------------------------------------------------------------------------------

class CaseCreated(Schema):
    """The case as opened: its number and what the customer may expect."""

    case_number: str
    verified: bool
    queue: str
    channel: str
    expected_response: str


class MessageAttachment(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class CaseMessageOut(Schema):
    """One public message of the case's conversation."""

    id: int
    from_: str = Field(alias="from", serialization_alias="from",
                       description="customer or agent; status changes and callback outcomes come from the agent side")
    body: str = Field(description="The text; for status changes and callback outcomes the words for them")
    created_at: str = Field(description="UTC, ISO 8601 with Z")
    attachments: list[MessageAttachment]


class CaseDetail(CaseCreated):
    """One case of the signed-in customer (or of this visit)."""

    status: str = Field(description="new, open or resolved")
    messages: list[CaseMessageOut] = Field(description="The public conversation, oldest first")
    topic: str
    order_number: str | None
    created_at: str = Field(description="UTC, ISO 8601 with Z")


class ChatAvailability(Schema):
    available: bool
    next_opening: str | None = Field(description="ISO 8601 in the shop's time zone; null when not within two weeks")


class CallbackSlot(Schema):
    start: str = Field(description="ISO 8601; send it as callback_slot")
    end: str
    free: int


class Availability(Schema):
    """Whether chat is open now (and when it opens next) and the free callback slots."""

    chat: ChatAvailability
    callback_slots: list[CallbackSlot]
