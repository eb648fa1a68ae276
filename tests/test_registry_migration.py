"""The registry's migration on a filled database: transactions survive both ways, checks too."""

from pathlib import Path

import flask_migrate
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from hilogistics.db import db
from tests.test_migrations import empty_app  # noqa: F401 (the fixture)

REVISION = "d83a7d958253"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

INSERT_TRANSACTION = text(
    "INSERT INTO stock_transactions (operation_key, kind, occurred_on, recorded_at, note) "
    "VALUES (:key, :kind, '2026-01-02', '2026-01-02 03:04:05', '')"
)


def parent_revision() -> str:
    """The revision this migration follows (whatever it is re-chained onto)."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    parent = ScriptDirectory.from_config(config).get_revision(REVISION).down_revision
    assert isinstance(parent, str)
    return parent


def columns(table: str) -> set[str]:
    return {column["name"] for column in inspect(db.engine).get_columns(table)}


def refuse_a_bogus_kind() -> None:
    """SQLite rebuilds the table each way: its CHECK on the kind must come along."""
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(INSERT_TRANSACTION, {"key": "bogus", "kind": "bogus"})


@pytest.mark.slow
def test_registry_migration_keeps_transactions_and_their_checks_both_ways(
    empty_app: Flask,  # noqa: F811
) -> None:
    flask_migrate.upgrade(revision=parent_revision())
    with db.engine.begin() as connection:
        connection.execute(INSERT_TRANSACTION, {"key": "before", "kind": "receipt"})

    flask_migrate.upgrade(revision=REVISION)
    assert "document_id" in columns("stock_transactions")
    refuse_a_bogus_kind()
    assert {"documents", "document_counters", "document_prints"} <= set(
        inspect(db.engine).get_table_names()
    )
    with db.engine.begin() as connection:
        linked = connection.execute(
            text("SELECT document_id FROM stock_transactions WHERE operation_key = 'before'")
        ).scalar_one()
        assert linked is None
        connection.execute(
            text(
                "INSERT INTO documents (type, year, sequence, number, created_at, print_count) "
                "VALUES ('SHP', 2026, 1, 'SHP-2026-00001', '2026-01-02 03:04:05', 0)"
            )
        )

    flask_migrate.downgrade(revision=parent_revision())
    assert "document_id" not in columns("stock_transactions")
    assert not {"documents", "document_counters", "document_prints"} & set(
        inspect(db.engine).get_table_names()
    )
    with db.engine.connect() as connection:
        kept = connection.execute(
            text("SELECT count(*) FROM stock_transactions WHERE operation_key = 'before'")
        ).scalar_one()
        assert kept == 1
    refuse_a_bogus_kind()
    flask_migrate.upgrade()
