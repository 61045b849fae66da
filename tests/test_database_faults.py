"""Database unreachable: 503 "gleich wieder da" within two seconds, never a 500; articles and search keep working."""
from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from app import create_app
from app.database import database_unavailable
from app.extensions import db
from tests.conftest import FIXTURE_CONTENT, _base_config, login

LOOKUP = {"order_number": "1", "postcode": "1"}
CASE = {"topic": "lieferung", "message": "Wo bleibt mein Paket denn nur?", "channel": "email", "name": "Kim Berg",
        "email": "kim.berg@example.com", "order_number": "500001"}
UNREACHABLE = {
    "sqlite": lambda tmp_path: f"sqlite:///{tmp_path / 'no-such-directory' / 'helpcenter.db'}",
    "postgresql": lambda tmp_path: "postgresql+psycopg://postgres@127.0.0.1:1/helpcenter",  # nothing listens
}


@pytest.fixture(params=sorted(UNREACHABLE))
def app_without_database(request, tmp_path, fixture_index):
    app = create_app(_base_config(UNREACHABLE[request.param](tmp_path), FIXTURE_CONTENT, fixture_index))
    yield app
    with app.app_context():
        db.engine.dispose()


def _timed(client, method, path, body=None, headers=None):
    started = time.monotonic()
    response = client.open(path, method=method, json=body, headers=headers or {})
    return response, time.monotonic() - started


# What a visitor sees while the database is away: (method, path, JSON body, status, text in the answer).
WITHOUT_DATABASE = [
    ("GET", "/", None, 200, "Sendungsverfolgung"),
    ("GET", "/hilfe/versand/sendungsverfolgung", None, 200, "<h1>Die Sendungsverfolgung</h1>"),
    ("GET", "/suche?q=sendungsverfolgung", None, 200, "Die Sendungsverfolgung"),
    ("GET", "/api/search?q=sendungsverfolgung", None, 200, "Die Sendungsverfolgung"),
    ("GET", "/kontakt", None, 503, "gleich wieder da"),
    ("POST", "/api/tracking/lookup", LOOKUP, 503, '"code":"unavailable"'),
    ("POST", "/api/cases", CASE, 503, '"code":"unavailable"'),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "text"), WITHOUT_DATABASE)
def test_without_a_database_pages_answer_503_quickly_and_articles_and_search_keep_working(
        app_without_database, method, path, body, status, text):
    client = app_without_database.test_client()
    token = client.get("/api/auth/csrf").get_json()["csrf_token"]
    response, elapsed = _timed(client, method, path, body, {"X-CSRFToken": token})
    assert response.status_code == status
    assert text in response.get_data(as_text=True)
    assert elapsed < 2.0
    if status == 503:
        assert int(response.headers["Retry-After"]) > 0


def _example_value(converter):
    if "int" in type(converter).__name__.lower():
        return 1
    items = getattr(converter, "items", None)  # <any(a, b):name> takes one of its words only
    return sorted(items)[0] if items else "x"


def _example_url(rule) -> str:
    values = {name: _example_value(rule._converters[name]) for name in rule.arguments}
    return rule.build(values)[1]


def test_without_a_database_no_route_answers_500_or_takes_two_seconds(app_without_database):
    client = app_without_database.test_client()
    seen = []
    for rule in app_without_database.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            path = _example_url(rule)
            headers = {"X-CSRFToken": client.get("/api/auth/csrf").get_json()["csrf_token"]}
            response, elapsed = _timed(client, method, path, {} if method == "POST" else None, headers)
            seen.append((method, path, response.status_code))
            assert response.status_code != 500 and elapsed < 2.0, (method, path, response.status_code, elapsed)
    assert sum(status == 503 for *_, status in seen) >= 10
    assert len(seen) > 40


def _break(app, url: str):
    """Point the app's engine somewhere nothing answers, as if the database went down mid-way; give the old one."""
    with app.app_context():
        engines = db._app_engines[app]
        working = engines[None]
        engines[None] = sa.create_engine(url, **app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        working.dispose()
    return working


def _restore(app, working) -> None:
    with app.app_context():
        db._app_engines[app][None].dispose()
        db._app_engines[app][None] = working


def test_a_database_that_goes_away_mid_way_leaves_articles_and_search_working(app, client, database_url, tmp_path):
    assert client.post("/api/tracking/lookup", json=LOOKUP).status_code == 404
    broken = UNREACHABLE["postgresql" if database_url.startswith("postgresql") else "sqlite"](tmp_path)
    working = _break(app, broken)
    try:
        for method, path, body, status, text in WITHOUT_DATABASE[:4]:
            response, elapsed = _timed(client, method, path, body)
            assert (response.status_code, elapsed < 2.0) == (status, True), path
            assert text in response.get_data(as_text=True)
        response, elapsed = _timed(client, "POST", "/api/tracking/lookup", LOOKUP)
        assert response.status_code == 503 and elapsed < 2.0
        assert response.get_json()["error"]["code"] == "unavailable"
    finally:
        _restore(app, working)
    assert client.post("/api/tracking/lookup", json=LOOKUP).status_code == 404


def test_a_signed_in_visitor_gets_503_not_500_while_the_database_is_away(app, client, make_user, database_url,
                                                                        tmp_path):
    make_user()
    assert login(client).status_code == 302
    working = _break(app, UNREACHABLE["postgresql" if database_url.startswith("postgresql") else "sqlite"](tmp_path))
    try:
        # Articles and search stay readable (as a guest meanwhile); what needs the account is 503.
        for path, status in (("/", 200), ("/hilfe/versand/sendungsverfolgung", 200), ("/suche?q=paket", 200),
                             ("/konto", 503), ("/api/auth/me", 503)):
            response, elapsed = _timed(client, "GET", path)
            assert response.status_code == status and elapsed < 2.0, path
    finally:
        _restore(app, working)
    assert client.get("/konto").status_code == 200


class TcpRelay:
    """A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.listener = None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self.listener.settimeout(0.1)
        listener = self.listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while self.listener is listener:
            try:
                client = listener.accept()[0]
            except OSError:
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        listener, self.listener = self.listener, None
        listener.close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        self.connections = []


def test_postgresql_restarting_gives_503_and_the_app_recovers_by_itself(make_app, fixture_index, database_url,
                                                                       caplog):
    if not database_url.startswith("postgresql"):
        pytest.skip("a server that restarts: PostgreSQL only")
    url = sa.engine.make_url(database_url)
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    try:
        app = make_app(index_dir=fixture_index,
                       SQLALCHEMY_DATABASE_URI=url.set(host="127.0.0.1", port=relay.port).render_as_string(False))
        client = app.test_client()
        assert client.post("/api/tracking/lookup", json=LOOKUP).status_code == 404  # a pooled connection now
        relay.cut()
        caplog.set_level(logging.WARNING)
        for _ in range(3):
            response, elapsed = _timed(client, "POST", "/api/tracking/lookup", LOOKUP)
            assert (response.status_code, elapsed < 2.0) == (503, True)
            assert client.get("/hilfe/versand/sendungsverfolgung").status_code == 200
            assert client.get("/suche?q=versand").status_code == 200
        assert "Traceback" not in caplog.text
        relay.start()
        assert client.post("/api/tracking/lookup", json=LOOKUP).status_code == 404  # no restart needed
    finally:
        if relay.listener is None:
            relay.start()


@pytest.mark.parametrize(("exc", "unavailable"), [
    (sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
    (sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open database file")), True),
    (sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such column: cases.x")), False),
    (sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection failed: Connection refused")), True),
    (sa_exc.InterfaceError("SELECT 1", {}, psycopg.InterfaceError("the connection is closed")), True),
    (sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
    (sa_exc.IntegrityError("INSERT", {}, psycopg.IntegrityError("duplicate key")), False),
    (sa_exc.ProgrammingError("SELECT", {}, psycopg.ProgrammingError("syntax error")), False),
    (ValueError("not a database error"), False),
])
def test_what_counts_as_the_database_being_unavailable(exc, unavailable):
    assert database_unavailable(exc) is unavailable
