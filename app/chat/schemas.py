"""Input and answers of the chat, for the customer (/kontakt/anfrage/<number>/chat) and the agent API."""
from __future__ import annotations

from pydantic import Field

from app.core.schemas import INT32_MAX, Paragraphs, Schema

MAX_MESSAGE = 2000


class ChatLine(Schema):
    """A chat line: JSON {"body"} from the page's script, or the plain form without it."""

    body: Paragraphs(MAX_MESSAGE, min_length=1) = Field(description=f"The message, 1–{MAX_MESSAGE} characters")


class ChatQuery(Schema):
    """?after=<id>: only the messages after the last one the page has."""

    # Message ids are 32-bit columns: PostgreSQL refuses a larger number in the comparison.
    after: int = Field(0, ge=0, le=INT32_MAX, description="The id of the last message already shown")


class ChatMessageOut(Schema):
    id: int
    sender: str = Field(description="customer or agent")
    mine: bool = Field(description="Sent by the one asking")
    body: str
    at: str = Field(description="UTC, ISO 8601 with Z")


class ChatState(Schema):
    """The chat's status, the customer's place in the waiting line, who answers, and the new messages."""

    case_number: str
    status: str
    position: int | None = Field(description="1 for the next chat to be accepted; null once an agent has it")
    agent: str | None
    closed: bool
    messages: list[ChatMessageOut]


class ChatPosted(Schema):
    """The stored chat line."""

    id: int
