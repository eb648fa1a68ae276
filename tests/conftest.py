"""Fixtures: a migrated database per backend (SQLite, throwaway PostgreSQL), app, client, login.

The suite runs in parallel (pytest-xdist, ``-n auto`` in pyproject.toml): each worker process
has its own session fixtures, so its own PostgreSQL cluster, SQLite file and live server; no
two workers share a database. ``-n 0`` runs everything in one process, e.g. for a debugger.
"""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask, has_app_context
from flask.globals import _cv_app
from flask.testing import FlaskClient, FlaskCliRunner
from werkzeug.test import TestResponse

from hilogistics import create_app
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from tests import factories
from tests.pg import Cluster
from tests.speedups import (
    cheaper_unknown_user_check,
    reuse_compiled_templates,
    reuse_font_subsets,
    reuse_static_version,
    reuse_url_builders,
    share_compiled_statements,
)

reuse_url_builders()
reuse_compiled_templates()
share_compiled_statements()
reuse_static_version()
reuse_font_subsets()
cheaper_unknown_user_check()

BACKENDS = ["sqlite", "postgres"]
TEST_SECRET = "test-secret-key-" * 4


def base_config(url: str, instance: Path) -> dict[str, object]:
    """Settings every test app shares."""
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance),
        "WTF_CSRF_ENABLED": False,
        "DOCUMENTS_STRICT_GLYPHS": True,
    }


# At most this many workers for ``-n auto``: each starts its own PostgreSQL cluster.
MAX_WORKERS = 4
# Browser tests share one Chromium and one demo server per worker: all go to the same one.
BROWSER_TESTS = "tests/e2e/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core, at most MAX_WORKERS."""
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Hand out tests one at a time, except the browser tests, which go as one batch.

    (xdist's own ``--dist loadgroup`` renames test ids to group them, which pytest 9.2 no
    longer allows; this scheduler groups by path instead.) Largest batch first: the browser
    tests start at once on one worker while the other workers share out the rest.
    """
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTestsTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return BROWSER_TESTS if nodeid.startswith(BROWSER_TESTS) else nodeid

    return BrowserTestsTogether(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run a test marked ``backends("sqlite")`` only on those backends: deselected, not skipped.

    A few tests are about one engine's own locking; they are listed as deselected in the
    summary, so nothing passes silently as a skip.
    """
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backends")
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("database_url") if callspec else None
        (drop if marker and backend and backend not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One PostgreSQL server for the whole run; fails (never skips) when PostgreSQL is missing."""
    try:
        cluster = Cluster().start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    yield cluster
    cluster.stop()


# Rows the migrations insert (virtual locations, categories, units, reasons), per database URL:
# restored after each test, because the cleanup empties every table.
REFERENCE_ROWS: dict[str, dict[str, list[dict[str, Any]]]] = {}


def migrate_to_head(url: str, instance: Path) -> None:
    """Build the schema the way production does: Alembic migrations, not create_all()."""
    app = create_app(base_config(url, instance))
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            REFERENCE_ROWS[url] = {
                table.name: [dict(row._mapping) for row in connection.execute(table.select())]
                for table in db.metadata.sorted_tables
            }
        db.engine.dispose()


# The migrated database of each backend, by backend name: made once per session (per worker).
_MIGRATED: dict[str, str] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head, once per backend per session.

    Pytest tears a parametrised session fixture down whenever the next test wants the other
    backend (under xdist a worker's tests alternate more often); each ``app`` leaves its
    database as migrated, so the database made the first time is handed out again.
    """
    if request.param in _MIGRATED:
        return _MIGRATED[request.param]
    instance = tmp_path_factory.mktemp("instance")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("hilo_test")
    migrate_to_head(url, instance)
    _MIGRATED[request.param] = url
    return url


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Flask reuses an app context that is already pushed; the ``app`` fixture pushes one for the
    test's own database work, so without this, requests would share the test's session and
    Flask-Login's per-request user cache in ``g``, hiding bugs. The test's transaction is
    committed first so that a request is never blocked by a lock the test holds.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:  # noqa: D102
        if has_app_context():
            db.session.commit()
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


def reset_to_migrated_state(url: str) -> None:
    """Empty every table and put back the migrations' reference rows, in one transaction.

    Movements are append-only by trigger; the reset lifts that for itself only (PostgreSQL:
    replica mode for this transaction; SQLite: drop and recreate the triggers inside it).
    The deletes are plain SQL text (each test has a new engine, so SQLAlchemy would compile
    them all again every time); on PostgreSQL they go in one round trip.
    """
    with db.engine.begin() as connection:
        quote = connection.dialect.identifier_preparer.quote
        tables = [quote(table.name) for table in reversed(db.metadata.sorted_tables)]
        deletes = [f"DELETE FROM {table}" for table in tables]  # noqa: S608 (the models' names)
        triggers: list[str] = []
        if connection.dialect.name == "postgresql":
            script = ";\n".join(["SET LOCAL session_replication_role = replica", *deletes])
            connection.exec_driver_sql(script)
        else:
            found = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall()
            for name, sql in found:
                connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
                triggers.append(sql)
            for delete in deletes:
                connection.exec_driver_sql(delete)
        for table in db.metadata.sorted_tables:
            rows = REFERENCE_ROWS[url].get(table.name)
            if rows:
                connection.execute(table.insert(), rows)
        for sql in triggers:
            connection.exec_driver_sql(sql)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on the current backend, inside an app context; rows are removed afterwards."""
    app = create_app(base_config(database_url, tmp_path / "instance"))
    app.test_client_class = IsolatedClient
    with app.app_context():
        try:
            yield app
            db.session.remove()
            assert_ledger_holds()
        finally:
            db.session.remove()
            reset_to_migrated_state(database_url)
            db.engine.dispose()


def assert_ledger_holds() -> None:
    """After every test: balances equal the movements, each item sums to zero, none negative."""
    from sqlalchemy import func, select

    from hilogistics.stock.audit import ledger_differences
    from hilogistics.stock.models import Balance

    differences = ledger_differences()
    assert not differences, [d.describe() for d in differences]
    negative = db.session.scalar(
        select(func.count()).select_from(Balance).where(Balance.is_guarded, Balance.quantity < 0)
    )
    assert negative == 0, "a guarded balance is negative"


@pytest.fixture
def app_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build extra apps on the current database with changed settings; engines closed after."""
    made: list[Flask] = []

    def _make(**overrides: object) -> Flask:
        extra = create_app({**base_config(database_url, tmp_path / "instance"), **overrides})
        extra.test_client_class = IsolatedClient
        made.append(extra)
        return extra

    yield _make
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def backend(app: Flask) -> str:
    """'sqlite' or 'postgresql'."""
    return db.engine.dialect.name


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser without cookies."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs `flask ...` commands against the test app."""
    return app.test_cli_runner()


def sign_in(client: FlaskClient, user: User) -> None:
    """Put ``user``'s session in ``client``'s cookie, as a successful login would."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["auth_at"] = time.time()
        session["seen_at"] = time.time()


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[Role], User]:
    """``login_as(Role.ADMIN)`` makes a user of that role, commits, and signs ``client`` in."""

    def _login(role: Role, **overrides: object) -> User:
        user = factories.make_user(role, **overrides)
        db.session.commit()
        sign_in(client, user)
        return user

    return _login


@pytest.fixture
def make_user() -> Callable[..., User]:
    """Factory fixture: ``make_user(Role.VIEWER, username=...)``, committed."""

    def _make(role: Role = Role.LOGISTICS, **overrides: object) -> User:
        user = factories.make_user(role, **overrides)
        db.session.commit()
        return user

    return _make


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], list[str]]:
    """Start recording SQL statements; call the returned function to read them."""
    from sqlalchemy import event

    statements: list[str] = []

    def _record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _record)
    return lambda: statements
