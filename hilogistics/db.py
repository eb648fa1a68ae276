"""Declarative base with a naming convention, the db object, shared column types and helpers.

Transactions on SQLite: write intent is declared where the write happens. Every transaction
starts as a plain deferred ``BEGIN`` (a reader: in WAL mode it never waits for writers). Code
about to write calls :func:`begin_write` first; every service that writes does so at its start,
and so does ``ledger.post``. On SQLite that ends the read transaction (nothing was written in
it) and opens ``BEGIN IMMEDIATE``, which takes the write lock at once, so two writers queue
(busy timeout) instead of both reading first and then failing with "database is locked". The
lock is held from there to the view's commit only: not over the user lookup at the start of a
request, and not over the template rendered after the commit, which reads in a new deferred
transaction. On PostgreSQL :func:`begin_write` does nothing: writers wait on row locks.

A write inside a request that did not declare its intent raises RuntimeError on SQLite, so a
forgotten declaration fails in the tests rather than under load. Command-line tools and tests
may write in a deferred transaction when they run alone; the services they call declare anyway.
"""

import enum
import random
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    DateTime,
    Enum,
    MetaData,
    Table,
    event,
    func,
    or_,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model: shares the metadata that carries the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every engine (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_HOLDS_GATE = "hilogistics_holds_write_gate"
# Connection.info flags, cleared at the end of each transaction: it began IMMEDIATE (_WRITING),
# or it wrote something although it began deferred (_WROTE).
_WRITING = "hilogistics_writing"
_WROTE = "hilogistics_wrote"
# The execution option begin_write() starts its transaction with; the "begin" event reads it.
WRITE_INTENT = "hilogistics_write_intent"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


# A pooled PostgreSQL connection idle this long is pinged before use (see install_idle_ping).
PING_AFTER_IDLE_S = 30.0


def engine_options(uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Return engine options for the database named by ``uri``.

    No ``pool_pre_ping``: it costs a round trip on every checkout, i.e. every request, to guard
    against a connection the server dropped (a restart). On SQLite nothing can drop it; on
    PostgreSQL :func:`install_idle_ping` pings only connections idle for a while, which is when
    a restart can have gone unnoticed; a connection that breaks while busy fails one request,
    and SQLAlchemy then recycles the whole pool.
    """
    options: dict[str, Any] = {"pool_pre_ping": False}
    if uri.startswith("postgresql"):
        options["connect_args"] = {
            "options": (
                f"-c lock_timeout={int(config['PG_LOCK_TIMEOUT_MS'])}"
                f" -c statement_timeout={int(config['PG_STATEMENT_TIMEOUT_MS'])}"
            )
        }
    return options


def install_sqlite_events(engine: Engine, busy_timeout_ms: int) -> None:
    """Set the SQLite pragmas on every connection; BEGIN IMMEDIATE where write intent is declared.

    pysqlite's own BEGIN is deferred, so two writers that both read first deadlock into
    "database is locked"; BEGIN IMMEDIATE makes the second wait (busy_timeout) instead. Only a
    transaction opened by :func:`begin_write` begins IMMEDIATE; every other one is a reader.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    # Writers of this process queue on a lock instead of all polling SQLite at once; other
    # processes (several gunicorn workers) still meet at SQLite's own lock, in _begin_immediate.
    gate = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(WRITE_INTENT):
            connection.exec_driver_sql("BEGIN")
            return
        if not gate.acquire(timeout=busy_timeout_ms / 1000):
            raise sqlite3.OperationalError("database is locked (waited for another writer)")
        try:
            _begin_immediate(connection.connection.dbapi_connection, busy_timeout_ms)
        except BaseException:
            gate.release()
            raise
        connection.info[_HOLDS_GATE] = True
        connection.info[_WRITING] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        connection: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if connection.info.get(_WRITING) or not _is_write(statement):
            return
        if has_request_context() and connection.in_transaction():
            raise RuntimeError(
                "a write in a transaction that did not declare it: call begin_write() first"
            )
        connection.info[_WROTE] = True

    def _release(info: dict[str, Any]) -> None:
        info.pop(_WRITING, None)
        info.pop(_WROTE, None)
        if info.pop(_HOLDS_GATE, False):
            gate.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _release(connection.info)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info)


def written(connection: Any) -> bool:
    """Whether ``connection``'s transaction wrote (or declared it would).

    For a "commit" listener installed before the ones above, which forget it at the commit.
    """
    return bool(connection.info.get(_WROTE) or connection.info.get(_WRITING))


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITE_VERBS)


def install_idle_ping(engine: Engine, idle_s: float = PING_AFTER_IDLE_S) -> None:
    """Ping a pooled connection at checkout only when it sat idle ``idle_s`` seconds or more.

    Under load connections never idle that long, so requests pay no ping; after a quiet spell
    (when a server restart may have closed them) a dead connection is replaced before use.
    """

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["hilogistics_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("hilogistics_idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool retries the checkout with a fresh connection.
            raise DisconnectionError("idle connection is gone") from error


def install_write_tracking(engine: Engine) -> None:
    """Note on the connection (``_WROTE``) when a transaction ran anything but a SELECT.

    :func:`end_request_transaction` reads it. SQLite already notes it (install_sqlite_events),
    with ``_WRITING`` for transactions begun by :func:`begin_write`.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        connection: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        connection.info.pop(_WROTE, None)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        connection.info.pop(_WROTE, None)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_WROTE, None)


def end_request_transaction(error: BaseException | None) -> None:
    """Teardown: COMMIT a request's transaction that only read; leave the rest to roll back.

    psycopg forgets its prepared statements on every ROLLBACK (and sends DEALLOCATE ALL), so
    ending read-only requests with Flask-SQLAlchemy's usual rollback meant every statement was
    parsed and planned again on the next request. Committing a transaction that ran only
    SELECTs changes nothing in the database. A transaction that wrote (and was not committed
    by its view), holds unflushed changes, or ended in an exception still rolls back.
    """
    if error is not None:
        return
    session = db.session()
    transaction = session.get_transaction()
    if transaction is None or session.new or session.dirty or session.deleted:
        return
    info = session.connection().info
    if info.get(_WROTE) or info.get(_WRITING):
        return
    session.commit()


def begin_write() -> None:
    """Declare that the session is about to write: call it before the first read of a write.

    SQLite: when the current transaction only read, end it and begin one that holds the write
    lock (BEGIN IMMEDIATE) until the commit or rollback; objects loaded before are expired and
    read again under the lock. A transaction that already holds the lock (declared, or it wrote
    already) goes on. Changes made before the call are flushed first: outside a request that
    write takes the lock; inside one it raises RuntimeError (undeclared). PostgreSQL: nothing.
    """
    session = db.session()  # the request's own Session (in_transaction is not proxied)
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.deleted or session.dirty:
            session.flush()
        info = session.connection().info
        if info.get(_WRITING) or info.get(_WROTE):
            return
        session.rollback()  # ends a transaction that read only: nothing is lost
    session.connection(execution_options={WRITE_INTENT: True})


def _begin_immediate(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    """Take the SQLite write lock, waiting up to the busy timeout.

    SQLite's own busy handler sleeps in steps growing to 100 ms, so under contention the lock
    sits free while every waiter sleeps (measured: 200 concurrent writers took ~4 s). Polling
    with short, jittered sleeps keeps the lock busy; the pragma is restored for other waits.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.0002
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not security
            delay = min(delay * 2, 0.004)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def str_enum(enum_class: type[enum.Enum]) -> Enum:
    """Store a Python enum by value as a short string with a CHECK (never a native DB enum)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        name=enum_class.__name__.lower(),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def insert_ignoring_conflict(table: Table, values: Mapping[str, Any]) -> Executable:
    """INSERT … ON CONFLICT DO NOTHING on the table's keys (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert(table).values(**values).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(table).values(**values).on_conflict_do_nothing()
    raise NotImplementedError(f"no upsert for {dialect}")


LIKE_ESCAPE = "\\"


def contains_pattern(search: str) -> str:
    """A LIKE pattern matching ``search`` literally anywhere: its wildcards are escaped."""
    escaped = search.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    escaped = escaped.replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def prefix_pattern(search: str) -> str:
    """A LIKE pattern matching text that starts with ``search`` literally."""
    return contains_pattern(search)[1:]


def matches_text(columns: Iterable[Any], search: str | BindParameter[str]) -> ColumnElement[bool]:
    """True where any of ``columns`` contains ``search``, ignoring letter case: the one text search.

    ``search`` is the text typed, or a bound parameter that will carry ``contains_pattern(text)``
    (statements built once). Case is ignored on both sides by the database (ILIKE): for every
    letter on PostgreSQL, for Latin letters on SQLite (others match as typed).
    """
    pattern = contains_pattern(search) if isinstance(search, str) else search
    return or_(*(column.ilike(pattern, escape=LIKE_ESCAPE) for column in columns))


def localised(english: str, korean: str | None, french: str | None, locale: str | None) -> str:
    """Pick a data name in the reader's language, falling back to English.

    The Python twin of ``localised_name``: every model's ``display_name`` goes through it.
    """
    if locale:
        if locale.startswith("ko") and korean:
            return korean
        if locale.startswith("fr") and french:
            return french
    return english


def localised_name(entity: Any, locale: str | None) -> ColumnElement[str]:
    """SQL for an entity's name in the reader's language: the one way names are localised in SQL.

    ``entity`` is a model or alias with ``name`` and ``name_ko`` (and maybe ``name_fr``)
    columns; an empty translation falls back to English, as the models' ``display_name`` does.
    """
    translated = None
    if locale and locale.startswith("ko"):
        translated = entity.name_ko
    elif locale and locale.startswith("fr"):
        translated = getattr(entity, "name_fr", None)
    if translated is None:
        return entity.name
    return func.coalesce(func.nullif(translated, ""), entity.name)
