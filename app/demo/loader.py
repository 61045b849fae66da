"""Load the demo shop and its logins (only ever through `flask demo load`)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import delete, select, update

from app.accounts.models import User
from app.cases.models import Case
from app.demo.insights import load_demo_insights
from app.demo.shop_data import build_demo_shop
from app.extensions import db
from app.returns.models import ProductVariant, ReturnRequest
from app.shop.cli import apply_import
from app.shop.fields import shop_today
from app.shop.models import Customer, Order
from app.withdrawal.models import Withdrawal

DEMO_LOGINS = (
    ("anna.schmidt@example.com", "demo-kunde", "customer", "Anna Schmidt", "K-10001"),
    ("agent@example.com", "demo-agent", "agent", "Jonas Weber (Kundenservice)", None),
    ("lead@example.com", "demo-lead", "lead", "Tara Schulz (Teamleitung)", None),
    ("editor@example.com", "demo-editor", "editor", "Lea Hoffmann (Redaktion)", None),
    ("admin@example.com", "demo-admin", "admin", "Admin Nordlicht", None),
)


def _remove_previous_demo_orders(document: dict) -> None:
    # Demo orders are dated relative to the day of loading, so their numbers move from day to day;
    # a reload replaces the demo customers' orders instead of merging two days' worth of them.
    refs = [c["id"] for c in document["customers"]]
    # An order with a withdrawal stays: the declaration is stored unchangeably and points to it.
    declared = select(Withdrawal.order_id).where(Withdrawal.order_id.is_not(None))
    orders = list(db.session.scalars(select(Order).join(Customer).where(Customer.external_id.in_(refs),
                                                                        Order.id.not_in(declared))))
    ids = [order.id for order in orders]
    # Returns tried out on earlier demo orders go with them; cases stay, without the order.
    for ret in db.session.scalars(select(ReturnRequest).where(ReturnRequest.order_id.in_(ids))):
        db.session.delete(ret)
    db.session.execute(update(Case).where(Case.order_id.in_(ids)).values(order_id=None))
    db.session.flush()
    for order in orders:
        db.session.delete(order)
    db.session.flush()


def _remove_stale_demo_stock(document: dict) -> None:
    # The import upserts the demo stock back to its seeded values; variants of the demo products that the
    # document no longer lists go, so a reload replaces the demo stock as it replaces the demo orders.
    codes = [product["code"] for product in document["products"]]
    skus = [variant["sku"] for product in document["products"] for variant in product["variants"]]
    db.session.execute(delete(ProductVariant).where(ProductVariant.product_code.in_(codes),
                                                    ProductVariant.sku.not_in(skus)))
    db.session.flush()


def load_demo():
    today = shop_today()
    document = build_demo_shop(today)
    _remove_previous_demo_orders(document)
    _remove_stale_demo_stock(document)
    report = apply_import(document)
    load_demo_insights(today, current_app.extensions["helpcenter.library"], current_app.extensions["helpcenter.routing"],
                       current_app.config["HELPCENTER_FEDERAL_STATE"])
    created = []
    for email, password, role, name, customer_ref in DEMO_LOGINS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role=role)
            db.session.add(user)
        user.name, user.role = name, role
        if not user.password_hash or not user.check_password(password):
            user.set_password(password)
        if customer_ref:
            user.customer_id = db.session.scalar(select(Customer.id).where(Customer.external_id == customer_ref))
        created.append((email, password, role))
    db.session.commit()
    return report, created
