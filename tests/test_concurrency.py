"""Money and stock under parallel requests without an idempotency key, on SQLite and PostgreSQL.

Every test sends N requests from N threads that each signed in and fetched their tokens first and
then wait at a barrier, so that they hit the check-then-write at the same moment. SQLite serialises
writers and hides most of these races; PostgreSQL shows them unless rows are locked.
"""
import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.cases.models import Case
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ProductVariant, ReturnItem, ReturnRequest
from app.shop.cli import apply_import
from app.shop.fields import SHOP_TIMEZONE
from app.shop.models import Order
from app.withdrawal.models import Withdrawal
from tests.conftest import FIXTURE_CONTENT, api_token, csrf_token_from, login
from tests.shop_factory import customer, document, event, order, shipment

# Monday 16 November 2026, 10:00 in Hamburg: the service is open, the parcels came on Friday.
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=SHOP_TIMEZONE)
DELIVERED = dt.date(2026, 11, 13)
THREADS = 12
ROUNDS = 3
LOST = {409, 422}


@pytest.fixture
def shop(make_app, fixture_index, monkeypatch):
    """An app without rate limits (a dozen requests from one address at once), one customer, one agent."""
    from app.extensions import limiter

    app = make_app(FIXTURE_CONTENT, fixture_index)
    # The limiter is one object shared by every app: switched off for this test only, restored afterwards.
    monkeypatch.setattr(limiter, "enabled", False)
    for module in ("app.returns.views", "app.contact.views"):
        monkeypatch.setattr(f"{module}.now", lambda: NOW)
    monkeypatch.setattr("app.withdrawal.views.now", lambda: NOW)
    with app.app_context():
        apply_import(document([customer()], []))
    return app


@pytest.fixture
def users(shop):
    """The customer K-1 (kim.berg@example.com) and an agent, as accounts in the shop app."""
    from app.accounts.models import User
    from app.shop.models import Customer

    with shop.app_context():
        kim = User(email="kim.berg@example.com", name="Kim Berg", role="customer",
                   customer_id=db.session.scalar(select(Customer.id).where(Customer.external_id == "K-1")))
        kim.set_password("richtig-gutes-passwort")
        agent = User(email="agent@example.com", name="Agent", role="agent")
        agent.set_password("richtig-gutes-passwort")
        db.session.add_all([kim, agent])
        db.session.commit()


def _item(sku, price, quantity=1, category="Damenmode"):
    return {"sku": sku, "name": f"Artikel {sku}", "category": category, "quantity": quantity, "unit_price": price,
            "returnable": True}


def delivered_orders(app, orders: dict[str, list[dict]]) -> None:
    """Import delivered orders of K-1: {order number: items}."""
    with app.app_context():
        apply_import(document([customer()], [
            order(number, status="delivered", placed=DELIVERED - dt.timedelta(days=3), items=items,
                  shipments=[shipment(f"0034043416{number}", "delivered", [event(DELIVERED, "delivered")])])
            for number, items in orders.items()]))


def race(n: int, prepare) -> list:
    """Run prepare(i) in n threads, wait until all are ready, then call what each returned at once."""
    barrier = threading.Barrier(n, timeout=120)
    results, errors = [None] * n, []

    def run(i):
        try:
            fire = prepare(i)
            barrier.wait()
            results[i] = fire()
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(f"thread {i}: {exc!r}")
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def signed_in(app, email="kim.berg@example.com"):
    client = app.test_client()
    login(client, email)
    return client, {"X-CSRFToken": api_token(client)}


def json_post(app, url: str, body: dict, email="kim.berg@example.com"):
    """Prepare a signed-in JSON POST; calling the result sends it and gives (status, JSON)."""
    client, headers = signed_in(app, email)

    def fire():
        response = client.post(url, json=body, headers=headers)
        return response.status_code, response.get_json()

    return fire


def statuses(results) -> list[int]:
    return sorted(status for status, _ in results)


def assert_lost_cleanly(results, winners: int, created: int = 201):
    """`winners` requests created something; every other one got a clear 409/422 in the one error shape."""
    codes = statuses(results)
    assert codes.count(created) == winners, codes
    for status, body in results:
        if status != created:
            assert status in LOST and body["error"]["code"] in ("invalid_request", "conflict"), (status, body)


def refund(order_number: str, sku: str, **extra) -> dict:
    return {"order_number": order_number, "items": [{"sku": sku, "quantity": 1, "reason": "zu-gross"}],
            "resolution": "refund", "carrier": "dhl", **extra}


def returned(app, order_number: str) -> tuple[int, int]:
    """(returns, pieces) registered for an order."""
    with app.app_context():
        order_id = db.session.scalar(select(Order.id).where(Order.number == order_number))
        returns = db.session.scalar(select(func.count()).select_from(ReturnRequest)
                                    .where(ReturnRequest.order_id == order_id))
        pieces = db.session.scalar(select(func.coalesce(func.sum(ReturnItem.quantity), 0))
                                   .join(ReturnRequest).where(ReturnRequest.order_id == order_id))
        return returns, pieces


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- returnable quantities ---------------------------------------------------------------------------

@pytest.mark.parametrize("pieces", [1, 2])
def test_parallel_returns_of_the_last_pieces_register_each_piece_once(shop, users, pieces):
    delivered_orders(shop, {f"70000{r}": [_item(f"NL-JKT-{r}", "79.95", quantity=pieces)] for r in range(ROUNDS)})
    for r in range(ROUNDS):
        number = f"70000{r}"
        results = race(THREADS, lambda i: json_post(shop, "/api/returns", refund(number, f"NL-JKT-{r}")))
        assert_lost_cleanly(results, winners=pieces)
        assert returned(shop, number) == (pieces, pieces)
    assert count(shop, OutboxMessage) == ROUNDS * pieces
    with shop.app_context():
        numbers = sorted(db.session.scalars(select(ReturnRequest.number)))
    assert numbers == [f"R-2026-{i:06d}" for i in range(1, ROUNDS * pieces + 1)]


def test_parallel_retries_with_one_key_and_other_returns_each_count_once(shop, users):
    """The same request retried with one Idempotency-Key while other returns of the order run."""
    delivered_orders(shop, {"700010": [_item("NL-JKT", "79.95"), _item("NL-PUL", "59.95", quantity=6)]})

    def prepare(i):
        client, headers = signed_in(shop)
        body = refund("700010", "NL-JKT" if i % 2 == 0 else "NL-PUL")
        if i % 2 == 0:
            headers = {**headers, "Idempotency-Key": "same-retry-key"}

        def fire():
            response = client.post("/api/returns", json=body, headers=headers)
            return response.status_code, response.get_json()
        return fire

    results = race(THREADS, prepare)
    retried = [body for i, (status, body) in enumerate(results) if i % 2 == 0]
    assert {body.get("return_number") for body in retried} != {None}
    assert len({body["return_number"] for body in retried}) == 1, retried
    assert statuses(results) == [200] * 5 + [201] * 7
    assert returned(shop, "700010") == (7, 7)


# --- goodwill (returnless refunds) ---------------------------------------------------------------------

def test_parallel_goodwill_refunds_for_one_piece_are_granted_once(shop, users):
    delivered_orders(shop, {f"71000{r}": [_item(f"NL-SOCK-{r}", "5.95")] for r in range(ROUNDS)})
    for r in range(ROUNDS):
        body = refund(f"71000{r}", f"NL-SOCK-{r}")
        results = race(THREADS, lambda i: json_post(shop, "/api/returns", body))
        assert_lost_cleanly(results, winners=1)
        assert [b["returnless"] for s, b in results if s == 201] == [True]
    with shop.app_context():
        assert db.session.scalar(select(func.sum(ReturnRequest.refund_cents))) == ROUNDS * 595
    assert count(shop, ReturnRequest, ReturnRequest.status == "refunded") == ROUNDS


def test_goodwill_for_good_standing_is_decided_one_return_after_another(shop, users):
    """12 delivered orders, 20 € each: returnless while at most 30 % came back before — 4 of 12, as in sequence."""
    delivered_orders(shop, {f"7200{n:02d}": [_item(f"NL-SCARF-{n}", "20.00")] for n in range(THREADS)})
    results = race(THREADS, lambda i: json_post(shop, "/api/returns", refund(f"7200{i:02d}", f"NL-SCARF-{i}")))
    assert statuses(results) == [201] * THREADS
    assert sorted(body["returnless"] for _, body in results) == [False] * 8 + [True] * 4
    assert count(shop, ReturnRequest, ReturnRequest.returnless.is_(True)) == 4


# --- exchange stock ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stock", [1, 3])
def test_parallel_exchanges_never_promise_more_than_the_stock(shop, users, stock):
    delivered_orders(shop, {f"73{r}{n:03d}": [_item(f"NL-JKT-M-{r}", "79.95")]
                            for r in range(ROUNDS) for n in range(THREADS)})
    with shop.app_context():
        for r in range(ROUNDS):
            db.session.add_all([
                ProductVariant(sku=f"NL-JKT-M-{r}", product_code=f"JKT{r}", name="Jacke", size="M", stock=5),
                ProductVariant(sku=f"NL-JKT-L-{r}", product_code=f"JKT{r}", name="Jacke", size="L", stock=stock)])
        db.session.commit()
    for r in range(ROUNDS):
        results = race(THREADS, lambda i: json_post(shop, "/api/returns", {
            "order_number": f"73{r}{i:03d}", "items": [{"sku": f"NL-JKT-M-{r}", "quantity": 1, "reason": "zu-klein"}],
            "resolution": "exchange", "exchange_for": f"NL-JKT-L-{r}", "carrier": "dhl"}))
        assert_lost_cleanly(results, winners=stock)
        for status, body in results:
            if status == 422:
                assert "ausverkauft" in body["error"]["fields"]["items.0.exchange_for"]
        with shop.app_context():
            assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == f"NL-JKT-L-{r}")) == 0
        assert count(shop, ReturnItem, ReturnItem.exchange_sku == f"NL-JKT-L-{r}") == stock


def test_parallel_cancellations_release_the_reserved_stock_once(shop, users):
    delivered_orders(shop, {"740000": [_item("NL-JKT-M", "79.95")]})
    with shop.app_context():
        db.session.add_all([ProductVariant(sku="NL-JKT-M", product_code="JKT", name="Jacke", size="M", stock=0),
                            ProductVariant(sku="NL-JKT-L", product_code="JKT", name="Jacke", size="L", stock=1)])
        db.session.commit()
    client, headers = signed_in(shop)
    number = client.post("/api/returns", headers=headers, json={
        "order_number": "740000", "items": [{"sku": "NL-JKT-M", "quantity": 1, "reason": "zu-klein"}],
        "resolution": "exchange", "exchange_for": "NL-JKT-L", "carrier": "dhl"}).get_json()["return_number"]
    results = race(THREADS, lambda i: json_post(shop, f"/api/returns/{number}/status", {"status": "cancelled"},
                                                email="agent@example.com"))
    codes = statuses(results)
    assert codes == [200] + [409] * (THREADS - 1), codes
    with shop.app_context():
        assert db.session.scalar(select(ProductVariant.stock).where(ProductVariant.sku == "NL-JKT-L")) == 1


def test_parallel_refunds_by_agents_refund_once(shop, users):
    delivered_orders(shop, {"750000": [_item("NL-LMP", "149.00")]})
    client, headers = signed_in(shop)
    number = client.post("/api/returns", headers=headers, json=refund("750000", "NL-LMP")).get_json()["return_number"]
    results = race(THREADS, lambda i: json_post(shop, f"/api/returns/{number}/status", {"status": "refunded"},
                                                email="agent@example.com"))
    assert statuses(results) == [200] + [409] * (THREADS - 1)
    from app.returns.models import ReturnEvent

    with shop.app_context():
        ret_id = db.session.scalar(select(ReturnRequest.id).where(ReturnRequest.number == number))
    assert count(shop, ReturnEvent, ReturnEvent.return_id == ret_id, ReturnEvent.status == "refunded") == 1


# --- callback slots and case numbers ---------------------------------------------------------------------

def phone_case(slot: str) -> dict:
    return {"topic": "lieferung-nicht-erhalten", "message": "Das Paket ist laut Verfolgung zugestellt, aber nicht da.",
            "channel": "phone", "order_number": "760000", "phone": "040 555 0101", "phone_consent": True,
            "callback_slot": slot}


def test_parallel_bookings_fill_a_callback_slot_to_its_capacity_only(shop, users):
    delivered_orders(shop, {"760000": [_item("NL-1", "79.95")]})
    capacity = shop.extensions["helpcenter.routing"].capacity
    for slot in ("2026-11-16T11:00:00+01:00", "2026-11-16T11:30:00+01:00", "2026-11-16T12:00:00+01:00"):
        results = race(THREADS, lambda i: json_post(shop, "/api/cases", phone_case(slot)))
        assert_lost_cleanly(results, winners=capacity)
        for status, body in results:
            if status == 422:
                assert set(body["error"]["fields"]) == {"callback_slot"}
        start = dt.datetime.fromisoformat(slot).astimezone(dt.timezone.utc).replace(tzinfo=None)
        assert count(shop, Case, Case.callback_slot == start) == capacity


def test_parallel_case_submissions_get_unique_gapless_numbers(shop, users):
    delivered_orders(shop, {"760000": [_item("NL-1", "79.95")]})
    threads = 16
    body = {"topic": "lieferung-nicht-erhalten", "message": "Das Paket ist laut Verfolgung zugestellt, aber nicht da.",
            "channel": "email", "order_number": "760000"}
    results = race(threads, lambda i: json_post(shop, "/api/cases", body))
    assert statuses(results) == [201] * threads
    numbers = sorted(b["case_number"] for _, b in results)
    assert numbers == [f"NL-2026-{i:06d}" for i in range(1, threads + 1)]
    assert count(shop, OutboxMessage) == threads


# --- withdrawals ---------------------------------------------------------------------------------------

def _confirm_later(app, signed_in_as: str | None, reason: str = ""):
    """Step 1 and 2 of the withdrawal form in a client of its own; calling the result confirms it."""
    import re

    client = app.test_client()
    if signed_in_as:
        login(client, signed_in_as)
    html = client.get("/widerruf").get_data(as_text=True)
    submission_id = re.search(r'name="submission_id" type="hidden" value="([0-9a-f]+)"', html).group(1)
    review = client.post("/widerruf", data={
        "csrf_token": csrf_token_from(client, "/widerruf"), "submission_id": submission_id, "order_number": "770000",
        "name": "Kim Berg", "email": "kim.berg@example.com", "reason": reason}).get_data(as_text=True)
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"', review).group(1)
    token = csrf_token_from(client, "/widerruf")

    def fire():
        response = client.post("/widerruf/bestaetigen", data={"csrf_token": token, "draft": draft})
        return response.status_code, response.headers.get("Location")

    return fire


def test_one_customer_confirming_one_declaration_in_many_tabs_stores_it_once(shop, users):
    delivered_orders(shop, {"770000": [_item("NL-1", "79.95")]})
    results = race(THREADS, lambda i: _confirm_later(shop, "kim.berg@example.com"))
    assert {status for status, _ in results} == {303}
    assert {location.rsplit("/", 1)[1] for _, location in results} == {"W-2026-000001"}
    assert count(shop, Withdrawal) == 1 and count(shop, OutboxMessage) == 1


@pytest.mark.parametrize("same_text", [True, False])
def test_guest_declarations_are_each_received_with_unique_gapless_numbers(shop, users, same_text):
    """A guest's identity is not proven: every confirmed form is received, none reveals another's."""
    delivered_orders(shop, {"770000": [_item("NL-1", "79.95")]})
    results = race(THREADS, lambda i: _confirm_later(shop, None, reason="" if same_text else f"Grund {i}"))
    assert {status for status, _ in results} == {303}
    numbers = sorted(location.rsplit("/", 1)[1] for _, location in results)
    assert numbers == [f"W-2026-{i:06d}" for i in range(1, THREADS + 1)]
    assert count(shop, OutboxMessage) == THREADS


# --- a transaction that loses a race is run again, then answered with 409 ---------------------------------

class _Deadlock(Exception):
    sqlstate = "40P01"


def _deadlock():
    return OperationalError("UPDATE product_variant …", {}, _Deadlock("deadlock detected"))


@pytest.mark.parametrize("failures, status", [(1, 201), (2, 201), (3, 409), (5, 409)])
def test_a_deadlocked_return_is_retried_then_refused_with_409(shop, users, monkeypatch, failures, status):
    import app.returns.service as service

    delivered_orders(shop, {"780000": [_item("NL-1", "79.95")]})
    real, calls = service.submit_return, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) <= failures:
            raise _deadlock()
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "submit_return", flaky)
    client, headers = signed_in(shop)
    response = client.post("/api/returns", json=refund("780000", "NL-1"), headers=headers)
    assert response.status_code == status
    assert len(calls) == min(failures + 1, 3)
    if status == 409:
        assert response.get_json()["error"]["code"] == "conflict"
        assert count(shop, ReturnRequest) == 0 and count(shop, OutboxMessage) == 0


def test_a_deadlock_anywhere_else_answers_409_not_500(shop, users, monkeypatch):
    delivered_orders(shop, {"790000": [_item("NL-1", "79.95")]})
    client, headers = signed_in(shop)
    client.post("/api/returns", json=refund("790000", "NL-1"), headers=headers)
    agent, agent_headers = signed_in(shop, "agent@example.com")

    def deadlocked(*args, **kwargs):
        raise _deadlock()

    monkeypatch.setattr("app.returns.api.advance", deadlocked)
    response = agent.post("/api/returns/R-2026-000001/status", json={"status": "received"}, headers=agent_headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_two_agents_pressing_one_step_of_a_return_in_the_console_move_it_once(shop, users):
    """The console's form carries the status the agent saw: the slower agent is told a colleague was quicker."""
    import re

    from app.returns.models import ReturnEvent

    delivered_orders(shop, {"751000": [_item("NL-LMP", "149.00")]})
    client, headers = signed_in(shop)
    number = client.post("/api/returns", headers=headers, json=refund("751000", "NL-LMP")).get_json()["return_number"]

    def prepare(i):
        agent, _ = signed_in(shop, "agent@example.com")
        page = agent.get(f"/agent/retouren/{number}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

        def fire():
            response = agent.post(f"/agent/retouren/{number}/status", follow_redirects=True,
                                  data={"csrf_token": token, "status": "received", "seen_status": "registered"})
            return response.status_code, response.get_data(as_text=True)

        return fire

    results = race(THREADS, prepare)
    assert [status for status, _ in results] == [200] * THREADS
    won = [html for _, html in results if "Die Kundin/der Kunde wird per E-Mail informiert" in html]
    lost = [html for _, html in results if "inzwischen von jemand anderem auf „Eingegangen“ gesetzt" in html]
    assert len(won) == 1 and len(lost) == THREADS - 1
    with shop.app_context():
        ret_id = db.session.scalar(select(ReturnRequest.id).where(ReturnRequest.number == number))
    assert count(shop, ReturnEvent, ReturnEvent.return_id == ret_id, ReturnEvent.status == "received") == 1
    assert count(shop, OutboxMessage, OutboxMessage.dedupe_key == f"return-status:{number}:received") == 1
