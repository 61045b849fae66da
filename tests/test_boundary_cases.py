"""Odd input at the edges of cases, contact, chat, agent and sign-in: tables of inputs per endpoint.

Every row is a request a careless customer or an attacker sends; each must get the expected 4xx
with its error code (never a 5xx), on SQLite and PostgreSQL, and write nothing.
"""
from __future__ import annotations


import pytest
from sqlalchemy import func, select, tuple_

from app import create_app
from app.cases.models import AgentPresence, Case, CaseEvent, CaseMessage, ContactDeflection
from app.extensions import db, limiter
from app.outbox.models import OutboxMessage
from tests.agent_helpers import (AGENT, NOW, OTHER_AGENT, Clock, agent_client, customer_client, email_case,
                                 open_case, post_json, seed_shop_orders)
from tests.conftest import FIXTURE_CONTENT, _base_config, _clear_tables, api_token, csrf_token_from

GUEST = {"topic": "sonstiges", "message": "Eine Frage per E-Mail, bitte melden.", "channel": "email",
         "name": "Kim Berg", "email": "kim.berg@example.com"}
CHAT = {"topic": "sonstiges", "message": "Kurze Frage zum Versand bitte.", "channel": "chat"}
TEXT_FIELDS = ("topic", "message", "channel", "name", "email", "order_number", "postcode", "article", "phone",
               "callback_slot", "desired_outcome")
RECORDS = (Case, OutboxMessage, CaseEvent, CaseMessage, ContactDeflection, AgentPresence)


# --- one shop per module and database; every case gets it back as it was ----------------------------------
#
# Building the app, seeding the shop and signing in cost ~0.5 s, far more than a case. So the shop (the same
# one tests/agent_helpers.py `shop` seeds) is built once per database, Kim and the agent sign in once, and
# every case starts from the same rows, with rate limits cleared and fresh clients carrying the sign-in cookie.
# After each case every table is put back as it was before it (rows added are deleted, rows changed or
# removed are restored), so a case that writes (an accepted value) leaves nothing for the next one.

def _seed_shop(app):
    """The rows of tests/agent_helpers.py `shop`: Kim (K-1), Jan (K-2), their orders, two agents."""
    from app.accounts.models import User
    from app.shop.models import Customer

    seed_shop_orders(app)
    with app.app_context():
        for email, password, role, name, ref in (
                ("kim.berg@example.com", "richtig-gutes-passwort", "customer", "Kim Berg", "K-1"),
                ("jan.ode@example.com", "richtig-gutes-passwort", "customer", "Jan Ode", "K-2"),
                (AGENT[0], AGENT[1], "agent", "Jonas Weber", None),
                (OTHER_AGENT[0], OTHER_AGENT[1], "agent", "Mia Roth", None)):
            user = User(email=email, name=name, role=role)
            user.set_password(password)
            if ref:
                user.customer_id = db.session.scalar(select(Customer.id).where(Customer.external_id == ref))
            db.session.add(user)
            db.session.commit()


def _snapshot() -> dict:
    """Every row of every table, by primary key."""
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            key = [column.name for column in table.primary_key.columns]
            rows[table.name] = {tuple(row[name] for name in key): dict(row)
                                for row in conn.execute(table.select()).mappings()}
    return rows


def _restore(before: dict) -> None:
    """Put every table back to the snapshot: delete added rows, restore changed and removed ones."""
    tables = db.metadata.sorted_tables
    after = _snapshot()
    with db.engine.begin() as conn:
        for table in reversed(tables):
            added = [pk for pk in after[table.name] if pk not in before[table.name]]
            key = list(table.primary_key.columns)
            for pk in added:
                conn.execute(table.delete().where(tuple_(*key) == tuple_(*pk) if len(key) > 1 else key[0] == pk[0]))
        for table in tables:
            key = list(table.primary_key.columns)
            for pk, row in before[table.name].items():
                where = tuple_(*key) == tuple_(*pk) if len(key) > 1 else key[0] == pk[0]
                now = after[table.name].get(pk)
                if now is None:
                    conn.execute(table.insert().values(**row))
                elif now != row:
                    conn.execute(table.update().where(where).values(**row))
    assert _snapshot() == before, "a case left rows behind"


def _reset_limits() -> None:
    """Clear every count of the shared limiter: its storage and the in-memory fallback it switches to
    when it takes the storage for dead (with memory:// this happens, and reset() alone misses it)."""
    limiter.reset()
    fallback = getattr(limiter, "_fallback_storage", None)
    if fallback is not None:
        fallback.reset()


@pytest.fixture(scope="module")
def shared_shop(database_url, fixture_index):
    """The seeded shop once per database, with the sign-in cookies of Kim and the agent."""
    with pytest.MonkeyPatch.context() as patch:
        # The clock of tests/agent_helpers.py: Monday 16 November 2026, 10:00 in Hamburg (the service is open).
        patch.setattr("app.contact.views.now", Clock(NOW))
        app = create_app(_base_config(database_url, FIXTURE_CONTENT, fixture_index))
        try:
            _seed_shop(app)
            cookies = {"kim": customer_client(app).get_cookie("session").value,
                       "agent": agent_client(app).get_cookie("session").value}
            with app.app_context():
                rows = _snapshot()
            yield app, cookies, rows
        finally:
            with app.app_context():
                _clear_tables()
                db.engine.dispose()
            _reset_limits()


@pytest.fixture
def shop(shared_shop):
    """The shared shop as it was seeded, rate limits cleared; put back as it was after the case."""
    app, _cookies, rows = shared_shop
    _reset_limits()
    yield app
    _reset_limits()
    with app.app_context():
        _restore(rows)


def _signed_in(shared_shop, who: str):
    app, cookies, _rows = shared_shop
    client = app.test_client()
    client.set_cookie("session", cookies[who])
    return client


@pytest.fixture
def kim(shop, shared_shop):
    """A fresh client signed in as Kim (the session cookie of her sign-in)."""
    return _signed_in(shared_shop, "kim")


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in RECORDS}


def deep(levels: int):
    value = "unten"
    for _ in range(levels):
        value = {"a": value}
    return value


def error_of(response) -> dict:
    assert response.is_json, response.get_data(as_text=True)[:200]
    return response.get_json()["error"]


# --- POST /api/cases -------------------------------------------------------------------------------------

BAD_CHARACTERS = ["a\x00b", "a\x07b", "\x1b[31mrot", "a\x7fb"]
NOT_TEXT = [2 ** 64, 10 ** 30, -(2 ** 63) - 1, 1.5, 1e308, True, [], ["a"], {}, {"a": "b"}]

CASE_ROWS = (
    [(field, value, 400, "bad_characters") for field in TEXT_FIELDS for value in BAD_CHARACTERS]
    + [(field, value, 422, "invalid_request") for field in TEXT_FIELDS for value in NOT_TEXT]
    + [(field, "C1-\u0085-Steuerzeichen", 422, "invalid_request") for field in ("name", "message", "topic")]
    + [("skus", value, 422, "invalid_request") for value in ("NL-1", 5, {"a": 1}, [2 ** 64], [None], [[]], ["x" * 41],
                                                              ["NL-1"] * 51)]
    + [("phone_consent", value, 422, "invalid_request") for value in ({}, [], "vielleicht", 2 ** 64)]
)


@pytest.mark.parametrize("field,value,status,code", CASE_ROWS,
                         ids=[f"{f}-{i}" for i, (f, *_rest) in enumerate(CASE_ROWS)])
def test_case_api_refuses_odd_values_per_field(shop, field, value, status, code):
    client = shop.test_client()
    before = counts(shop)
    response = post_json(client, "/api/cases", {**GUEST, field: value})
    assert response.status_code == status
    error = error_of(response)
    assert error["code"] == code and error["message"]
    if status == 422:
        assert field in {name.split(".")[0] for name in error["fields"]}
    assert counts(shop) == before


@pytest.mark.parametrize("body,content_type,status,code", [
    ({**GUEST, "message": deep(30)}, "application/json", 400, "bad_json"),
    ({**GUEST, "extra": deep(50)}, "application/json", 400, "bad_json"),
    ({**GUEST, "message": "x" * (1024 * 1024 + 10)}, "application/json", 413, "too_large"),
    ("kaputt{", "application/json", 422, "invalid_request"),
    ('{"topic": "sonstiges",', "application/json", 422, "invalid_request"),
    ("[1, 2, 3]", "application/json", 422, "invalid_request"),
    ('"nur Text"', "application/json", 422, "invalid_request"),
    ("null", "application/json", 422, "invalid_request"),
    ("topic=sonstiges", "application/x-www-form-urlencoded", 422, "invalid_request"),
    ('{"message": NaN}', "application/json", 400, "bad_json"),
])
def test_case_api_refuses_bodies_that_are_no_case(shop, body, content_type, status, code):
    import json

    client = shop.test_client()
    before = counts(shop)
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/api/cases", data=data, content_type=content_type,
                           headers={"X-CSRFToken": api_token(client)})
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert counts(shop) == before


@pytest.mark.parametrize("key", [
    "kurz", "", " " * 10, "mit leerzeichen 123", "schlüssel-12345", "\u00e9" * 12, "x" * 101, "key/with/slash",
    "key;drop table", "😀😀😀😀😀😀😀😀",
])
def test_case_api_refuses_malformed_idempotency_keys(shop, key):
    client = shop.test_client()
    before = counts(shop)
    headers = {"X-CSRFToken": api_token(client), "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    response = client.post("/api/cases", json=GUEST, headers=headers)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_request" and "Idempotency-Key" in error["fields"]
    assert counts(shop) == before


@pytest.mark.parametrize("signed_in", [False, True])
def test_longest_idempotency_key_is_stored_and_answers_the_retry(shop, kim, signed_in):
    # 100 characters within the caller's scope used to overflow the 100-character key column (a 500 on PostgreSQL).
    client = kim if signed_in else shop.test_client()
    body = email_case() if signed_in else GUEST
    key = "k" * 100
    first = post_json_with_key(client, body, key)
    again = post_json_with_key(client, body, key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["case_number"] == again.get_json()["case_number"]
    assert counts(shop)["Case"] == 1


def post_json_with_key(client, body, key):
    return client.post("/api/cases", json=body, headers={"X-CSRFToken": api_token(client), "Idempotency-Key": key})


# --- one e-mail validator, on the API and the form ------------------------------------------------------

MISTYPED_EMAILS = [
    "kim.berg.example.com",            # no @
    "kim@@example.com",                # two @ together
    "kim@berg@example.com",            # two @
    "kim berg@example.com",            # space in the local part
    "kim@exa mple.com",                # space in the domain
    "kim@example.com.",                # trailing dot
    "kim@example",                     # no TLD
    "kim@localhost",                   # no dot at all
    "kim@.example.com",                # empty label
    "kim@example..com",                # empty label
    "kim.@example.com",                # dot before @
    ".kim@example.com",                # leading dot
    "kim..berg@example.com",           # two dots
    "@example.com",                    # no local part
    "kim@",                            # no domain
    "Kim Berg <kim@example.com>",      # display name
    "<kim@example.com>",               # angle brackets
    "kim@example.com, jan@example.com",  # two addresses
    "kim@example.com;jan@example.com",   # two addresses
    "kim@example.com\r\nBcc: x@y.z",   # header injection
    "kim@example.com\nBcc: x@y.z",     # header injection
    '"kim"@example.com',               # quoted local part
    "kim@[127.0.0.1]",                 # address literal
    "kim@-example.com",                # label starting with a hyphen
    "jürgen@example.com",              # non-ASCII local part (needs SMTPUTF8)
    "x" * 250 + "@example.com",        # too long
    "kim@exam_ple.com",                # underscore in the domain
]


@pytest.mark.parametrize("email", MISTYPED_EMAILS)
def test_case_api_refuses_every_mistyped_email(shop, email):
    client = shop.test_client()
    before = counts(shop)
    response = post_json(client, "/api/cases", {**GUEST, "email": email})
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"email"}
    assert counts(shop) == before


@pytest.mark.parametrize("email", MISTYPED_EMAILS)
def test_contact_form_refuses_every_mistyped_email_with_a_field_message(shop, email):
    client = shop.test_client()
    before = counts(shop)
    token = csrf_token_from(client, "/kontakt")
    data = {"csrf_token": token, "submission_id": "f" * 32, **GUEST}
    response = client.post("/kontakt", data={**data, "email": email})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte prüfen Sie Ihre E-Mail-Adresse" in html or "Bitte geben Sie Ihre E-Mail-Adresse an" in html
    assert counts(shop) == before


@pytest.mark.parametrize("email,stored", [
    ("kim@bücher.de", "kim@bücher.de"),                  # internationalised domain
    ("kim@xn--bcher-kva.de", "kim@bücher.de"),           # the same in punycode
    ("Kim.Berg@Example.COM", "Kim.Berg@example.com"),  # domain case folded
    ("  kim@example.com  ", "kim@example.com"),          # surrounding spaces
    ("kim+hilfe@example.co.uk", "kim+hilfe@example.co.uk"),
])
def test_valid_addresses_are_accepted_and_stored_normalised(shop, email, stored):
    client = shop.test_client()
    response = post_json(client, "/api/cases", {**GUEST, "email": email})
    assert response.status_code == 201, response.get_json()
    with shop.app_context():
        assert db.session.scalar(select(Case.contact_email)) == stored.lower()


# --- the contact form ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["name", "message", "order_number", "postcode", "topic", "submission_id", "article"])
@pytest.mark.parametrize("value", ["a\x00b", "Zeile\x1b[2J"])
def test_contact_form_shows_control_characters_as_a_field_message(shop, field, value):
    client = shop.test_client()
    before = counts(shop)
    token = csrf_token_from(client, "/kontakt")
    response = client.post("/kontakt", data={"csrf_token": token, **GUEST, field: value})
    assert response.status_code == 422
    assert "<form" in response.get_data(as_text=True)
    assert counts(shop) == before


@pytest.mark.parametrize("filename", ["foto\x00.jpg", "../../etc/passwd", "\u202egpj.exe", "a" * 500 + ".jpg", ""])
def test_contact_form_attachment_names_never_break_the_submit(shop, filename):
    import io

    client = shop.test_client()
    token = csrf_token_from(client, "/kontakt")
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 100
    response = client.post("/kontakt", data={"csrf_token": token, **GUEST,
                                             "attachments": (io.BytesIO(jpeg), filename)},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 400, 422)
    with shop.app_context():
        from app.cases.models import CaseAttachment

        for name in db.session.scalars(select(CaseAttachment.filename)):
            assert "\x00" not in name and "/" not in name and "\u202e" not in name and len(name) <= 150


# --- GET /api/cases/<number>, GET /api/contact/availability -----------------------------------------------

@pytest.mark.parametrize("path,status,code", [
    ("/api/cases/NL-2026-000001%00", 400, "bad_characters"),
    ("/api/cases/%1b%5b2J", 400, "bad_characters"),
    ("/api/cases/" + "9" * 5000, 404, "not_found"),
    ("/api/cases/NL-2026-999999", 404, "not_found"),
    ("/api/cases/%27%20OR%201%3D1%20--", 404, "not_found"),
    ("/api/cases/%C3%BC%E2%82%AC", 404, "not_found"),
    ("/api/contact/availability?x=%00", 400, "bad_characters"),
    ("/api/contact/availability?" + "a=1&" * 500, 200, None),
])
def test_case_reads_refuse_odd_paths(shop, path, status, code):
    response = shop.test_client().get(path)
    assert response.status_code == status
    if code:
        assert error_of(response)["code"] == code


# --- /api/auth/login --------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,status,code", [
    ({"email": 2 ** 64, "password": "x"}, 400, "invalid_request"),
    ({"email": "kim.berg@example.com", "password": 10 ** 30}, 400, "invalid_request"),
    ({"email": [], "password": "x"}, 400, "invalid_request"),
    ({"email": {"$ne": None}, "password": {"$ne": None}}, 400, "invalid_request"),
    ({"email": "kim.berg@example.com", "password": "x" * 2000}, 400, "invalid_request"),
    ({"email": "kim.berg@example.com"}, 400, "invalid_request"),
    ({"email": "kim\x00@example.com", "password": "x"}, 400, "bad_characters"),
    ({"email": "kim.berg@example.com", "password": "a\x00"}, 400, "bad_characters"),
    ({"email": deep(40), "password": "x"}, 400, "bad_json"),
    ({"email": "kim.berg@example.com", "password": 1.5}, 400, "invalid_request"),
    ({"email": "x" * 300, "password": "falsch"}, 400, "invalid_request"),
    ({"email": "kim.berg@example.com", "password": "falsch"}, 401, "invalid_credentials"),
])
def test_login_api_refuses_odd_bodies(shop, body, status, code):
    response = shop.test_client().post("/api/auth/login", json=body)
    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_login_api_wants_json_and_a_json_object(shop):
    client = shop.test_client()
    assert error_of(client.post("/api/auth/login", data={"email": "a"}))["code"] == "unsupported_media_type"
    assert client.post("/api/auth/login", data="[1]", content_type="application/json").status_code == 422
    assert client.get("/api/auth/me").status_code == 401


# --- the agent API ------------------------------------------------------------------------------------------

@pytest.fixture
def work(shop, shared_shop):
    """An e-mail case of Kim's, a chat case, the agent's client; counts taken after."""
    number = open_case(_signed_in(shared_shop, "kim"), email_case())
    agent = _signed_in(shared_shop, "agent")
    post_json(agent, "/api/agent/presence", {"status": "online"})
    chat = open_case(_signed_in(shared_shop, "kim"), CHAT)
    return agent, number, chat


AGENT_POSTS = (
    [("resolve", {"outcome": value}, 422, "invalid_outcome") for value in (2 ** 64, 1.5, [], {}, None, "weg", "")]
    + [("resolve", {"outcome": "solved", "note": value}, 422, "invalid_request") for value in (10 ** 30, [], {"a": 1})]
    + [("resolve", {"outcome": "solved", "note": "a\x00b"}, 400, "bad_characters")]
    + [("resolve", {"outcome": "solved", "note": "x" * 5001}, 422, "invalid_request")]
    + [("resolve", deep(25), 400, "bad_json")]
    + [("chat", {"body": value}, 422, "invalid_request")
       for value in (2 ** 64, 1.5, [], {}, None, "", "   ", "x" * 2001)]
    + [("chat", {"body": "Hallo\x00"}, 400, "bad_characters")]
)


@pytest.mark.parametrize("action,body,status,code", AGENT_POSTS,
                         ids=[f"{a}-{i}" for i, (a, *_rest) in enumerate(AGENT_POSTS)])
def test_agent_api_refuses_odd_bodies(shop, work, action, body, status, code):
    agent, number, chat = work
    target = chat if action == "chat" else number
    before = counts(shop)
    response = post_json(agent, f"/api/agent/cases/{target}/{action}", body)
    assert response.status_code == status
    assert error_of(response)["code"] == code
    assert counts(shop) == before


@pytest.mark.parametrize("body,status,code", [
    ({"status": 1.5}, 422, "invalid_status"),
    ({"status": 2 ** 64}, 422, "invalid_status"),
    ({"status": ["online"]}, 422, "invalid_status"),
    ({"status": "busy"}, 422, "invalid_status"),
    ({"status": "online\x00"}, 400, "bad_characters"),
    ({}, 422, "invalid_status"),
])
def test_agent_presence_refuses_odd_states(shop, work, body, status, code):
    agent = work[0]
    response = post_json(agent, "/api/agent/presence", body)
    assert response.status_code == status and error_of(response)["code"] == code
    assert post_json(agent, "/api/agent/presence", {"status": "away"}).get_json() == {"status": "away"}


@pytest.mark.parametrize("query,status,code", [
    ("after=18446744073709551616", 422, "invalid_request"),
    ("after=-1", 422, "invalid_request"),
    ("after=1.5", 422, "invalid_request"),
    ("after=eins", 422, "invalid_request"),
    ("after=%00", 400, "bad_characters"),
    ("after=9223372036854775807", 422, "invalid_request"),
    ("after=2147483648", 422, "invalid_request"),
    ("after=2147483647", 200, None),
])
def test_chat_polls_refuse_odd_positions(shop, work, kim, query, status, code):
    agent, _number, chat = work
    for client, url in ((agent, f"/api/agent/cases/{chat}/chat"), (kim, f"/kontakt/anfrage/{chat}/chat")):
        # No Accept header: the chat poll answers JSON anyway, also its errors.
        response = client.get(f"{url}?{query}")
        assert response.status_code == status
        assert response.is_json
        if code:
            assert error_of(response)["code"] == code


@pytest.mark.parametrize("query,status,code", [
    ("queue=%00", 400, "bad_characters"),
    ("queue=" + "x" * 500, 422, "invalid_request"),
    ("queue=gibts-nicht", 404, "unknown_queue"),
    ("", 404, "unknown_queue"),
    ("queue=email", 200, None),
])
def test_agent_queue_listing_refuses_odd_names(shop, work, query, status, code):
    response = work[0].get(f"/api/agent/cases?{query}")
    assert response.status_code == status
    if code:
        assert error_of(response)["code"] == code


# --- JSON routes outside /api ---------------------------------------------------------------------------

@pytest.mark.parametrize("body,status,code", [
    ({"body": 2 ** 64}, 422, "invalid_request"),
    ({"body": ["Hallo"]}, 422, "invalid_request"),
    ({"body": {"text": "Hallo"}}, 422, "invalid_request"),
    ({"body": "x" * 2001}, 422, "invalid_request"),
    ({"body": "Hallo\x00"}, 400, "bad_characters"),
    ({"body": deep(30)}, 400, "bad_json"),
])
def test_customer_chat_line_refuses_odd_bodies(shop, work, kim, body, status, code):
    chat = work[2]
    before = counts(shop)
    response = post_json(kim, f"/kontakt/anfrage/{chat}/chat", body)
    assert response.status_code == status and error_of(response)["code"] == code
    assert counts(shop) == before


@pytest.mark.parametrize("value", ["Hallo\x00", "\x1b[2J", "", "x" * 2001])
def test_customer_chat_form_refuses_odd_lines_with_a_message(shop, work, kim, value):
    chat = work[2]
    before = counts(shop)
    token = csrf_token_from(kim, f"/kontakt/anfrage/{chat}")
    response = kim.post(f"/kontakt/anfrage/{chat}/chat", data={"csrf_token": token, "body": value})
    assert response.status_code == 302
    assert counts(shop) == before


def test_unknown_chat_answers_json_without_accept_header(shop, work, kim):
    response = kim.get("/kontakt/anfrage/NL-2026-999999/chat")
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("body,status,code", [
    ({"slug": 2 ** 64}, 422, "invalid_request"),
    ({"slug": ["paypal"]}, 422, "invalid_request"),
    ({"slug": None}, 422, "invalid_request"),
    ({}, 422, "invalid_request"),
    ({"slug": "x" * 500}, 422, "invalid_request"),
    ({"slug": "pay\x00pal"}, 400, "bad_characters"),
    ({"slug": "gibts-nicht"}, 404, "not_found"),
    ({"slug": deep(30)}, 400, "bad_json"),
])
def test_suggestion_beacon_refuses_odd_slugs(shop, body, status, code):
    client = shop.test_client()
    before = counts(shop)
    token = csrf_token_from(client, "/kontakt")
    response = client.post("/kontakt/vorschlag-geoeffnet", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == status and error_of(response)["code"] == code
    assert counts(shop) == before


# The agent console's HTML forms (presence, note, reply, callback, resolve …) are tabled in tests/test_boundary_forms.py.
