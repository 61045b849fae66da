"""Database engine settings: SQLite safe under several workers, PostgreSQL quick to give up when it is down."""
from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

# PostgreSQL's serialization failure and deadlock: the transaction was rolled back and may simply run again.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(exc: BaseException) -> bool:
    """Whether a failed transaction lost a race with another one (not a fault in the request or the app)."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES or getattr(orig, "pgcode", None) in TRANSIENT_SQLSTATES:
        return True
    # SQLite waited its busy timeout for another writer.
    return "database is locked" in str(orig)


log = logging.getLogger(__name__)
T = TypeVar("T")


def configure_engine_events(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # WAL lets readers work while one writer commits; the busy timeout waits instead of
        # failing with "database is locked" when two workers write at once.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # SQLAlchemy then opens transactions itself (below), not the sqlite3 module.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection):
        # Take the write lock when the transaction starts: two workers that read and then write
        # (e.g. the next case number) would otherwise deadlock and one would get "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# Waiting longer than this for the database helps nobody: the visitor gets "gleich wieder da" instead.
CONNECT_TIMEOUT_SECONDS = 2  # psycopg's (and libpq's) minimum
POOL_TIMEOUT_SECONDS = 10  # waiting for a free pooled connection (a sync gunicorn worker never waits)


def engine_options(database_uri: str, configured: dict | None = None) -> dict:
    """SQLAlchemy engine options: pre-ping (recovers after a database restart) and short connect timeouts."""
    options = {"pool_pre_ping": True, "pool_timeout": POOL_TIMEOUT_SECONDS}
    if database_uri.startswith("postgresql"):
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    options.update(configured or {})
    return options


_OUTAGE_LOG_INTERVAL = 60.0  # seconds
_last_outage_log = [0.0]


# SQLite reports bugs (a missing column, bad SQL) as OperationalError too; these are the outages.
_SQLITE_OUTAGES = ("database is locked", "unable to open database", "disk i/o error", "readonly database")


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or used right now (down, restarting, locked), as opposed to a bug."""
    if isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True  # every pooled connection busy, or one that died while checked out
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.Error):
        return any(text in str(exc.orig).lower() for text in _SQLITE_OUTAGES)
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return False  # a lost race (deadlock, serialization failure): the server is fine, see is_transient
    # psycopg: connection failures, a server shutting down, lock and statement timeouts.
    return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))


def log_outage(exc: BaseException, where: str) -> None:
    """Warn about an unavailable database at most once a minute per worker, without a stack trace or SQL."""
    now = time.monotonic()
    if _last_outage_log[0] and now - _last_outage_log[0] < _OUTAGE_LOG_INTERVAL:
        return
    _last_outage_log[0] = now
    reason = " ".join(str(getattr(exc, "orig", None) or type(exc).__name__).split())[:200]
    log.warning("database unavailable (%s): %s; what needs it answers 503 until it is back", where, reason)


def safe_rollback() -> None:
    """Roll the request's session back; on a dead connection there is nothing left to roll back."""
    from app.extensions import db

    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        pass


def optional_database_work(work: Callable[[], T], default: T, where: str) -> T:
    """Run database work a page can do without (a search log, the most-read box) and commit it.

    When the database is unavailable the page is served anyway: log it (at most once a minute), give back default.
    """
    from app.extensions import db

    try:
        value = work()
        db.session.commit()
        return value
    except sa_exc.SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        safe_rollback()
        log_outage(exc, where)
        return default


def read_beside_the_request(statement) -> list:
    """Rows of a read that must neither spoil nor wait for the request's transaction (polls, caches).

    PostgreSQL: on a connection of its own. SQLite: on the session's connection (every SQLite transaction here
    begins IMMEDIATE, so a second connection would wait for the request's own write lock), ending a transaction
    the read began so that it never holds the write lock."""
    from app.extensions import db

    if db.engine.dialect.name == "sqlite":
        ongoing = db.session().in_transaction()
        rows = db.session.execute(statement).all()
        if not ongoing:
            db.session.rollback()
        return rows
    with db.engine.connect() as connection:
        return connection.execute(statement).all()
