"""Declared write intent: on SQLite only code that calls begin_write() holds the write lock."""

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, template_rendered
from sqlalchemy import select, text

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import begin_write, db
from hilogistics.history.recording import act_as
from hilogistics.locations.models import Location, LocationKind
from hilogistics.stock.models import Grant
from tests import factories
from tests.conftest import sign_in

# BEGIN IMMEDIATE and the write lock are SQLite's; PostgreSQL writers wait on row locks.
pytestmark = pytest.mark.backends("sqlite")


@pytest.fixture
def sqlite_path(app: Flask, backend: str) -> str:
    """The SQLite file of the test database."""
    assert backend == "sqlite"
    return db.engine.url.database


def lock_is_free(path: str) -> bool:
    """True when another connection could take the write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


@contextmanager
def write_lock_held_elsewhere(path: str) -> Iterator[None]:
    """Another process's writer holds the SQLite write lock meanwhile."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_reads_never_take_the_write_lock_outside_a_request_either(sqlite_path: str) -> None:
    db.session.execute(text("SELECT 1"))
    assert lock_is_free(sqlite_path)
    db.session.commit()


def test_begin_write_takes_the_lock_until_the_commit_then_reads_are_plain_again(
    sqlite_path: str,
) -> None:
    db.session.execute(text("SELECT 1"))
    begin_write()
    assert not lock_is_free(sqlite_path)
    begin_write()  # declared twice: the transaction goes on
    assert not lock_is_free(sqlite_path)
    db.session.commit()
    assert lock_is_free(sqlite_path)
    db.session.execute(text("SELECT 1"))
    assert lock_is_free(sqlite_path)
    db.session.rollback()


def test_begin_write_reads_again_what_was_read_before_it(sqlite_path: str) -> None:
    grant = factories.make_grant(title="Before")
    db.session.commit()
    assert grant.title == "Before"  # loaded in a read transaction
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("UPDATE grants SET title = 'Changed meanwhile' WHERE id = ?", (grant.id,))
    other.close()
    begin_write()
    assert grant.title == "Changed meanwhile"
    db.session.rollback()


def test_changes_made_before_begin_write_are_written_under_the_lock_outside_a_request(
    sqlite_path: str,
) -> None:
    db.session.execute(text("SELECT 1"))
    db.session.add(Location(code="EARLY", kind=LocationKind.CENTRE, name="e", name_ko="e"))
    begin_write()  # a script or test running alone: its flush takes the lock, nothing is lost
    assert not lock_is_free(sqlite_path)
    assert db.session.scalar(select(Location.id).where(Location.code == "EARLY")) is not None
    db.session.rollback()


def test_changes_made_before_begin_write_in_a_request_are_refused(
    app: Flask, sqlite_path: str
) -> None:
    with app.test_request_context("/", method="POST"):
        db.session.add(Location(code="EARLY", kind=LocationKind.CENTRE, name="e", name_ko="e"))
        with pytest.raises(RuntimeError, match="begin_write"):
            begin_write()
        db.session.rollback()


def test_an_undeclared_write_in_a_request_is_refused(app: Flask, sqlite_path: str) -> None:
    with app.test_request_context("/", method="POST"):
        db.session.add(Location(code="SNEAK", kind=LocationKind.CENTRE, name="s", name_ko="s"))
        with pytest.raises(RuntimeError, match="begin_write"):
            db.session.flush()
        db.session.rollback()
        begin_write()
        act_as(SYSTEM)  # a change of reference data in a request also names who makes it
        db.session.add(Location(code="DECLARED", kind=LocationKind.CENTRE, name="d", name_ko="d"))
        db.session.flush()
        db.session.rollback()


def test_a_post_refused_by_the_form_does_not_wait_for_the_write_lock(
    app_factory: Callable[..., Flask], sqlite_path: str
) -> None:
    user = factories.make_user(Role.LOGISTICS)
    db.session.commit()
    quick = app_factory(SQLITE_BUSY_TIMEOUT_MS=200)
    client = quick.test_client()
    sign_in(client, user)
    with write_lock_held_elsewhere(sqlite_path):
        # User lookup, form check and page: reads only, so another writer does not block them.
        response = client.post("/grants/new", data={"code": "", "donor": ""})
    assert response.status_code == 200
    assert 'id="code-error"' in response.get_data(as_text=True)


def test_the_page_after_a_refused_write_renders_without_the_write_lock(
    app: Flask, client, login_as, sqlite_path: str
) -> None:
    login_as(Role.LOGISTICS)
    free_while_rendering: list[bool] = []

    def _rendered(_app: Flask, template: object, context: object, **_extra: object) -> None:
        free_while_rendering.append(lock_is_free(sqlite_path))

    data = {
        "code": "ECHO-1",
        "donor": "ECHO",
        "title": "Prosthetics",
        "starts_on": "2026-02-01",
        "ends_on": "2026-01-01",  # the service refuses it, after declaring its write
        "is_active": "y",
    }
    with template_rendered.connected_to(_rendered, app):
        body = client.post("/grants/new", data=data).get_data(as_text=True)
    assert "The grant cannot end before it starts." in body
    assert free_while_rendering and all(free_while_rendering)
    assert db.session.scalar(select(Grant)) is None


@pytest.mark.backends("postgres")
def test_begin_write_leaves_a_postgresql_transaction_alone(app: Flask, backend: str) -> None:
    assert backend == "postgresql"
    grant = factories.make_grant(title="Kept")
    begin_write()  # not committed, not expired: the same transaction goes on
    assert grant in db.session and db.session.is_modified(grant) is False
    assert db.session.scalar(select(Grant.title).where(Grant.id == grant.id)) == "Kept"
    db.session.rollback()
