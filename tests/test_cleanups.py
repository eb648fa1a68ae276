"""Issue 6's cleanups: one text search, one SQL name localisation, reads out of views, page
saves and pack counts in services, and seed-scale only on a database of reference data."""

import ast
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.auth.queries import users_query
from hilogistics.catalogue.models import Unit
from hilogistics.dates import business_today
from hilogistics.db import db, localised_name
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.locations.models import Location
from hilogistics.locations.queries import locations_query
from hilogistics.stock.models import Balance, ReorderLevel
from hilogistics.stock.queries.grants import grants_query
from hilogistics.stock.services import (
    LevelRow,
    ReceiptLine,
    RowProblem,
    RowsRefusedError,
    record_receipt,
    save_reorder_levels,
    set_reorder_level,
)
from tests import factories

VIEW_MODULES = sorted(
    path
    for path in (Path(__file__).resolve().parent.parent / "hilogistics").rglob("*.py")
    if path.name == "views.py" or path.parent.name == "views"
)


# --- one text search ------------------------------------------------------------------------


def test_a_search_takes_wildcards_literally(app: Flask) -> None:
    factories.make_user(Role.VIEWER, username="ann_lee")
    factories.make_user(Role.VIEWER, username="annxlee")
    found = db.session.scalars(users_query("n_l")).all()
    assert [user.username for user in found] == ["ann_lee"]
    assert db.session.scalars(users_query("100%")).all() == []


def test_a_search_ignores_case_of_accented_capitals_typed_as_stored(app: Flask) -> None:
    factories.make_location(name="École de Wonsan")
    factories.make_grant(title="Équipement orthopédique")
    names = [loc.name for loc in db.session.scalars(locations_query(search="ÉCOLE DE"))]
    assert names == ["École de Wonsan"]
    titles = [grant.title for grant in db.session.scalars(grants_query("Équipement ORTHO"))]
    assert titles == ["Équipement orthopédique"]


# --- one way to localise a name in SQL ---------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "Pair"), ("ko_KP", "켤레"), ("fr", "Pair"), (None, "Pair")],
)
def test_localised_name_falls_back_to_english_for_an_empty_translation(
    app: Flask, locale: str | None, expected: str
) -> None:
    unit = factories.make_unit(name="Pair", name_ko="켤레", name_fr="")
    name = localised_name(Unit, locale)
    assert db.session.scalar(select(name).where(Unit.id == unit.id)) == expected


def test_localised_name_uses_english_for_french_where_there_is_no_french_column(
    app: Flask,
) -> None:
    place = factories.make_location(name="Hamhung centre", name_ko="함흥쎈터")
    for locale, expected in (("fr", "Hamhung centre"), ("ko_KP", "함흥쎈터")):
        stmt = select(localised_name(Location, locale)).where(Location.id == place.id)
        assert db.session.scalar(stmt) == expected


# --- reads live in queries ---------------------------------------------------------------------


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_views_build_no_select(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "select"
    ]
    assert calls == [], f"select() built in a view at lines {calls}: move it into queries"


# --- pack conversion in the receipt service ----------------------------------------------------


def test_a_receipt_line_counts_whole_packs_of_the_items_pack_size_plus_units(app: Flask) -> None:
    item, warehouse = factories.make_item(pack_size=12), factories.make_warehouse()
    record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item.id, 5, lot_code="P1", packs=3)],
        operation_key=factories.operation_key(),
    )
    on_hand = db.session.scalar(
        select(Balance.quantity).where(
            Balance.item_id == item.id, Balance.location_id == warehouse.id
        )
    )
    assert on_hand == 3 * 12 + 5


def test_a_receipt_line_with_negative_packs_is_refused_on_its_packs(app: Flask) -> None:
    item, warehouse = factories.make_item(pack_size=12), factories.make_warehouse()
    with pytest.raises(DomainError) as refused:
        record_receipt(
            actor=SYSTEM,
            warehouse_id=warehouse.id,
            occurred_on=business_today(),
            lines=[ReceiptLine(item.id, 30, packs=-1)],
            operation_key=factories.operation_key(),
        )
    assert refused.value.field == "lines-0-packs"


# --- a page of reorder levels in one service call ---------------------------------------------


def levels_at(location: Location) -> list[tuple[int, int, int | None]]:
    return [
        (level.item_id, level.minimum, level.maximum)
        for level in db.session.scalars(
            select(ReorderLevel)
            .where(ReorderLevel.location_id == location.id)
            .order_by(ReorderLevel.item_id)
        )
    ]


def test_save_reorder_levels_writes_changed_rows_and_removes_emptied_ones(app: Flask) -> None:
    centre = factories.make_location()
    first, second, third = (factories.make_item() for _ in range(3))
    set_reorder_level(actor=SYSTEM, location_id=centre.id, item_id=second.id, minimum=3, maximum=9)
    set_reorder_level(actor=SYSTEM, location_id=centre.id, item_id=third.id, minimum=1, maximum=2)
    changed = save_reorder_levels(
        actor=SYSTEM,
        location_id=centre.id,
        levels=[
            LevelRow(first.id, 5, 15),
            LevelRow(second.id, None, None),
            LevelRow(third.id, 1, 2),  # as recorded: left alone
        ],
    )
    assert changed == 2
    assert levels_at(centre) == [(first.id, 5, 15), (third.id, 1, 2)]


def test_save_reorder_levels_names_every_bad_row_and_writes_none(app: Flask) -> None:
    centre = factories.make_location()
    first, second = factories.make_item(), factories.make_item()
    with pytest.raises(RowsRefusedError) as refused:
        save_reorder_levels(
            actor=SYSTEM,
            location_id=centre.id,
            levels=[
                LevelRow(first.id, 5, 15),
                LevelRow(second.id, 9, 4),
                LevelRow(None, 1, None),
                LevelRow(2**31 - 1, 1, None),
            ],
        )
    assert [(p.row, p.field) for p in refused.value.problems] == [
        (1, "maximum"),
        (2, "minimum"),
        (3, "minimum"),
    ]
    assert all(isinstance(p, RowProblem) for p in refused.value.problems)
    db.session.rollback()
    assert levels_at(centre) == []


def test_save_reorder_levels_is_for_staff_at_a_physical_place(app: Flask) -> None:
    centre, item = factories.make_location(), factories.make_item()
    viewer = factories.make_user(Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        save_reorder_levels(actor=viewer, location_id=centre.id, levels=[LevelRow(item.id, 1, 2)])
    loss = factories.virtual("LOSS")
    with pytest.raises(DomainError) as refused:
        save_reorder_levels(actor=SYSTEM, location_id=loss.id, levels=[LevelRow(item.id, 1, 2)])
    assert refused.value.field == "location_id"


# --- seed-scale only fills a database of reference data ---------------------------------------

SEED_ARGS = ["hilo", "seed-scale", "--items", "5", "--locations", "2", "--movements", "50"]


@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda: factories.make_user(Role.VIEWER), "users"),
        (lambda: factories.make_item(), "items"),
        (lambda: factories.make_location(), "physical locations"),
        (lambda: factories.make_grant(), "grants"),
    ],
    ids=["user", "item", "location", "grant"],
)
def test_seed_scale_refuses_a_database_with_more_than_reference_data(
    app: Flask, runner, make, named: str
) -> None:
    make()
    db.session.commit()
    users_before = db.session.scalar(select(db.func.count()).select_from(User))
    result = runner.invoke(args=SEED_ARGS)
    assert result.exit_code != 0
    assert f"already holds {named}" in result.output
    assert "empty ledger" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(User)) == users_before
    assert db.session.scalars(select(Balance)).all() == []


def test_seed_scale_runs_on_a_database_of_reference_data_only(app: Flask, runner) -> None:
    result = runner.invoke(args=SEED_ARGS)
    assert result.exit_code == 0, result.output
    assert "50 movements" in result.output
