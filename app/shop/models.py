"""The help center's synced copy of the shop's customers, orders and shipments."""
from __future__ import annotations

from app.extensions import db
from app.insights.models import utcnow


class Customer(db.Model):
    __tablename__ = "customer"

    id = db.Column(db.Integer, primary_key=True)
    external_id = db.Column(db.String(64), nullable=False, unique=True)
    email = db.Column(db.String(254), nullable=False, index=True)
    first_name = db.Column(db.String(100), nullable=False)
    last_name = db.Column(db.String(100), nullable=False)
    phone = db.Column(db.String(40), nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    addresses = db.relationship("Address", back_populates="customer", cascade="all, delete-orphan",
                                order_by="Address.id")
    orders = db.relationship("Order", back_populates="customer", order_by="Order.placed_at.desc()")

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Address(db.Model):
    __tablename__ = "address"

    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.Integer, db.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    street = db.Column(db.String(200), nullable=False)
    postcode = db.Column(db.String(10), nullable=False)
    city = db.Column(db.String(100), nullable=False)
    country = db.Column(db.String(2), nullable=False, default="DE")

    customer = db.relationship("Customer", back_populates="addresses")


class Order(db.Model):
    __tablename__ = "shop_order"

    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(40), nullable=False, unique=True)
    customer_id = db.Column(db.Integer, db.ForeignKey("customer.id"), nullable=False, index=True)
    placed_at = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(30), nullable=False)
    total_cents = db.Column(db.Integer, nullable=False)
    currency = db.Column(db.String(3), nullable=False, default="EUR")
    payment_method = db.Column(db.String(30), nullable=False)
    ship_name = db.Column(db.String(200), nullable=False)
    ship_street = db.Column(db.String(200), nullable=False)
    ship_postcode = db.Column(db.String(10), nullable=False)
    ship_city = db.Column(db.String(100), nullable=False)
    ship_country = db.Column(db.String(2), nullable=False, default="DE")
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    customer = db.relationship("Customer", back_populates="orders")
    items = db.relationship("OrderItem", back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id")
    shipments = db.relationship("Shipment", back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id")


class OrderItem(db.Model):
    __tablename__ = "order_item"
    __table_args__ = (db.UniqueConstraint("order_id", "sku", name="uq_order_item_order_id_sku"),)

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True)
    sku = db.Column(db.String(64), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    category = db.Column(db.String(100), nullable=False)
    size = db.Column(db.String(40), nullable=True)
    colour = db.Column(db.String(40), nullable=True)
    quantity = db.Column(db.Integer, nullable=False)
    unit_price_cents = db.Column(db.Integer, nullable=False)
    returnable = db.Column(db.Boolean, nullable=False, default=True)

    order = db.relationship("Order", back_populates="items")


class Shipment(db.Model):
    __tablename__ = "shipment"

    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey("shop_order.id", ondelete="CASCADE"), nullable=False, index=True)
    carrier = db.Column(db.String(20), nullable=False)
    tracking_number = db.Column(db.String(40), nullable=False, unique=True)
    status = db.Column(db.String(30), nullable=False)
    promised_from = db.Column(db.Date, nullable=True)
    promised_to = db.Column(db.Date, nullable=True)
    shipped_at = db.Column(db.DateTime, nullable=True)
    skus = db.Column(db.Text, nullable=True)
    pickup_location = db.Column(db.String(300), nullable=True)
    pickup_deadline = db.Column(db.Date, nullable=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    order = db.relationship("Order", back_populates="shipments")
    events = db.relationship("ShipmentEvent", back_populates="shipment", cascade="all, delete-orphan",
                             order_by="ShipmentEvent.occurred_at")


class ShipmentEvent(db.Model):
    __tablename__ = "shipment_event"
    __table_args__ = (db.UniqueConstraint("shipment_id", "fingerprint", name="uq_shipment_event_shipment_id_fingerprint"),)

    id = db.Column(db.Integer, primary_key=True)
    shipment_id = db.Column(db.Integer, db.ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False, index=True)
    occurred_at = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(30), nullable=False)
    location = db.Column(db.String(200), nullable=True)
    text = db.Column(db.String(500), nullable=False)
    # The carrier's own event code, when it sends one: it decides what the scan means (app.tracking.scans).
    code = db.Column(db.String(40), nullable=True)
    # Same time, status, place and text = the same scan, however often the carrier sends it (with or without code).
    fingerprint = db.Column(db.String(64), nullable=False)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    shipment = db.relationship("Shipment", back_populates="events")
