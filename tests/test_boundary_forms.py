"""The HTML forms at their edge (sign-in, password, notifications, article feedback, survey, withdrawal,
agent console, search page): odd input is a 4xx or the form again with the field's message — never a
500, and nothing is written. One e-mail validator with one message on every form; `next` only ever
leads to a path on this site."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pytest
import sqlalchemy as sa

from app import create_app
from app.accounts.models import User
from app.extensions import db, limiter
from app.shop.models import Customer
from tests.agent_helpers import (AGENT, OTHER_AGENT, clock, email_case, open_case, post_json,  # noqa: F401
                                 seed_shop_orders)
from tests.conftest import FIXTURE_CONTENT, _base_config, _clear_tables, csrf_token_from, login

KIM = ("kim.berg@example.com", "richtig-gutes-passwort")


# --- one app per database for the whole module ----------------------------------------------------------------
# Building an app, seeding a shop (four password hashes) and signing in (two more) cost ~0.5 s, and the
# tables below have hundreds of cases. So the app is built once per database, each state ("kim": just Kim's
# account; "shop": the agent tests' shop) is seeded and signed into once, and every case starts from that
# state restored row by row (and with empty rate-limit counters), as if its fixture had just built it.


def _add_user(app, email=KIM[0], password=KIM[1], role="customer", customer_ref=None, name="Kim Berg"):
    """What conftest's make_user does, on the module's app."""
    with app.app_context():
        user = User(email=email, name=name, role=role)
        user.set_password(password)
        if customer_ref:
            user.customer_id = db.session.scalar(sa.select(Customer.id).where(Customer.external_id == customer_ref))
        db.session.add(user)
        db.session.commit()
        return user.id


def _seed_kim(app):
    _add_user(app)
    return {KIM[0]: KIM}


def _seed_shop(app):
    """The body of tests.agent_helpers.shop: Kim (K-1) with three orders, Jan (K-2), two agents."""
    seed_shop_orders(app)
    _add_user(app, customer_ref="K-1")
    _add_user(app, email="jan.ode@example.com", name="Jan Ode", customer_ref="K-2")
    _add_user(app, email=AGENT[0], password=AGENT[1], role="agent", name="Jonas Weber")
    _add_user(app, email=OTHER_AGENT[0], password=OTHER_AGENT[1], role="agent", name="Mia Roth")
    return {KIM[0]: KIM, AGENT[0]: AGENT}


class SharedApp:
    """The module's app, its seeded states (every row of every table) and the cookies of their sign-ins."""

    seeders: ClassVar[dict] = {"kim": _seed_kim, "shop": _seed_shop}

    def __init__(self, app):
        self.app = app
        self.rows: dict[str, dict] = {}
        self.cookies: dict[str, dict] = {}
        self.current: str | None = None

    def _capture(self) -> dict:
        with self.app.app_context(), db.engine.connect() as conn:
            return {table.name: [dict(row._mapping) for row in
                                 conn.execute(table.select().order_by(*table.primary_key.columns))]
                    for table in db.metadata.sorted_tables}

    def _seed(self, state: str) -> None:
        with self.app.app_context():
            _clear_tables()
        limiter.reset()
        accounts = self.seeders[state](self.app)
        cookies = {}
        for email, (_, password) in accounts.items():
            client = self.app.test_client()
            assert login(client, email, password).status_code == 302
            cookies[email] = dict(client._cookies)  # werkzeug's jar replaces a Cookie, never edits it
        self.cookies[state] = cookies
        self.rows[state] = self._capture()

    def restore(self, state: str):
        """The database exactly as `state` was seeded and signed into; no rate limit counted yet."""
        if state not in self.rows:
            self._seed(state)
        else:
            with self.app.app_context(), db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
                for table in db.metadata.sorted_tables:
                    if self.rows[state][table.name]:
                        conn.execute(table.insert(), self.rows[state][table.name])
        self.current = state
        limiter.reset()
        return self.app

    def signed_in(self, email: str):
        """A new browser holding the cookies of a fresh sign-in of `email` (as login() leaves them)."""
        client = self.app.test_client()
        client._cookies = dict(self.cookies[self.current][email])
        return client


@pytest.fixture(scope="module")
def shared(database_url, fixture_index):
    app = create_app(_base_config(database_url, FIXTURE_CONTENT, fixture_index))
    shared_app = SharedApp(app)
    app.extensions["tests.shared"] = shared_app
    yield shared_app
    with app.app_context():
        _clear_tables()
        db.engine.dispose()
    limiter.reset()


@pytest.fixture
def kim(shared):
    """Just Kim's account: enough for the e-mail and `next` tables (the shop fixture is slower)."""
    return shared.restore("kim")


@pytest.fixture
def shop(shared, clock):  # noqa: F811  (the contact views see the tests' clock)
    """Kim (K-1) with a delivered, a lost and a damaged order; Jan (K-2) with his own; two agents."""
    return shared.restore("shop")


def customer_client(app, email=KIM[0]):
    return app.extensions["tests.shared"].signed_in(email)


def agent_client(app, who=AGENT):
    return app.extensions["tests.shared"].signed_in(who[0])
EMAIL_MESSAGE = "Bitte prüfen Sie Ihre E-Mail-Adresse (Beispiel: name@beispiel.de)."


def snapshot(app) -> dict:
    """Every row of every table: a refused post must leave all of them as they were."""
    with app.app_context():
        with db.engine.connect() as conn:
            return {table.name: sorted(tuple(map(repr, row)) for row in conn.execute(table.select()))
                    for table in db.metadata.sorted_tables}


def page(response) -> str:
    return response.get_data(as_text=True)


@dataclass
class Target:
    """One form: who posts it, where, a valid post, and the fields a customer or agent types into."""

    client: object
    url: str
    data: dict
    fields: list[str]
    token_page: str
    method: str = "post"
    refused: int = 422  # the form shown again with the message at the field
    variants: set[str] = field(default_factory=lambda: {"nul", "control", "long", "repeated", "csrf"})


def _anonymous(app):
    return app.test_client()


def login_form(app):
    return Target(_anonymous(app), "/anmelden", {"email": KIM[0], "password": KIM[1], "next": "/konto"},
                  ["email", "password"], "/anmelden")


def password_forgotten_form(app):
    return Target(_anonymous(app), "/konto/passwort-vergessen", {"email": KIM[0]}, ["email"],
                  "/konto/passwort-vergessen")


def password_reset_form(app):
    from app.accounts.service import reset_token_for

    with app.app_context():
        token = reset_token_for(db.session.scalar(sa.select(User).where(User.email == KIM[0])))
    url = f"/konto/passwort-neu/{token}"
    return Target(_anonymous(app), url, {"password": "ein langer neuer Satz", "confirm": "ein langer neuer Satz"},
                  ["password", "confirm"], url)


def notification_form(app):
    return Target(customer_client(app), "/konto/benachrichtigungen", {"notify_status_changes": "y"},
                  ["notify_status_changes"], "/konto")


def vote_form(app):
    url = "/hilfe/zahlung/paypal"
    return Target(_anonymous(app), url + "/feedback", {"helpful": "ja"}, ["helpful"], url)


def vote_comment_form(app):
    url = "/hilfe/zahlung/paypal"
    client = _anonymous(app)
    client.post(url + "/feedback", data={"helpful": "nein", "csrf_token": csrf_token_from(client, url)})
    return Target(client, url + "/feedback", {"comment": "PayPal Plus fehlt."}, ["comment"], url)


def survey_form(app):
    import re

    from app.outbox.models import OutboxMessage

    number = open_case(customer_client(app), email_case())
    post_json(agent_client(app), f"/api/agent/cases/{number}/resolve", {"outcome": "solved"})
    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMessage.body).where(
            OutboxMessage.dedupe_key == f"case-survey:{number}"))
    link = re.search(r"http://[^/\s]+(/kontakt/umfrage/\S+)", body).group(1)
    return Target(_anonymous(app), link, {"score": "4", "comment": "Schnell."}, ["score", "comment"], link)


def withdrawal_form(app):
    return Target(_anonymous(app), "/widerruf",
                  {"order_number": "500001", "name": "Kim Berg", "email": KIM[0], "reason": "Passt nicht",
                   "items_text": "Die Jacke", "ordered_on": "2. 11. 2026"},
                  ["order_number", "name", "email", "reason", "items_text", "ordered_on"], "/widerruf")


def withdrawal_confirm_form(app):
    import re

    client = _anonymous(app)
    review = client.post("/widerruf", data={"order_number": "500001", "name": "Kim Berg", "email": KIM[0],
                                            "csrf_token": csrf_token_from(client, "/widerruf")})
    draft = re.search(r'name="draft" type="hidden" value="([^"]+)"', page(review)).group(1)
    # The draft is ours, signed: anything else in it is a tampered request (400), not a typing error.
    return Target(client, "/widerruf/bestaetigen", {"draft": draft}, ["draft"], "/widerruf", refused=400)


def _agent_case(app, action: str, data: dict, fields: list[str], **extra):
    number = open_case(customer_client(app), email_case())
    return Target(agent_client(app), f"/agent/anfrage/{number}/{action}", data, fields, f"/agent/anfrage/{number}",
                  **extra)


def agent_note_form(app):
    return _agent_case(app, "notiz", {"note": "Kundin ruft morgen an."}, ["note"])


def agent_reply_form(app):
    return _agent_case(app, "antwort", {"subject": "Ihre Frage", "body": "Hallo Kim, hier die Antwort."},
                       ["subject", "body"])


def agent_callback_form(app):
    return _agent_case(app, "rueckruf", {"outcome": "not_reached", "note": "Mailbox."}, ["outcome", "note"])


def agent_resolve_form(app):
    return _agent_case(app, "erledigen", {"outcome": "solved", "note": "Erklärt."}, ["outcome", "note"])


def agent_reopen_form(app):
    return _agent_case(app, "wieder-oeffnen", {"note": "Kundin hat nachgefragt."}, ["note"])


def agent_chat_form(app):
    return _agent_case(app, "chat", {"body": "Hallo, wie kann ich helfen?"}, ["body"])


def agent_claim_form(app):
    # No field of its own: odd bytes in a field it does not have are refused at the door (400).
    return _agent_case(app, "uebernehmen", {"x": "1"}, ["x"], refused=400, variants={"nul", "control", "csrf"})


def agent_presence_form(app):
    return Target(agent_client(app), "/agent/anwesenheit", {"status": "online"}, ["status"], "/agent")


def search_page(app):
    # A GET: no CSRF; the search page has always answered a bad query with 400 and the message.
    return Target(_anonymous(app), "/suche", {"q": "Rechnung"}, ["q"], "/suche", method="get", refused=400,
                  variants={"nul", "control", "long", "repeated"})


FORMS = {
    "login": login_form, "password_forgotten": password_forgotten_form, "password_reset": password_reset_form,
    "notifications": notification_form, "vote": vote_form, "vote_comment": vote_comment_form,
    "survey": survey_form, "withdrawal": withdrawal_form, "withdrawal_confirm": withdrawal_confirm_form,
    "agent_note": agent_note_form, "agent_reply": agent_reply_form, "agent_callback": agent_callback_form,
    "agent_resolve": agent_resolve_form, "agent_reopen": agent_reopen_form, "agent_chat": agent_chat_form,
    "agent_claim": agent_claim_form, "agent_presence": agent_presence_form, "search_page": search_page,
}
# Forms that need the agents and cases of the whole shop; the others make do with Kim's account.
NEEDS_SHOP = {"survey", "agent_note", "agent_reply", "agent_callback", "agent_resolve", "agent_reopen", "agent_chat",
              "agent_claim", "agent_presence"}

ODD = {
    "nul": lambda value: value[:3] + "\x00" + value[3:],
    "control": lambda value: value + "\x1b[31m",
    "long": lambda value: "x" * 10_000,
    "repeated": lambda value: [value, value + "2"],
}


def _send(target: Target, data: dict, with_csrf: bool = True):
    if target.method == "get":
        return target.client.get(target.url, query_string=data)
    if with_csrf:
        data = {**data, "csrf_token": csrf_token_from(target.client, target.token_page)}
    return target.client.post(target.url, data=data)


def _shows_a_message(html: str) -> bool:
    return 'class="form-error"' in html or "flash-error" in html


@pytest.mark.parametrize("variant", ["nul", "control", "long", "repeated", "csrf"])
@pytest.mark.parametrize("form", FORMS)
def test_odd_input_is_refused_with_a_message_and_nothing_is_written(request, database_url, form, variant):
    shop = request.getfixturevalue("shop" if form in NEEDS_SHOP else "kim")
    target = FORMS[form](shop)
    if variant not in target.variants:
        pytest.skip(f"{form} has no {variant} case")
    if variant == "csrf":
        before = snapshot(shop)
        response = _send(target, target.data, with_csrf=False)
        assert response.status_code == 400
        assert snapshot(shop) == before
        return
    for name in target.fields:
        data = {**target.data, name: ODD[variant](target.data[name])}
        before = snapshot(shop)
        response = _send(target, data)
        assert response.status_code == target.refused, (name, response.status_code)
        if variant in ("nul", "control") and target.method == "get":
            # Control characters in a query string are refused at the door for every page.
            assert "unzulässige Zeichen" in page(response)
        elif target.refused == 422 or target.method == "get":
            assert _shows_a_message(page(response)), name
        if variant == "repeated" and target.refused == 422:
            assert "Bitte geben Sie hier nur einen Wert an." in page(response)
        assert snapshot(shop) == before, name


# --- one e-mail validator, one message -----------------------------------------------------------------------

MISTYPED = [
    "anna.example.de",                       # missing @
    "anna@@example.de", "anna@ex@ample.de",  # two @
    "anna @example.de", "an na@example.de",  # spaces inside
    "anna@example.de.",                      # trailing dot
    "anna@example", "anna@gmail",            # no TLD
    "anna@gmail..com",                       # empty label
    "Anna <a@b.de>",                         # display name
    "a@b.de, c@d.de", "a@b.de; c@d.de",      # two addresses
    "a@b.de\r\nBcc: x@y.de",                 # header injection
    "a" * 289 + "@example.de",               # 300 characters
    "@example.de", "anna@", ".anna@example.de", '"anna"@example.de', "anna@[127.0.0.1]",
]
EMAIL_FORMS = {
    "login": lambda app, email: (_anonymous(app), "/anmelden", {"email": email, "password": KIM[1]}),
    "password_forgotten": lambda app, email: (_anonymous(app), "/konto/passwort-vergessen", {"email": email}),
    "withdrawal": lambda app, email: (_anonymous(app), "/widerruf",
                                      {"order_number": "500001", "name": "Kim Berg", "email": email}),
}


@pytest.mark.parametrize("address", MISTYPED)
@pytest.mark.parametrize("form", EMAIL_FORMS)
def test_every_mistyped_address_gets_the_same_message_on_every_form(kim, form, address):
    client, url, data = EMAIL_FORMS[form](kim, address)
    token = csrf_token_from(client, url)
    before = snapshot(kim)
    response = client.post(url, data={**data, "csrf_token": token})
    assert response.status_code == 422
    assert EMAIL_MESSAGE in page(response)
    assert snapshot(kim) == before


@pytest.mark.parametrize(("form", "status", "text"), [
    ("login", 401, "E-Mail-Adresse oder Passwort ist falsch."),
    ("password_forgotten", 200, ""),
    ("withdrawal", 200, "E-Mail: anna@müller.de"),
])
def test_an_international_domain_is_an_address(kim, form, status, text):
    client, url, data = EMAIL_FORMS[form](kim, "anna@müller.de")
    response = client.post(url, data={**data, "csrf_token": csrf_token_from(client, url)})
    assert response.status_code == status and text in page(response)
    assert EMAIL_MESSAGE not in page(response)


def test_the_outbox_sends_an_international_domain_as_punycode(kim):
    from app.outbox.service import queue_email

    with kim.app_context():
        assert queue_email("anna@müller.de", "Betreff", "Text").recipient == "anna@xn--mller-kva.de"
        for address in ("Anna <a@b.de>", "a@b.de, c@d.de", "anna@gmail"):
            with pytest.raises(ValueError):
                queue_email(address, "Betreff", "Text")
        db.session.rollback()


# --- next ------------------------------------------------------------------------------------------------------

ODD_NEXT = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example",
    "http:/evil.example", "javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "evil.example",
    "/%2F%2Fevil.example", "/%2f%2fevil.example", "/%252F%252Fevil.example", "/%5Cevil.example",
    "\x00", "/konto\x00", "/\t/evil.example", "/%09/evil.example", "/konto\r\nSet-Cookie: x=1",
    "/" + "a" * 10_000, "  /konto", "/konto ", "\u00a0/konto", "/\u2028/evil.example", "",
]


@pytest.mark.parametrize("target", ODD_NEXT)
def test_odd_next_leads_to_the_default_page(kim, target):
    client = kim.test_client()
    token = csrf_token_from(client, "/anmelden")
    response = client.post("/anmelden", data={"email": KIM[0], "password": KIM[1], "next": target,
                                              "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    # Signed in already, the same `next` in the address bar leads to the same default.
    again = client.get("/anmelden", query_string={"next": target})
    assert again.status_code in (302, 400)
    if again.status_code == 302:
        assert again.headers["Location"] == "/konto"


@pytest.mark.parametrize("target", ["/sendungsverfolgung", "/konto?tab=bestellungen", "/hilfe/zahlung/paypal#ja",
                                    "/suche?q=r%C3%BCckgabe"])
def test_a_path_on_this_site_is_followed(kim, target):
    client = kim.test_client()
    token = csrf_token_from(client, "/anmelden")
    response = client.post("/anmelden", data={"email": KIM[0], "password": KIM[1], "next": target,
                                              "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == target


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/" + "a" * 10_000])
def test_the_login_page_does_not_carry_an_odd_next_along(kim, target):
    html = page(kim.test_client().get("/anmelden", query_string={"next": target}))
    assert 'name="next" type="hidden" value=""' in html


def test_a_login_refused_for_its_input_keeps_only_a_safe_next(kim):
    client = kim.test_client()
    token = csrf_token_from(client, "/anmelden")
    response = client.post("/anmelden", data={"email": "kim", "password": "x", "next": "/retouren",
                                              "csrf_token": token})
    assert response.status_code == 422 and 'name="next" type="hidden" value="/retouren"' in page(response)
    response = client.post("/anmelden", data={"email": "kim", "password": "x", "next": "//evil.example",
                                              "csrf_token": token})
    assert response.status_code == 422 and 'name="next" type="hidden" value=""' in page(response)


# --- what the forms still do ------------------------------------------------------------------------------------

def test_notification_setting_is_saved_from_the_checkbox(shop):
    client = customer_client(shop)
    token = csrf_token_from(client, "/konto")
    assert client.post("/konto/benachrichtigungen", data={"csrf_token": token}).status_code == 302
    with shop.app_context():
        assert db.session.scalar(sa.select(User.notify_status_changes).where(User.email == KIM[0])) is False
    client.post("/konto/benachrichtigungen", data={"csrf_token": token, "notify_status_changes": "y"})
    with shop.app_context():
        assert db.session.scalar(sa.select(User.notify_status_changes).where(User.email == KIM[0])) is True


def test_password_reset_form_names_each_problem_at_its_field(shop):
    target = password_reset_form(shop)
    token = csrf_token_from(target.client, target.url)
    differ = target.client.post(target.url, data={"password": "ein langer neuer Satz", "confirm": "ein anderer Satz",
                                                  "csrf_token": token})
    assert differ.status_code == 422 and "Die Passwörter stimmen nicht überein." in page(differ)
    short = target.client.post(target.url, data={"password": "kurz", "confirm": "kurz", "csrf_token": token})
    assert short.status_code == 422 and "mindestens 8 Zeichen" in page(short)
    done = target.client.post(target.url, data={**target.data, "csrf_token": token})
    assert done.status_code == 302
    assert login(shop.test_client(), KIM[0], "ein langer neuer Satz").status_code == 302


def test_a_password_is_taken_as_typed(kim):
    _add_user(kim, email="leer@example.com", password="  mit Leerzeichen  ")
    assert login(kim.test_client(), "leer@example.com", "  mit Leerzeichen  ").status_code == 302
    assert login(kim.test_client(), "leer@example.com", "mit Leerzeichen").status_code == 401


@pytest.mark.parametrize("outcome", ["", "gewonnen", "solved\x00"])
def test_agent_form_shown_again_with_the_message_and_what_was_typed(shop, outcome):
    target = agent_resolve_form(shop)
    response = _send(target, {"outcome": outcome, "note": "Meine Notiz zur Lösung"})
    assert response.status_code == 422 and "Bitte wählen Sie ein Ergebnis." in page(response)
    assert "Meine Notiz zur Lösung</textarea>" in page(response)


def test_agent_note_needs_a_text(shop):
    target = agent_note_form(shop)
    response = _send(target, {"note": " "})
    assert response.status_code == 422 and "Bitte schreiben Sie einen Text." in page(response)
