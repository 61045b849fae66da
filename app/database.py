"""Database engine settings that keep SQLite safe under several workers."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
