"""Contact cases: what the customer asked, how they want an answer, and where it was routed."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedText
from app.records import StoredUpload, YearCounter


class CaseSequence(YearCounter, db.Model):
    __tablename__ = "case_sequence"


class Case(db.Model):
    __tablename__ = "support_case"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(20), nullable=False, unique=True)
    topic = db.Column(db.String(60), nullable=False)
    message = db.Column(MaskedText, nullable=False)
    desired_outcome = db.Column(db.String(40), nullable=True)
    channel = db.Column(db.String(10), nullable=False)
    status = db.Column(db.String(20), nullable=False, default="new")
    queue = db.Column(db.String(60), nullable=False)
    priority = db.Column(db.String(10), nullable=False, default="normal")
    sla_due_at = db.Column(db.DateTime, nullable=False)
    verified = db.Column(db.Boolean, nullable=False, default=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True, index=True)
    customer_id = db.Column(db.Integer, db.ForeignKey("customer.id"), nullable=True, index=True)
    order_id = db.Column(db.Integer, db.ForeignKey("shop_order.id"), nullable=True, index=True)
    order_number_given = db.Column(db.String(40), nullable=True)
    skus = db.Column(db.Text, nullable=True)
    contact_name = db.Column(db.String(200), nullable=False)
    contact_email = db.Column(db.String(254), nullable=False)
    contact_phone = db.Column(db.String(40), nullable=True)
    phone_consent_at = db.Column(db.DateTime, nullable=True)
    callback_slot = db.Column(db.DateTime, nullable=True, index=True)
    article_slug = db.Column(db.String(120), nullable=True)
    trail = db.Column(db.Text, nullable=True)
    idempotency_key = db.Column(db.String(100), nullable=True, unique=True)
    request_fingerprint = db.Column(db.String(64), nullable=True)
    lang = db.Column(db.String(2), nullable=False, default="de")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    first_response_at = db.Column(db.DateTime, nullable=True)
    resolved_at = db.Column(db.DateTime, nullable=True)
    # The agent console: who works the case, how it ended, what the customer thought of it.
    assigned_to_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True, index=True)
    claimed_at = db.Column(db.DateTime, nullable=True)
    outcome = db.Column(db.String(30), nullable=True)
    survey_score = db.Column(db.Integer, nullable=True)
    survey_comment = db.Column(MaskedText, nullable=True)
    survey_answered_at = db.Column(db.DateTime, nullable=True)
    # The optional recommendation question (0–10, HELPCENTER_SURVEY_NPS=on) for the Net Promoter Score.
    survey_nps = db.Column(db.Integer, nullable=True)
    # The anonymous visit the case was sent from, to count "searched, then contacted us" (no link to a person
    # beyond the case itself; the insights only count).
    visit = db.Column(db.String(40), nullable=True, index=True)

    order = db.relationship("Order")
    customer = db.relationship("Customer")
    assigned_to = db.relationship("User", foreign_keys=[assigned_to_id])
    events = db.relationship("CaseEvent", back_populates="case", cascade="all, delete-orphan",
                             order_by="CaseEvent.id")
    messages = db.relationship("CaseMessage", back_populates="case", cascade="all, delete-orphan",
                               order_by="CaseMessage.id")
    # The live chat's lines are the messages that came in by chat (read-only view of the one stream).
    chat_messages = db.relationship("CaseMessage", viewonly=True, order_by="CaseMessage.id",
                                    primaryjoin="and_(Case.id == CaseMessage.case_id, CaseMessage.channel == 'chat')")
    attachments = db.relationship("CaseAttachment", back_populates="case", cascade="all, delete-orphan",
                                  order_by="CaseAttachment.id")


class CaseAttachment(StoredUpload, db.Model):
    __tablename__ = "case_attachment"

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("support_case.id", ondelete="CASCADE"), nullable=False, index=True)

    # The message the file came with; attachments from before the conversation belong to the first message.
    message_id = db.Column(db.Integer, db.ForeignKey("case_message.id", ondelete="SET NULL"), nullable=True, index=True)

    case = db.relationship("Case", back_populates="attachments")
    message = db.relationship("CaseMessage", back_populates="attachments")


class AgentPresence(db.Model):
    """Which agents are online; chat is offered only while one is."""

    __tablename__ = "agent_presence"

    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    status = db.Column(db.String(10), nullable=False, default="away")
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class ContactDeflection(db.Model):
    """An article suggested in the contact form and opened; converted if a case followed anyway."""

    __tablename__ = "contact_deflection"

    id = db.Column(db.Integer, primary_key=True)
    visit = db.Column(db.String(40), nullable=False, index=True)
    slug = db.Column(db.String(120), nullable=False)
    opened_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    converted = db.Column(db.Boolean, nullable=False, default=False)


class CaseEvent(db.Model):
    """The audit trail of a case: who did what when (claim, callback, reply, note, resolve, reopen …)."""

    __tablename__ = "case_event"

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("support_case.id", ondelete="CASCADE"), nullable=False, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True)
    kind = db.Column(db.String(20), nullable=False)
    outcome = db.Column(db.String(30), nullable=True)
    note = db.Column(MaskedText, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    case = db.relationship("Case", back_populates="events")
    actor = db.relationship("User")


MESSAGE_AUTHORS = ("customer", "agent", "system")
MESSAGE_CHANNELS = ("form", "web", "email", "chat", "phone")
MESSAGE_VISIBILITIES = ("public", "internal")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CaseMessage(db.Model):
    """One entry of a case's conversation (docs: DESIGN.md "One timeline per case"): what the customer wrote,
    agents' replies, chat lines, internal notes, callback outcomes and status changes, whatever the channel.

    `event` names what a system entry or a callback outcome stands for (resolved, reopened, callback_done …),
    so that pages put it into words in the reader's language instead of storing one language's sentence.
    """

    __tablename__ = "case_message"
    __table_args__ = (
        db.CheckConstraint(_one_of("author", MESSAGE_AUTHORS), name="author"),
        db.CheckConstraint(_one_of("channel", MESSAGE_CHANNELS), name="channel"),
        db.CheckConstraint(_one_of("visibility", MESSAGE_VISIBILITIES), name="visibility"),
        db.Index("ix_case_message_case_created", "case_id", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(db.Integer, db.ForeignKey("support_case.id", ondelete="CASCADE"), nullable=False)
    author = db.Column(db.String(10), nullable=False)
    channel = db.Column(db.String(10), nullable=False)
    visibility = db.Column(db.String(10), nullable=False, default="public")
    body = db.Column(MaskedText, nullable=False, default="")
    event = db.Column(db.String(30), nullable=True)
    outcome = db.Column(db.String(30), nullable=True)
    author_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # For e-mail threading (next step): the Message-ID of the mail it came as or went out as, and its subject.
    email_message_id = db.Column(db.String(255), nullable=True, unique=True)
    subject = db.Column(MaskedText, nullable=True)
    # A double submit (form submission id, API Idempotency-Key) stores one message.
    idempotency_key = db.Column(db.String(100), nullable=True, unique=True)
    request_fingerprint = db.Column(db.String(64), nullable=True)

    case = db.relationship("Case", back_populates="messages")
    author_user = db.relationship("User")
    attachments = db.relationship("CaseAttachment", back_populates="message", order_by="CaseAttachment.id")

    @property
    def sender(self) -> str:
        """The chat's word for the author (customer or agent)."""
        return self.author
