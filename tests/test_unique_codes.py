"""Codes and usernames are unique regardless of case in the database itself, not only in the
services' checks: two requests at once cannot both win (issue 7)."""

import threading
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from hilogistics import create_app
from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.errors import ConflictError
from hilogistics.stock.models import Grant
from hilogistics.stock.services import save_grant
from tests import factories
from tests.conftest import base_config

MIGRATION = "d5f5bf3960f5"


@pytest.mark.parametrize(
    ("make", "first", "second"),
    [
        (lambda code: factories.make_grant(code=code), "CASE-X", "case-x"),
        (lambda code: factories.make_item(code=code), "ITEM-X", "item-x"),
        (lambda code: factories.make_category(code=code), "CAT-X", "Cat-X"),
        (lambda code: factories.make_unit(code=code), "unit-x", "UNIT-X"),
        (lambda code: factories.make_location(code=code), "LOC-X", "loc-x"),
        (lambda code: factories.make_province(code=code), "PR-X", "pr-x"),
        (lambda name: factories.make_user(Role.VIEWER, username=name), "bob", "BOB"),
    ],
)
def test_the_database_refuses_codes_that_differ_only_by_case(
    app, make: Callable[[str], object], first: str, second: str
) -> None:
    make(first)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make(second)


def test_a_code_the_check_missed_is_still_an_already_used_error(app, monkeypatch) -> None:
    """What a concurrent request sees: the check found nothing, the database refuses."""
    factories.make_grant(code="ECHO-RACE")
    db.session.commit()
    real_scalar = db.session.scalar

    def blind(statement, *args, **kwargs):  # the check runs before the other commit lands
        if "lower(grants.code)" in str(statement):
            return None
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", blind)
    with pytest.raises(ConflictError) as error:
        save_grant(
            actor=SYSTEM,
            code="echo-race",
            donor="ECHO",
            title="Again",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
    assert error.value.field == "code" and "already used" in error.value.message
    db.session.rollback()


@pytest.mark.slow
def test_two_grants_differing_only_by_case_at_the_same_moment_exactly_one_wins(
    app, app_factory: Callable[..., Flask]
) -> None:
    racer = app_factory()
    for attempt in range(10):
        codes = (f"CASE-X{attempt}", f"case-x{attempt}")
        barrier = threading.Barrier(2)
        outcomes: list[str] = ["", ""]

        def run(index: int, codes=codes, barrier=barrier, outcomes=outcomes) -> None:
            with racer.app_context():
                try:
                    barrier.wait(timeout=30)
                    save_grant(
                        actor=SYSTEM,
                        code=codes[index],
                        donor="Donor",
                        title="Race",
                        starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31),
                    )
                    db.session.commit()
                    outcomes[index] = "ok"
                except ConflictError:
                    db.session.rollback()
                    outcomes[index] = "taken"
                except Exception as error:  # noqa: BLE001 - reported by the assertion
                    db.session.rollback()
                    outcomes[index] = f"{type(error).__name__}: {error}"
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Counter(outcomes) == Counter({"ok": 1, "taken": 1}), outcomes
        db.session.expire_all()
        stored = db.session.scalar(select(func.count()).where(func.lower(Grant.code) == codes[1]))
        assert stored == 1
        db.session.rollback()  # on SQLite, this session's read would hold the write lock


@pytest.fixture(params=["sqlite", "postgres"])
def old_schema(request: pytest.FixtureRequest, tmp_path: Path):
    """A database migrated to just before the case-insensitive indexes."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clash.sqlite'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("hilo_clash")
    app = create_app(base_config(url, tmp_path / "instance"))
    with app.app_context():
        flask_migrate.upgrade(revision=f"{MIGRATION}-1")
        yield app
        db.session.remove()
        db.engine.dispose()


def test_the_migration_stops_on_existing_clashes_and_lists_them(old_schema, capsys) -> None:
    with db.engine.begin() as connection:
        for code in ("ECHO-1", "echo-1", "Echo-1", "OTHER"):
            connection.execute(
                text(
                    "INSERT INTO grants (code, donor, title, starts_on, ends_on, is_active) "
                    "VALUES (:code, 'D', 'T', '2026-01-01', '2026-12-31', true)"
                ),
                {"code": code},
            )
        connection.execute(text("UPDATE units SET code = 'PIECE' WHERE code = 'piece'"))
        connection.execute(
            text("INSERT INTO units (code, name, name_ko) VALUES ('piece', 'piece', '개')")
        )
    with pytest.raises(SystemExit):
        flask_migrate.upgrade()
    message = capsys.readouterr().err
    assert "grants.code: ECHO-1, Echo-1, echo-1" in message
    assert "units.code: PIECE, piece" in message and "OTHER" not in message
    with db.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version != MIGRATION
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM grants WHERE code <> 'ECHO-1'"))
        connection.execute(text("DELETE FROM units WHERE code = 'piece'"))
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="-1")
    flask_migrate.upgrade()
