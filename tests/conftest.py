"""Fixtures: an app on SQLite and (with TEST_DATABASE_URL) on PostgreSQL, clients, content trees."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.articles.loader import load_content
from app.extensions import db
from app.search.index import IndexStore

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURE_CONTENT = TESTS / "fixtures" / "content"
SHIPPED_CONTENT = ROOT / "content"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The English catalog compiled, as `make test` does, also when pytest runs on its own."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po_path in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            with po_path.open("rb") as po, mo_path.open("wb") as mo:
                write_mo(mo, read_po(po))


def _backends():
    url = os.environ.get("TEST_DATABASE_URL")
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql",
                     marks=pytest.mark.skipif(not url, reason="TEST_DATABASE_URL is not set")),
    ]


def _base_config(database_url: str, content_dir: Path, index_dir: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "HELPCENTER_CONTENT_DIR": str(content_dir),
        "HELPCENTER_INDEX_DIR": str(index_dir),
        "HELPCENTER_CONTENT_RELOAD_SECONDS": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


def _normalise_pg(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _worker_database(url: str) -> str:
    """Under pytest-xdist (`make test` runs two workers) each worker gets its own PostgreSQL database,
    <name>_gw0, <name>_gw1 …, created when missing: the suite drops and recreates every table in it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=_backends())
def database_url(request, tmp_path_factory):
    """A database migrated to the newest schema, once per backend and test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'helpcenter.db'}"
    else:
        url = _worker_database(_normalise_pg(os.environ["TEST_DATABASE_URL"]))
    app = create_app(_base_config(url, FIXTURE_CONTENT, tmp_path_factory.mktemp("unused-index")))
    with app.app_context():
        with db.engine.begin() as conn:
            meta = sa.MetaData()
            meta.reflect(bind=conn)
            meta.drop_all(bind=conn)
        upgrade()
        db.engine.dispose()
    return url


def build_index(content_dir: Path, index_dir: Path) -> Path:
    IndexStore(index_dir).rebuild(load_content(content_dir).published)
    return index_dir


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory) -> Path:
    return build_index(FIXTURE_CONTENT, tmp_path_factory.mktemp("fixture-index"))


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory) -> Path:
    return build_index(SHIPPED_CONTENT, tmp_path_factory.mktemp("shipped-index"))


def _clear_tables():
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def make_app(database_url, tmp_path_factory):
    """Factory for apps with their own content and index directories."""
    created = []

    def factory(content_dir: Path = FIXTURE_CONTENT, index_dir: Path | None = None, **overrides):
        index_dir = Path(index_dir) if index_dir else tmp_path_factory.mktemp("index")
        config = _base_config(database_url, Path(content_dir), index_dir)
        config.update(overrides)
        app = create_app(config)
        created.append(app)
        return app

    yield factory
    for app in created:
        with app.app_context():
            _clear_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app, fixture_index):
    """The app over the small fixture content tree (precise search expectations)."""
    return make_app(FIXTURE_CONTENT, fixture_index)


@pytest.fixture
def shipped_app(make_app, shipped_index):
    """The app over the shipped demo articles in content/."""
    return make_app(SHIPPED_CONTENT, shipped_index)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of the fixture content, for tests that edit articles."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token_from(client, path: str = "/") -> str:
    """The CSRF token a browser would get from a page of this visit."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF_META.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def without_csrf_token(html: str) -> str:
    """The page with its CSRF token blanked: the token is signed with the second it was made, so two
    renderings of the same page differ when they straddle a second (seen as a rare CI failure)."""
    return _CSRF_META.sub('<meta name="csrf-token" content="">', html)


def api_token(client) -> str:
    """The CSRF token an API client fetches before its first POST."""
    return client.get("/api/auth/csrf").get_json()["csrf_token"]


def post_api(client, url: str, body, key: str | None = None):
    """A JSON POST as an API client sends it: CSRF token, and an Idempotency-Key when given."""
    headers = {"X-CSRFToken": api_token(client)}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(url, json=body, headers=headers)


@pytest.fixture
def make_user(app):
    """Factory for accounts; customers get a shop customer record by external id."""
    from app.accounts.models import User
    from app.shop.models import Customer

    def factory(email="kim.berg@example.com", password="richtig-gutes-passwort", role="customer", customer_ref=None,
                name="Kim Berg"):
        with app.app_context():
            user = User(email=email, name=name, role=role)
            user.set_password(password)
            if customer_ref:
                user.customer_id = db.session.scalar(sa.select(Customer.id).where(Customer.external_id == customer_ref))
            db.session.add(user)
            db.session.commit()
            return user.id

    return factory


def login(client, email="kim.berg@example.com", password="richtig-gutes-passwort"):
    token = csrf_token_from(client, "/anmelden")
    return client.post("/anmelden", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture(scope="session")
def imap_server():
    """A dovecot IMAP server over TLS: the one CI started (HELPCENTER_TEST_IMAP_*) or one of our own."""
    from tests.imap_server import ImapServer, dovecot_available, start, stop

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    server = ImapServer.from_env()
    if server:
        yield server.for_worker(worker)
        return
    if not dovecot_available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the IMAP tests: install dovecot-imapd and openssl (.ci/run-tests does)")
        pytest.skip("no dovecot on the PATH (Debian: apt-get install dovecot-imapd)")
    server = start()
    try:
        yield server.for_worker(worker)
    finally:
        stop(server)
