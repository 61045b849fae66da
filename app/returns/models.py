"""Returns: what a customer sends back, why, how it is resolved and where it is on its way."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow
from app.privacy.columns import MaskedString, MaskedText
from app.records import StoredUpload, YearCounter

# angemeldet → unterwegs → eingegangen → geprüft → erstattet/umgetauscht; a complaint waits for an agent.
STATUS_FLOW = ("registered", "in_transit", "received", "inspected", "refunded", "exchanged")
# Refused: the agent found the goods not returnable (used, damaged by the customer); the reason goes to the customer.
FINAL_STATUSES = ("refunded", "exchanged", "refused", "cancelled")
STATUSES = STATUS_FLOW + ("complaint", "refused", "cancelled")
# A return in one of these has not reached the shop yet: its items are on their way back, not back.
NOT_YET_BACK = ("registered", "in_transit", "complaint")


class ReturnSequence(YearCounter, db.Model):
    __tablename__ = "return_sequence"


class ProductVariant(db.Model):
    """A size/colour of a product the shop sells, with its stock: what an exchange can offer."""

    __tablename__ = "product_variant"
    # Reservations are a conditional UPDATE (stock >= quantity); the database refuses anything below zero too.
    __table_args__ = (db.CheckConstraint("stock >= 0", name="stock_nonnegative"),)

    id = db.Column(db.Integer, primary_key=True)
    sku = db.Column(db.String(64), nullable=False, unique=True)
    product_code = db.Column(db.String(64), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    size = db.Column(db.String(40), nullable=True)
    colour = db.Column(db.String(40), nullable=True)
    stock = db.Column(db.Integer, nullable=False, default=0)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ReturnRequest(db.Model):
    __tablename__ = "return_request"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(20), nullable=False, unique=True)
    order_id = db.Column(db.Integer, db.ForeignKey("shop_order.id"), nullable=False, index=True)
    customer_id = db.Column(db.Integer, db.ForeignKey("customer.id"), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True)
    status = db.Column(db.String(20), nullable=False, default="registered")
    resolution = db.Column(db.String(10), nullable=False)
    carrier = db.Column(db.String(20), nullable=True)
    # The carrier's shipment number once a carrier API issued the label (app.carriers); None for our own label.
    tracking_number = db.Column(db.String(40), nullable=True, unique=True, index=True)
    returnless = db.Column(db.Boolean, nullable=False, default=False)
    refund_cents = db.Column(db.Integer, nullable=False, default=0)
    complaint_case_id = db.Column(db.Integer, db.ForeignKey("support_case.id"), nullable=True)
    idempotency_key = db.Column(db.String(120), nullable=True, unique=True)
    request_fingerprint = db.Column(db.String(64), nullable=True)
    lang = db.Column(db.String(2), nullable=False, default="de")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    order = db.relationship("Order")
    customer = db.relationship("Customer")
    complaint_case = db.relationship("Case")
    items = db.relationship("ReturnItem", back_populates="return_request", cascade="all, delete-orphan",
                            order_by="ReturnItem.id")
    events = db.relationship("ReturnEvent", back_populates="return_request", cascade="all, delete-orphan",
                             order_by="ReturnEvent.id")
    carrier_label = db.relationship("ReturnLabel", back_populates="return_request", uselist=False,
                                    cascade="all, delete-orphan")


class ReturnItem(db.Model):
    """One returned article with its reason; kept per product for the insights on what comes back and why."""

    __tablename__ = "return_item"

    id = db.Column(db.Integer, primary_key=True)
    return_id = db.Column(db.Integer, db.ForeignKey("return_request.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    order_item_id = db.Column(db.Integer, db.ForeignKey("order_item.id"), nullable=False, index=True)
    sku = db.Column(db.String(64), nullable=False, index=True)
    product_code = db.Column(db.String(64), nullable=True, index=True)
    name = db.Column(db.String(200), nullable=False)
    category = db.Column(db.String(100), nullable=False)
    quantity = db.Column(db.Integer, nullable=False)
    unit_price_cents = db.Column(db.Integer, nullable=False)
    reason = db.Column(db.String(30), nullable=False, index=True)
    comment = db.Column(MaskedText, nullable=True)
    exchange_sku = db.Column(db.String(64), nullable=True)

    return_request = db.relationship("ReturnRequest", back_populates="items")
    order_item = db.relationship("OrderItem")
    photos = db.relationship("ReturnPhoto", back_populates="item", cascade="all, delete-orphan",
                             order_by="ReturnPhoto.id")


class ReturnPhoto(StoredUpload, db.Model):
    __tablename__ = "return_photo"

    id = db.Column(db.Integer, primary_key=True)
    item_id = db.Column(db.Integer, db.ForeignKey("return_item.id", ondelete="CASCADE"), nullable=False, index=True)

    item = db.relationship("ReturnItem", back_populates="photos")


class ReturnEvent(db.Model):
    """Each step of a return, from the customer, the carrier's webhook or an agent — stored once."""

    __tablename__ = "return_event"
    __table_args__ = (db.UniqueConstraint("return_id", "fingerprint", name="uq_return_event_return_id_fingerprint"),)

    id = db.Column(db.Integer, primary_key=True)
    return_id = db.Column(db.Integer, db.ForeignKey("return_request.id", ondelete="CASCADE"), nullable=False,
                          index=True)
    status = db.Column(db.String(20), nullable=False)
    source = db.Column(db.String(10), nullable=False)
    actor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=True)
    note = db.Column(MaskedString(500), nullable=True)
    location = db.Column(db.String(200), nullable=True)
    occurred_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    fingerprint = db.Column(db.String(64), nullable=False)

    return_request = db.relationship("ReturnRequest", back_populates="events")


# A label from a carrier API: pending until the carrier issued it, ready with its documents, failed when the
# carrier refused the return for good (an agent sorts it out). Returns with our own label have no row.
LABEL_STATES = ("pending", "ready", "failed")


class ReturnLabel(db.Model):
    """The carrier's label of one return: its order state, retries, and the PDF and QR code it issued."""

    __tablename__ = "return_label"
    __table_args__ = (db.CheckConstraint("state IN ('pending', 'ready', 'failed')", name="state_known"),)

    id = db.Column(db.Integer, primary_key=True)
    return_id = db.Column(db.Integer, db.ForeignKey("return_request.id", ondelete="CASCADE"), nullable=False,
                          unique=True)
    adapter = db.Column(db.String(40), nullable=False)
    state = db.Column(db.String(10), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    # Pending labels are ordered when this has passed (UTC); it grows with each failed attempt.
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    # Who is ordering it right now: one request or worker holds the lease until it ends (or the lease expires).
    lease_token = db.Column(db.String(32), nullable=True)
    lease_until = db.Column(db.DateTime, nullable=True)
    # The carrier's words: why it refused (for the agents) or the last failure (for the operator).
    last_error = db.Column(db.String(500), nullable=True)
    label_pdf = db.Column(db.LargeBinary, nullable=True)
    qr_png = db.Column(db.LargeBinary, nullable=True)
    carrier_reference = db.Column(db.String(80), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    ready_at = db.Column(db.DateTime, nullable=True)

    return_request = db.relationship("ReturnRequest", back_populates="carrier_label")
