"""Alembic migrations: empty → head → one step down → head, and head equals the models."""

import warnings
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, inspect, text

from hilogistics import create_app
from hilogistics.db import db
from tests.conftest import BACKENDS, base_config


@pytest.fixture(params=BACKENDS)
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """An app on a brand-new, empty database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("hilo_migrations")
    app = create_app(base_config(url, tmp_path / "instance"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def differences() -> list:
    """What autogenerate would write: schema in the database versus the models.

    SQLite cannot reflect indexes on expressions (lower(code)): autogenerate skips them there
    with a warning, and test_expression_indexes_exist checks them by name instead.
    """
    with db.engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_and_no_pending_model_changes(empty_app) -> None:
    flask_migrate.upgrade()
    assert differences() == []
    flask_migrate.downgrade(revision="-1")
    flask_migrate.upgrade()
    assert differences() == []


def test_downgrade_to_base_leaves_only_the_version_table(empty_app) -> None:
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}


def test_there_is_one_head_and_file_names_carry_the_date() -> None:
    directory = Path(__file__).resolve().parent.parent / "migrations"
    from alembic.config import Config

    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1
    for path in (directory / "versions").glob("*.py"):
        date_part = path.name.split("_")[0]
        assert len(date_part) == 8 and date_part.isdigit(), path.name


def _expression_indexes() -> set[str]:
    return {
        index.name
        for table in db.metadata.sorted_tables
        for index in table.indexes
        if any(not isinstance(expression, Column) for expression in index.expressions)
    }


def test_expression_indexes_exist(empty_app) -> None:
    flask_migrate.upgrade()
    expected = _expression_indexes()
    assert "uq_grants_lower_code" in expected and "uq_users_lower_username" in expected
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'index'"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
        present = set(connection.execute(text(sql)).scalars())
    assert expected <= present


def movement_triggers() -> set[str]:
    """Names of the triggers on ``movements`` in the current database."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            rows = connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'movements'::regclass "
                "AND NOT tgisinternal"
            )
        else:
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'movements'"
            )
        return {name for (name,) in rows}


def assert_movements_are_append_only() -> None:
    """Post one receipt through the ledger, then fail to change or delete its movement."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from tests.factories import make_item, make_warehouse, receive

    receive(make_item(), 3, make_warehouse())
    db.session.commit()
    for statement in ("UPDATE movements SET quantity = 30", "DELETE FROM movements"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_the_movement_triggers_survive_every_migration(empty_app) -> None:
    expected = (
        {"movements_append_only"}
        if db.engine.dialect.name == "postgresql"
        else {"movements_no_update", "movements_no_delete"}
    )
    flask_migrate.upgrade()
    assert movement_triggers() == expected
    assert_movements_are_append_only()
    flask_migrate.downgrade(revision="-1")
    assert movement_triggers() == expected
    flask_migrate.upgrade()
    assert movement_triggers() == expected
    assert_movements_are_append_only()


def test_the_ledger_step_fills_item_rows_and_serial_places_from_existing_balances(
    empty_app,
) -> None:
    from sqlalchemy import func, select

    from hilogistics.stock.audit import ledger_differences
    from hilogistics.stock.models import ItemBalance, Lot
    from tests.factories import make_item, make_warehouse, receive

    flask_migrate.upgrade()
    warehouse = make_warehouse()
    receive(make_item(), 7, warehouse)
    receive(make_item(tracks_serial=True), 2, warehouse, serials=["SN-A", "SN-B"])
    warehouse_id = warehouse.id
    db.session.commit()
    flask_migrate.downgrade(revision="-1")
    db.session.remove()
    flask_migrate.upgrade()
    assert [d.describe() for d in ledger_differences()] == []
    assert (
        db.session.scalar(
            select(func.sum(ItemBalance.on_hand)).where(ItemBalance.location_id == warehouse_id)
        )
        == 9
    )
    assert set(db.session.scalars(select(Lot.at_location_id).where(Lot.serial.is_not(None)))) == {
        warehouse_id
    }


def test_the_partial_reversal_step_links_earlier_reversals_line_by_line(empty_app) -> None:
    from sqlalchemy import select

    from hilogistics.actors import SYSTEM
    from hilogistics.stock.models import Movement, StockTransaction
    from hilogistics.stock.services import ReceiptLine, record_receipt, reverse_transaction
    from tests.factories import make_item, make_warehouse, operation_key, receive

    flask_migrate.upgrade()
    warehouse = make_warehouse()
    first, second = make_item(), make_item()
    receipt = record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=receive(first, 1, warehouse).occurred_on,
        lines=[
            ReceiptLine(item_id=first.id, quantity=2),
            ReceiptLine(item_id=first.id, quantity=2),
            ReceiptLine(item_id=second.id, quantity=5),
        ],
        operation_key=operation_key(),
    )
    reversal = reverse_transaction(
        actor=SYSTEM, transaction_id=receipt.id, note="twice", operation_key=operation_key()
    )
    expected = {m.id: o.id for m, o in zip(reversal.movements, receipt.movements, strict=True)}
    reversal_id, receipt_id = reversal.id, receipt.id
    db.session.commit()
    flask_migrate.downgrade(revision="-1")
    db.session.remove()
    flask_migrate.upgrade()
    rows = db.session.execute(
        select(Movement.id, Movement.reverses_movement_id).where(
            Movement.transaction_id == reversal_id
        )
    ).all()
    assert dict(rows) == expected
    others = db.session.scalars(
        select(Movement.reverses_movement_id).where(Movement.transaction_id != reversal_id)
    ).all()
    assert set(others) == {None}
    assert db.session.get(StockTransaction, reversal_id).reverses_id == receipt_id
