"""`flask demo load`: the demo shop and its logins, loadable again without changes."""
from sqlalchemy import func, select

from app.extensions import db
from app.shop.models import Customer, Order
from tests.conftest import login


def test_demo_load_creates_shop_and_logins_and_is_repeatable(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "0 skipped" in first.output
    assert "anna.schmidt@example.com / demo-kunde" in first.output
    with app.app_context():
        assert 25 <= db.session.scalar(select(func.count()).select_from(Customer)) <= 35
        assert 145 <= db.session.scalar(select(func.count()).select_from(Order)) <= 155
        statuses = set(db.session.scalars(select(Order.status)))
        assert statuses == {"processing", "shipped", "out_for_delivery", "delivered", "delayed", "delivery_failed",
                            "ready_for_pickup", "lost", "damaged", "partially_delivered", "cancelled"}
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "0 skipped" in second.output
    with app.app_context():
        assert 145 <= db.session.scalar(select(func.count()).select_from(Order)) <= 155

    for email, password in [("anna.schmidt@example.com", "demo-kunde"), ("agent@example.com", "demo-agent"),
                            ("editor@example.com", "demo-editor"), ("admin@example.com", "demo-admin")]:
        fresh = app.test_client()
        assert login(fresh, email, password).status_code == 302, email

    login(client, "anna.schmidt@example.com", "demo-kunde")
    orders = client.get("/api/orders").get_json()["orders"]
    states = set()
    for entry in orders:
        states.add(client.get(f"/api/orders/{entry['number']}/tracking").get_json()["advice"]["state"])
    assert {"delivered", "processing", "ready_for_pickup"} <= states
    assert states & {"delayed", "overdue", "stuck"}
    assert "Ihre Bestellung" in client.get("/").get_data(as_text=True)  # the proactive banner


def test_demo_load_on_a_later_day_replaces_the_demo_orders(app, monkeypatch):
    import datetime as dt

    import app.demo.loader as loader

    runner = app.test_cli_runner()
    monkeypatch.setattr(loader, "shop_today", lambda: dt.date(2026, 11, 16))
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    monkeypatch.setattr(loader, "shop_today", lambda: dt.date(2026, 12, 24))
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "0 skipped" in result.output
    with app.app_context():
        assert 145 <= db.session.scalar(select(func.count()).select_from(Order)) <= 155


def test_demo_load_brings_the_stock_and_a_reload_replaces_it(app):
    from app.demo.products import demo_products
    from app.returns.models import ProductVariant
    from app.shop.products import variants_of

    products = demo_products(seed=7)
    count = sum(len(product["variants"]) for product in products)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert f"products: {len(products)} created, 0 updated, 0 unchanged; variants: {count} created" in first.output
    with app.app_context():
        jacket = {(v.size, v.colour): v.stock for v in variants_of("JKT-0042")}
        assert (jacket["L", "Navy"], jacket["M", "Schwarz"], jacket["S", "Navy"]) == (4, 6, 0)
        assert {(v.size, v.colour): v.stock for v in variants_of("PUL-0108")}["L", "Salbei"] == 5
        # An exchange took one jacket; a variant the demo no longer sells is still there.
        db.session.scalar(select(ProductVariant).where(ProductVariant.sku == "NL-JKT-0042-L-NAVY")).stock = 3
        db.session.add(ProductVariant(sku="NL-JKT-0042-XXL-NAVY", product_code="JKT-0042", name="Steppjacke Hamburg",
                                      size="XXL", colour="Navy", stock=1))
        db.session.add(ProductVariant(sku="OTHER-1", product_code="OTHER", name="Nicht aus der Demo", stock=1))
        db.session.commit()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and f"variants: 0 created, 1 updated, {count - 1} unchanged" in second.output
    with app.app_context():
        skus = set(db.session.scalars(select(ProductVariant.sku)))
        assert "NL-JKT-0042-XXL-NAVY" not in skus and "OTHER-1" in skus and len(skus) == count + 1
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-0042-L-NAVY")) == 4


def test_demo_reload_after_trying_a_return_and_a_case(app, monkeypatch):
    """Returns started on demo orders do not block the next `flask demo load`."""
    import datetime as dt

    from sqlalchemy import func, select

    from app.cases.models import Case
    from app.demo.loader import load_demo
    from app.extensions import db
    from app.returns.models import ReturnRequest
    from app.returns.service import ReturnInput, ReturnLine, submit_and_commit
    from app.shop.models import Customer, Order
    from app.shop.fields import SHOP_TIMEZONE

    with app.app_context():
        load_demo()
        order = db.session.scalar(select(Order).join(Customer).where(
            Customer.email == "anna.schmidt@example.com", Order.status == "delivered").order_by(Order.placed_at.desc()))
        jacket = next(i for i in order.items if "Steppjacke" in i.name)
        now = dt.datetime.now(SHOP_TIMEZONE)
        with app.test_request_context():
            submit_and_commit(ReturnInput(order.number, (ReturnLine(jacket.sku, 1, "zu-gross"),), "refund", "dhl"),
                              order, None, app.extensions["helpcenter.returns_policy"],
                              app.extensions["helpcenter.routing"], now)
            submit_and_commit(ReturnInput(order.number, (ReturnLine(next(i.sku for i in order.items if i is not jacket),
                                                                    1, "defekt"),), "refund", "dhl"),
                              order, None, app.extensions["helpcenter.returns_policy"],
                              app.extensions["helpcenter.routing"], now)
        # The demo's own returns (for the insights) are never on Anna's orders; her two tried-out ones are.
        annas = select(func.count()).select_from(ReturnRequest).join(Order).join(Customer).where(
            Customer.email == "anna.schmidt@example.com")
        assert db.session.scalar(annas) == 2
        load_demo()
        assert db.session.scalar(annas) == 0
        # The demo's cases for the insights are marked by their idempotency key; the complaint case stays.
        assert db.session.scalar(select(func.count()).select_from(Case).where(
            Case.idempotency_key.is_(None) | Case.idempotency_key.not_like("demo-insights-%"))) == 1
