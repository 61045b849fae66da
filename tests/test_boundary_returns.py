"""The returns and tracking edges as tables of odd input: always a 4xx (never a 500), and nothing written.

Every string field and path segment gets NUL and other control characters, numbers beyond 64 bits,
floats, lists and objects where text or a whole number belongs, deep JSON; the forms get the same
and show the form again with a message on the field.
"""
import datetime as dt
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.core.uploads import _NAME_STEM_LENGTH as STEM
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.returns.models import ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest
from tests.conftest import (
    FIXTURE_CONTENT,
    _base_config,
    _clear_tables,
    api_token,
    login,
)
from tests.shop_factory import customer, document, event, order, shipment
from tests.test_returns import NOW, _delivered, _form, jacket, post_return
from tests.test_returns import _item as _order_item

# --- one seeded shop per module and database -------------------------------------------------------
# The same shop as tests/test_returns.py's `shop` fixture, built once. Each case starts from exactly the
# seeded content: rows a case adds are deleted after it, and if the tables then differ in any way from
# the seeded snapshot (or another fixture cleared them) the shop is cleared and seeded again.

def _seed_shop(app):
    from werkzeug.security import generate_password_hash

    from app.accounts.models import User
    from app.returns.models import ProductVariant
    from app.shop.cli import apply_import
    from app.shop.models import Customer

    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr("app.returns.views.now", lambda: NOW)
        apply_import(document(
            [customer(), customer("K-2", "jan.ode@example.com", "Jan", "Ode", "10115")],
            [_delivered("600001", dt.date(2026, 11, 13), [
                _order_item("NL-JKT-M-NAVY", "Steppjacke Hamburg", "79.95", size="M", colour="Navy"),
                _order_item("NL-PUL-M", "Strickpullover Merino", "59.95", quantity=2),
                _order_item("NL-HCR", "Handcreme Sanddorn", "7.95", category="Kosmetik"),
                _order_item("NL-SOCK", "Socken", "5.95"),
                _order_item("NL-LMP", "Stehleuchte Bogen", "149.00", category="Wohnen"),
                _order_item("NL-ENG", "Gravierter Becher", "19.95", category="Wohnen", returnable=False)]),
             _delivered("600002", dt.date(2026, 10, 1), [_order_item("NL-OLD", "Chino", "54.95")],
                        tracking="00340434169999"),
             order("600003", status="shipped", shipments=[shipment("00340434160003", "in_transit",
                                                                  [event(dt.date(2026, 11, 15), "in_transit")])]),
             _delivered("600009", dt.date(2026, 11, 13), [_order_item("NL-X", "Schal", "19.95")], cid="K-2",
                        postcode="10115", tracking="00340434160009")]))
        db.session.add_all([
            ProductVariant(sku="NL-JKT-M-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="M",
                           colour="Navy", stock=3),
            ProductVariant(sku="NL-JKT-L-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="L",
                           colour="Navy", stock=1),
            ProductVariant(sku="NL-JKT-S-NAVY", product_code="JKT", name="Steppjacke Hamburg", size="S",
                           colour="Navy", stock=0),
        ])
        db.session.commit()
        # As conftest's make_user: K-1's and K-2's accounts and an agent.
        for email, name, role, ref in [("kim.berg@example.com", "Kim Berg", "customer", "K-1"),
                                       ("jan.ode@example.com", "Jan Ode", "customer", "K-2"),
                                       ("agent@example.com", "Agent", "agent", None)]:
            user = User(email=email, name=name, role=role)
            user.set_password("richtig-gutes-passwort")
            # The same password, hashed with few rounds: each case's sign-in then checks it in microseconds,
            # not the 0.2 s of the default scrypt (these cases are about odd input, not password hashing).
            user.password_hash = generate_password_hash("richtig-gutes-passwort", method="pbkdf2:sha256:1000")
            if ref:
                user.customer_id = db.session.scalar(select(Customer.id).where(Customer.external_id == ref))
            db.session.add(user)
        db.session.commit()


def _snapshot():
    """Every row of every table, in primary-key order."""
    with db.engine.connect() as conn:
        return {table.name: conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                for table in db.metadata.sorted_tables}


def _max_ids():
    with db.engine.connect() as conn:
        return {table.name: conn.scalar(select(func.max(table.c.id)))
                for table in db.metadata.sorted_tables if "id" in table.c and list(table.primary_key.columns) == [table.c.id]}


def _reseed(state):
    app = state["app"]
    with app.app_context():
        _clear_tables()
    _seed_shop(app)
    with app.app_context():
        state["snapshot"], state["max_ids"] = _snapshot(), _max_ids()
    state["dirty"] = False


@pytest.fixture(scope="module")
def _module_shop(database_url, fixture_index):
    from app import create_app

    app = create_app(_base_config(database_url, FIXTURE_CONTENT, fixture_index))
    state = {"app": app}
    _reseed(state)
    state["dirty"] = False
    yield state
    with app.app_context():
        _clear_tables()
        db.engine.dispose()


@pytest.fixture
def shop(_module_shop, monkeypatch):
    from app.extensions import limiter

    app = _module_shop["app"]
    if _module_shop["dirty"]:
        _reseed(_module_shop)
    limiter.reset()  # the memory storage: no case spends another case's rate-limit budget
    monkeypatch.setattr("app.returns.views.now", lambda: NOW)
    yield app
    # Delete what the case added (newest tables first), put back what it changed, and check the tables are
    # exactly as seeded; if not, the next case gets a freshly seeded shop.
    _module_shop["dirty"] = True
    with app.app_context(), db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name in _module_shop["max_ids"]:
                newest = _module_shop["max_ids"][table.name]
                conn.execute(table.delete().where(table.c.id > newest) if newest is not None else table.delete())
    # Put back the seeded values of rows a case changed (signing in stamps user_account.last_login_at).
    with app.app_context():
        current = _snapshot()
        restored = False
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                seeded = _module_shop["snapshot"][table.name]
                if current[table.name] == seeded:
                    continue
                restored = True
                if not seeded:  # e.g. the return and case number sequences
                    conn.execute(table.delete())
                    continue
                keys = list(table.primary_key.columns)
                now = {tuple(getattr(row, key.name) for key in keys): row for row in current[table.name]}
                for row in seeded:
                    changed = now.get(tuple(getattr(row, key.name) for key in keys))
                    if changed is not None and changed != row:
                        values = {name: value for name, value in row._asdict().items()
                                  if getattr(changed, name) != value}
                        conn.execute(table.update().where(*(key == getattr(row, key.name) for key in keys))
                                     .values(values))
        _module_shop["dirty"] = restored and _snapshot() != _module_shop["snapshot"]
    limiter.reset()


@pytest.fixture
def empty_tables(_module_shop):
    """For the cases that seed their own data on a fresh app: the tables empty, as make_app leaves them."""
    from app.extensions import limiter

    with _module_shop["app"].app_context():
        _clear_tables()
    _module_shop["dirty"] = True
    limiter.reset()


@pytest.fixture
def client(shop):
    return shop.test_client()


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (ReturnRequest, ReturnItem, ReturnEvent, ReturnPhoto, OutboxMessage))


def _item(**change):
    return {**jacket()["items"][0], **change}


def _deep(levels: int):
    value = "x"
    for _ in range(levels):
        value = {"a": value}
    return value


STRING_FIELDS = [
    lambda v: jacket(order_number=v),
    lambda v: jacket(resolution=v),
    lambda v: jacket(carrier=v),
    lambda v: jacket(exchange_for=v),
    lambda v: jacket(items=[_item(sku=v)]),
    lambda v: jacket(items=[_item(reason=v)]),
    lambda v: jacket(items=[_item(comment=v)]),
    lambda v: jacket(items=[_item(exchange_for=v)]),
]
FIELD_NAMES = ["order_number", "resolution", "carrier", "exchange_for", "items.0.sku", "items.0.reason",
               "items.0.comment", "items.0.exchange_for"]
# C0 controls are refused at the door (400); C1 controls and DEL by the schema with a message on the field (422).
BAD_TEXT = [("nul", "600\x00001", 400), ("escape", "a\x1b[31m", 400), ("bell", "zu\x07gross", 400),
            ("c1", "zu\x85gross", 422), ("csi", "x\x9b2J", 422), ("del", "x\x7f", 400)]
WRONG_TYPES = [("int64+", 2 ** 64, 422), ("huge", 10 ** 30, 422), ("float", 1.5, 422), ("list", ["600001"], 422),
               ("object", {"a": 5}, 422), ("true", True, 422)]


@pytest.mark.parametrize("build,name", list(zip(STRING_FIELDS, FIELD_NAMES)), ids=FIELD_NAMES)
def test_create_return_refuses_odd_values_in_every_text_field(shop, client, build, name):
    login(client)
    before = _counts(shop)
    for label, value, status in BAD_TEXT + WRONG_TYPES:
        response = post_return(client, build(value))
        assert response.status_code == status, (name, label, response.get_json())
        error = response.get_json()["error"]
        if status == 422:
            assert any(key == name or key.startswith(name + ".") for key in error["fields"]), (label, error)
    assert _counts(shop) == before


WRONG_SHAPES = [
    (jacket(items=[_item(quantity=2 ** 64)]), "items.0.quantity"),
    (jacket(items=[_item(quantity=-(2 ** 63) - 1)]), "items.0.quantity"),
    (jacket(items=[_item(quantity=10 ** 30)]), "items.0.quantity"),
    (jacket(items=[_item(quantity=1.0)]), "items.0.quantity"),
    (jacket(items=[_item(quantity="1")]), "items.0.quantity"),
    (jacket(items=[_item(quantity=[1])]), "items.0.quantity"),
    (jacket(items=[_item(quantity=None)]), "items.0.quantity"),
    (jacket(items=[_item(quantity=True)]), "items.0.quantity"),
    (jacket(items="NL-JKT-M-NAVY"), "items"),
    (jacket(items={"sku": "NL-JKT-M-NAVY"}), "items"),
    (jacket(items=[]), "items"),
    (jacket(items=[_item(sku=f"NL-{n}") for n in range(51)]), "items"),
    (jacket(items=["NL-JKT-M-NAVY"]), "items.0"),
    (jacket(items=[_item(comment="x" * 10_000)]), "items.0.comment"),
    (jacket(order_number="6" * 41), "order_number"),
    (jacket(order_number=""), "order_number"),
    (jacket(exchange_for={"NL-JKT-M-NAVY": 5}), "exchange_for"),
    (jacket(exchange_for={"NL-JKT-M-NAVY": "x" * 65}), "exchange_for"),
    ({"items": jacket()["items"]}, "order_number"),
]


def test_create_return_refuses_wrong_shapes(shop, client):
    login(client)
    before = _counts(shop)
    for body, field in WRONG_SHAPES:
        response = post_return(client, body)
        assert response.status_code == 422, (field, response.get_json())
        assert field in response.get_json()["error"]["fields"], (field, response.get_json())
    assert _counts(shop) == before


MALFORMED = [
    ("[1, 2]", 422), ('"text"', 422), ("null", 422), ("{", 422), ("1e999", 400),
    ('{"order_number": "600001", "items": [' + "[" * 30 + "]" * 30 + "]}", 400),
    ('{"order_number": ' + '{"a": ' * 30 + "1" + "}" * 30 + "}", 400),
    ('{"order_number": "' + "9" * 5000 + '"}', 422),
    ('{"items": [{"quantity": ' + "9" * 5000 + "}]}", 422),  # beyond Python's int parsing: not JSON we read
]


def test_create_return_refuses_malformed_json(shop, client):
    login(client)
    before = _counts(shop)
    token = api_token(client)
    for raw, status in MALFORMED:
        response = client.post("/api/returns", data=raw, headers={"X-CSRFToken": token,
                                                                  "Content-Type": "application/json"})
        assert response.status_code == status, (raw[:40], response.get_data(as_text=True)[:300])
        assert response.is_json and "error" in response.get_json()
    assert _counts(shop) == before


ODD_PATHS = [
    ("/api/returns/R-2026-%00001", 400),
    ("/api/returns/R-2026-%1b001", 400),
    ("/api/returns/" + "R" * 10_000, 404),
    ("/api/returns/R-2026-%C2%85", 404),
    ("/api/returns/R-2026-000001/label.pdf?t=%00", 400),
    ("/api/returns/R-2026-000001/label.pdf?t=" + "a" * 5000, 422),
    ("/api/returns/R-2026-000001/qr.png?t=%C2%9b", 422),
    ("/api/returns/%00/qr.png", 400),
    ("/api/returns/R-2026-000001?t=" + "x" * 201, 422),
    ("/api/orders/%00/returnable", 400),
    ("/api/orders/" + "6" * 10_000 + "/returnable", 404),
    ("/api/orders/600001%7f/returnable", 400),
    ("/api/orders/%00/tracking", 400),
    ("/api/orders/" + "6" * 10_000 + "/tracking", 404),
    ("/retouren/" + "R" * 10_000, 404),
    ("/retouren/R-2026-000001?t=%00", 400),
    ("/retouren/bestellung/%00", 400),
    ("/sendungsverfolgung/" + "6" * 10_000, 404),
    ("/sendungsverfolgung/600001/nicht-erhalten?schritt=%00", 400),
]


@pytest.mark.parametrize("signed_in", [True, False], ids=["customer", "anonymous"])
def test_odd_path_segments_and_query_values(shop, client, signed_in):
    if signed_in:
        login(client)
    for path, status in ODD_PATHS:
        response = client.get(path)
        assert response.status_code == status, path[:80]


def test_the_signed_link_token_still_opens_the_label(shop, client):
    from app.returns.access import return_link_token

    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    with shop.test_request_context():
        token = return_link_token(db.session.scalar(select(ReturnRequest)))
    guest = shop.test_client()
    assert guest.get(f"/api/returns/{number}/label.pdf?t={token}").headers["Content-Type"] == "application/pdf"
    assert guest.get(f"/api/returns/{number}/label.pdf?t=falsch").status_code == 404


AGENT_BODIES = [
    ({"status": "received\x00"}, 400, None),
    ({"status": "received", "note": "ok\x00"}, 400, None),
    ({"status": "received", "note": "o\x85k"}, 422, "note"),
    ({"status": "received", "note": "x" * 501}, 422, "note"),
    ({"status": ["received"]}, 422, "status"),
    ({"status": 2 ** 64}, 422, "status"),
    ({"status": 1.5}, 422, "status"),
    ({"status": {"a": 1}}, 422, "status"),
    ({"status": "received", "note": 10 ** 30}, 422, "note"),
    ({"note": "ok"}, 422, "status"),
    ({"status": "teleportiert"}, 409, None),
]


def test_agent_status_refuses_odd_bodies(shop, client):
    login(client)
    number = post_return(client, jacket()).get_json()["return_number"]
    agent = shop.test_client()
    login(agent, "agent@example.com")
    token = api_token(agent)
    before = _counts(shop)
    for body, status, field in AGENT_BODIES:
        response = agent.post(f"/api/returns/{number}/status", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == status, (body, response.get_json())
        if field:
            assert response.get_json()["error"]["field"] == field
    assert _counts(shop) == before


def test_agent_status_answers_401_before_reading_the_body(shop, client):
    anonymous = shop.test_client()
    response = anonymous.post("/api/returns/R-2026-000001/status", data="[",
                              headers={"X-CSRFToken": api_token(anonymous), "Content-Type": "application/json"})
    assert response.status_code == 401


# --- tracking --------------------------------------------------------------------------------------

LOOKUPS = [
    ({"order_number": "600001\x00", "postcode": "20095"}, 400),
    ({"order_number": "600001", "postcode": "20095\x1b"}, 400),
    ({"order_number": "6000\x8501", "postcode": "20095"}, 400),
    ({"order_number": 600001, "postcode": "20095"}, 400),
    ({"order_number": 2 ** 64, "postcode": "20095"}, 400),
    ({"order_number": "600001", "postcode": 20095.0}, 400),
    ({"order_number": ["600001"], "postcode": "20095"}, 400),
    ({"order_number": {"n": "600001"}, "postcode": "20095"}, 400),
    ({"order_number": "6" * 10_000, "postcode": "20095"}, 400),
    ({"order_number": "600001"}, 400),
    ({"order_number": "600001", "postcode": _deep(30)}, 400),
    ([{"order_number": "600001", "postcode": "20095"}], 400),
    ({"order_number": "600001", "postcode": "99999"}, 404),
]


@pytest.mark.parametrize("chunk", [LOOKUPS[:7], LOOKUPS[7:]], ids=["first", "second"])
def test_tracking_lookup_refuses_odd_bodies(empty_tables, app, make_user, chunk):
    from tests.test_tracking_flow import _setup

    _setup(app, make_user)
    client = app.test_client()
    for body, status in chunk:  # each chunk within the shared lookup budget (10 a minute)
        response = client.post("/api/tracking/lookup", json=body)
        assert response.status_code == status, body
        assert response.get_json()["error"]["code"] in ("invalid_request", "bad_characters", "bad_json", "not_found")
    # Nothing was proven: the orders stay hidden.
    assert client.get("/api/orders/300001/tracking").status_code == 404


@pytest.mark.parametrize("url", ["/sendungsverfolgung", "/retouren"])
@pytest.mark.parametrize("data,message", [
    ({"order_number": "6000\x8501", "postcode": "20095"}, "Steuerzeichen"),
    ({"order_number": "600001", "postcode": "20095\x00"}, "Steuerzeichen"),
    ({"order_number": "6" * 41, "postcode": "20095"}, "Höchstens 40 Zeichen"),
    ({"order_number": "", "postcode": "20095"}, "Bitte ausfüllen"),
    ({"order_number": "600001", "postcode": "99999"}, "haben wir keine Bestellung gefunden"),
])
def test_guest_lookup_forms_show_the_message_on_the_field(shop, url, data, message):
    from tests.conftest import csrf_token_from

    client = shop.test_client()
    response = client.post(url, data={**data, "csrf_token": csrf_token_from(client, url)})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert "\x00" not in response.get_data(as_text=True)
    assert client.get("/api/orders/600001/tracking").status_code == 404


@pytest.mark.parametrize("found,status", [("ja", 200), ("vielleicht", 422), ("ja\x00", 422), ("", 422)])
def test_not_received_answer_is_parsed(shop, client, found, status):
    from app.shop.models import Order

    login(client)
    with shop.app_context():
        assert db.session.scalar(select(Order).where(Order.number == "600001")).status == "delivered"
    url = "/sendungsverfolgung/600001/nicht-erhalten?schritt=abc"
    from tests.conftest import csrf_token_from
    token = csrf_token_from(client, url)
    response = client.post(url, data={"found": found, "csrf_token": token})
    assert response.status_code == status
    if status == 422:
        assert "Schritt 1 von 5" in response.get_data(as_text=True)


# --- the returns form ------------------------------------------------------------------------------

@pytest.mark.parametrize("field,value,message", [
    ("comment", "kaputt\x00", "Steuerzeichen"),
    ("comment", "kaputt\x9b", "Steuerzeichen"),
    ("comment", "x" * 6000, "Höchstens 5000 Zeichen"),
    ("quantity", "99999999999999999999999", "Darf höchstens 999 sein"),
    ("quantity", "1.5", "ganze Zahl"),
    ("reason", "zu-gross\x1b", "Steuerzeichen"),
    ("exchange_for", "NL\x00", "Steuerzeichen"),
])
def test_the_returns_form_shows_odd_values_on_the_field(shop, client, field, value, message):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    data = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY",
            f"{prefix}-selected": "y", f"{prefix}-quantity": "1", f"{prefix}-reason": "zu-gross",
            "resolution": "refund", "carrier": "dhl"}
    data[f"{prefix}-{field}"] = value
    before = _counts(shop)
    response = client.post("/retouren/bestellung/600001", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "\x00" not in page and "\x1b" not in page
    assert _counts(shop) == before


@pytest.mark.parametrize("data", [{"submission_id": "x\x00"}, {"resolution": "ref\x85und"}, {"carrier": "d\x9bhl"},
                                  {"submission_id": "x" * 65}])
def test_the_returns_form_refuses_odd_choices(shop, client, data):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-JKT-M-NAVY"]
    form = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-JKT-M-NAVY",
            f"{prefix}-selected": "y", f"{prefix}-quantity": "1", f"{prefix}-reason": "zu-gross",
            "resolution": "refund", "carrier": "dhl", **data}
    before = _counts(shop)
    response = client.post("/retouren/bestellung/600001", data=form)
    assert response.status_code in (400, 422)
    assert _counts(shop) == before


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(out, "JPEG")
    return out.getvalue()


# Shown without paths, control and bidi characters, with the extension of what the file really is.
@pytest.mark.parametrize("name,shown", [
    ("lampe\x00.jpg", "lampe.jpg"),
    ("lam\u202epgj.exe", "lampgj.jpg"),
    ("../../etc/passwd.jpg", "passwd.jpg"),
    ("x" * 10_000 + ".png", "x" * STEM + ".jpg"),
    ("lampe", "lampe.jpg"),
    ("\x1b\x07", "foto.jpg"),
    ("...", "foto.jpg"),
])
def test_odd_photo_names_are_stored_under_a_random_name_and_shown_cleaned(shop, client, name, shown):
    login(client)
    _, token, submission, skus = _form(client)
    prefix = skus["NL-LMP"]
    data = {"csrf_token": token, "submission_id": submission, f"{prefix}-sku": "NL-LMP", f"{prefix}-selected": "y",
            f"{prefix}-quantity": "1", f"{prefix}-reason": "defekt", "resolution": "refund", "carrier": "dhl",
            f"{prefix}-photos": (io.BytesIO(_jpeg()), name)}
    response = client.post("/retouren/bestellung/600001", content_type="multipart/form-data", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with shop.app_context():
        photo = db.session.scalar(select(ReturnPhoto))
        assert photo.filename == shown
        assert photo.storage_name.endswith(".jpg") and len(photo.storage_name) == 36
