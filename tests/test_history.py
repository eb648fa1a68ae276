"""Change history of reference data: every edit recorded with its actor, shown and searched."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select

from hilogistics.actors import SYSTEM
from hilogistics.auth import services as auth_services
from hilogistics.auth.models import Role, User
from hilogistics.catalogue import importing
from hilogistics.catalogue import services as catalogue_services
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.dates import business_today
from hilogistics.db import begin_write, db
from hilogistics.errors import DomainError
from hilogistics.history.models import ChangeRecord
from hilogistics.locations import services as location_services
from hilogistics.locations.models import LocationKind
from hilogistics.stock import services as stock_services
from tests import factories


def _records(record_type: str, record_id: int) -> list[ChangeRecord]:
    return list(
        db.session.scalars(
            select(ChangeRecord)
            .where(ChangeRecord.record_type == record_type, ChangeRecord.record_id == record_id)
            .order_by(ChangeRecord.id)
        )
    )


def _last_change(record_type: str, record_id: int) -> tuple[ChangeRecord, dict]:
    record = _records(record_type, record_id)[-1]
    return record, json.loads(record.changes)


def test_every_kind_of_record_is_recorded_with_its_actor(app: Flask) -> None:
    admin = factories.make_user(Role.ADMIN)
    piece = db.session.scalar(select(Unit).where(Unit.code == "piece"))

    unit = catalogue_services.create_unit(actor=admin, code="hu-ream", name="Ream", name_ko="련")
    catalogue_services.update_unit(
        actor=admin, unit=unit, code="hu-ream", name="Ream of paper", name_ko="련"
    )
    record, changes = _last_change("unit", unit.id)
    assert (record.action, record.actor_id) == ("changed", admin.id)
    assert changes == {"name": ["Ream", "Ream of paper"]}

    category = catalogue_services.create_category(
        actor=admin, code="HIST", name="History", name_ko="력사"
    )
    catalogue_services.update_category(
        actor=admin, category=category, code="HIST", name="History", name_ko="력사", sort_order=3
    )
    assert _last_change("category", category.id)[1] == {"sort_order": [0, 3]}

    fields = dict(code="HIST-1", name="Knee", name_ko="무릎", category_id=category.id)
    item = catalogue_services.create_item(actor=admin, unit_id=piece.id, **fields)
    created, values = _last_change("item", item.id)
    assert (created.action, created.actor_id) == ("created", admin.id)
    assert values["unit_id"] == [None, piece.id]
    catalogue_services.update_item(actor=admin, item=item, unit_id=unit.id, **fields)
    record, changes = _last_change("item", item.id)
    assert (record.actor_id, changes) == (admin.id, {"unit_id": [piece.id, unit.id]})

    province = location_services.save_province(actor=admin, code="HX", name="Hist", name_ko="력")
    location_services.save_province(
        actor=admin, province=province, code="HX", name="Hist", name_ko="력", sort_order=9
    )
    assert _last_change("province", province.id)[1] == {"sort_order": [0, 9]}
    location_services.save_province(
        actor=admin, province=province, code="HX", name="Hist", name_ko="력", name_fr="Hist FR"
    )
    assert _last_change("province", province.id)[1] == {
        "name_fr": [None, "Hist FR"],
        "sort_order": [9, 0],
    }

    first, second = factories.make_warehouse(), factories.make_warehouse()
    place = dict(code="HIST-C", kind=LocationKind.CENTRE, name="C", name_ko="쎈터")
    centre = location_services.save_location(
        actor=admin, province_id=province.id, supplied_by_id=first.id, **place
    )
    location_services.save_location(
        actor=admin, location=centre, province_id=province.id, supplied_by_id=second.id, **place
    )
    record, changes = _last_change("location", centre.id)
    assert (record.actor_id, changes) == (admin.id, {"supplied_by_id": [first.id, second.id]})
    location_services.save_location(
        actor=admin,
        location=centre,
        province_id=province.id,
        supplied_by_id=second.id,
        target_months=6,
        **place,
    )
    assert _last_change("location", centre.id)[1] == {"target_months": [3, 6]}

    grant_fields = dict(code="HG-1", donor="D", title="T", starts_on=date(2026, 1, 1))
    grant = stock_services.save_grant(actor=admin, ends_on=date(2026, 12, 31), **grant_fields)
    stock_services.save_grant(actor=admin, grant=grant, ends_on=date(2027, 6, 30), **grant_fields)
    assert _last_change("grant", grant.id)[1] == {"ends_on": ["2026-12-31", "2027-06-30"]}

    level = dict(location_id=first.id, item_id=item.id)
    stock_services.set_reorder_level(actor=admin, minimum=5, maximum=None, **level)
    stock_services.set_reorder_level(actor=admin, minimum=5, maximum=20, **level)
    stock_services.set_reorder_level(actor=admin, minimum=None, maximum=None, **level)
    levels = _records("reorder_level", item.id)
    assert [(r.action, r.location_id, r.actor_id) for r in levels] == [
        ("created", first.id, admin.id),
        ("changed", first.id, admin.id),
        ("deleted", first.id, admin.id),
    ]
    assert json.loads(levels[1].changes) == {"maximum": [None, 20]}

    user = auth_services.create_user(
        actor=admin, username="histuser", display_name="H", role=Role.VIEWER, password="x" * 12
    )
    auth_services.update_user(
        actor=admin, user=user, display_name="H", role=Role.LOGISTICS, location_id=None, locale=None
    )
    assert _last_change("account", user.id)[1] == {"role": ["viewer", "logistics"]}
    auth_services.reset_password(actor=admin, user=user, new_password="y" * 12)
    record, changes = _last_change("account", user.id)
    assert (record.actor_id, changes) == (admin.id, {"password": ["changed", "changed"]})


def test_no_password_hash_is_ever_recorded(app: Flask) -> None:
    admin = factories.make_user(Role.ADMIN)
    user = auth_services.create_user(
        actor=admin, username="secretive", display_name="S", role=Role.VIEWER, password="p" * 12
    )
    auth_services.change_own_password(actor=user, current_password="p" * 12, new_password="q" * 12)
    texts = db.session.scalars(select(ChangeRecord.changes)).all()
    assert not any("scrypt" in text or user.password_hash in text for text in texts)
    assert _records("account", user.id)[-1].actor_id == user.id


def test_a_refused_change_leaves_no_history(app: Flask) -> None:
    admin = factories.make_user(Role.ADMIN)
    item = factories.make_item()
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(ChangeRecord))
    with pytest.raises(DomainError):
        catalogue_services.update_item(
            actor=admin, item=item, code=item.code, name="", name_ko="x",
            category_id=item.category_id, unit_id=item.unit_id,
        )  # fmt: skip
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ChangeRecord)) == before


def test_an_unchanged_save_records_nothing(app: Flask) -> None:
    admin = factories.make_user(Role.ADMIN)
    unit = catalogue_services.create_unit(actor=admin, code="hu-tin", name="Tin", name_ko="통")
    catalogue_services.update_unit(actor=admin, unit=unit, code="hu-tin", name="Tin", name_ko="통")
    assert [r.action for r in _records("unit", unit.id)] == ["created"]


def test_the_item_import_records_each_item_under_the_importer(app: Flask) -> None:
    admin = factories.make_user(Role.ADMIN)
    category = db.session.scalar(select(Category).order_by(Category.id).limit(1))
    data = (
        ",".join(importing.COLUMNS)
        + "\n"
        + ",".join(
            {"code": "IMP-H1", "name": "Imported", "name_ko": "수입", "category": category.code,
             "unit": "piece"}.get(column, "")
            for column in importing.COLUMNS
        )
        + "\n"
    ).encode()  # fmt: skip
    plan = importing.import_items(actor=admin, data=data, filename="items.csv")
    assert not plan.problems, plan.problems
    item = db.session.scalar(select(Item).where(Item.code == "IMP-H1"))
    record, changes = _last_change("item", item.id)
    assert (record.action, record.actor_id) == ("created", admin.id)
    assert changes["name"] == [None, "Imported"]


def test_the_system_acts_where_nobody_signed_in(app: Flask) -> None:
    unit = catalogue_services.create_unit(actor=SYSTEM, code="hu-drum", name="Drum", name_ko="통")
    assert _records("unit", unit.id)[0].actor_id is None


def test_an_undeclared_change_in_a_request_fails_loudly(app: Flask) -> None:
    item = factories.make_item()
    db.session.commit()
    with app.test_request_context("/"):
        db.session.info.clear()
        begin_write()  # a service that declared its write but not its actor
        db.session.get(Item, item.id).name = "Sneaky"
        with pytest.raises(RuntimeError, match="actor"):
            db.session.flush()
        db.session.rollback()


def test_record_pages_show_readable_history_newest_first(
    app: Flask, client: FlaskClient, login_as
) -> None:
    admin = login_as(Role.ADMIN)
    first = factories.make_warehouse(name="North store")
    second = factories.make_warehouse(name="South store", name_fr="Dépôt sud")
    place = dict(code="HP-C", kind=LocationKind.CENTRE, name="Centre", name_ko="쎈터")
    province = factories.seeded_province()
    centre = location_services.save_location(
        actor=admin, province_id=province.id, supplied_by_id=first.id, **place
    )
    location_services.save_location(
        actor=admin, location=centre, province_id=province.id, supplied_by_id=second.id, **place
    )
    item = factories.make_item()
    stock_services.set_reorder_level(
        actor=admin, location_id=centre.id, item_id=item.id, minimum=3, maximum=None
    )
    db.session.commit()

    page = client.get(f"/locations/{centre.id}/edit").get_data(as_text=True)
    history = page[page.index('id="change-history"') :]
    assert "North store → South store" in history
    assert admin.username in history
    assert item.code in history  # the reorder level set at this place
    # Newest first: the reorder level, then the supplier change, then the creation.
    assert history.index(item.code) < history.index("South store") < history.rindex("Created")
    french = client.get(f"/locations/{centre.id}/edit", headers={"Accept-Language": "fr"})
    assert "North store → Dépôt sud" in french.get_data(as_text=True)  # the reader's language

    page = client.get(f"/catalogue/items/{item.id}/edit").get_data(as_text=True)
    assert "Centre" in page[page.index('id="change-history"') :]


def test_record_history_is_paginated(app: Flask, client: FlaskClient, login_as) -> None:
    admin = login_as(Role.ADMIN)
    unit = catalogue_services.create_unit(actor=admin, code="hu-roll", name="Roll 0", name_ko="롤")
    for n in range(1, 22):
        catalogue_services.update_unit(
            actor=admin, unit=unit, code="hu-roll", name=f"Roll {n}", name_ko="롤"
        )
    db.session.commit()
    first = client.get(f"/catalogue/units/{unit.id}/edit").get_data(as_text=True)
    assert "Roll 20 → Roll 21" in first and "Roll 0 → Roll 1<" not in first
    second = client.get(f"/catalogue/units/{unit.id}/edit?page=2").get_data(as_text=True)
    assert "Roll 0 → Roll 1<" in second


def test_administrators_search_and_export_the_history(
    app: Flask, client: FlaskClient, login_as
) -> None:
    admin = login_as(Role.ADMIN)
    other = factories.make_user(Role.ADMIN, username="otheradmin")
    catalogue_services.create_unit(actor=admin, code="hu-coil", name="Coil", name_ko="사리")
    catalogue_services.create_unit(actor=other, code="hu-skein", name="Skein", name_ko="타래")
    db.session.commit()

    page = client.get(f"/history/?record_type=unit&actor={other.id}").get_data(as_text=True)
    assert "hu-skein" in page and "hu-coil" not in page
    page = client.get("/history/?actor=system").get_data(as_text=True)
    assert "hu-skein" not in page
    tomorrow = (business_today() + timedelta(days=2)).isoformat()
    page = client.get(f"/history/?date_from={tomorrow}").get_data(as_text=True)
    assert "hu-skein" not in page and "hu-coil" not in page

    export = client.get("/history/export?record_type=unit")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert "hu-skein" in text and "hu-coil" in text and "otheradmin" in text

    client_of_logistics = app.test_client()
    from tests.conftest import sign_in

    sign_in(client_of_logistics, factories.make_user(Role.LOGISTICS))
    db.session.commit()
    assert client_of_logistics.get("/history/").status_code == 403


def test_change_records_are_read_by_index(app: Flask) -> None:
    """A record's page reads its history through the (type, id, time) index, not a scan."""
    # A history of many records, with the planner's statistics: on an empty table PostgreSQL
    # may as well walk the time index backwards, and the test would say nothing.
    db.session.execute(
        insert(ChangeRecord),
        [
            {
                "record_type": ("unit", "item", "location")[n % 3],
                "record_id": n,
                "action": "changed",
                "changed_at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n),
                "changes": "{}",
            }
            for n in range(3000)
        ],
    )
    db.session.flush()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE change_records"))
    statement = (
        select(ChangeRecord)
        .where(ChangeRecord.record_type == "unit", ChangeRecord.record_id == 1)
        .order_by(ChangeRecord.changed_at.desc())
    )
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {sql}")).all()
        assert "ix_change_records_record" in str(plan)
    else:
        db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(db.text(f"EXPLAIN {sql}")).all()
        assert "ix_change_records_record" in str(plan)


def test_the_command_line_is_recorded_as_the_system(app: Flask, runner) -> None:
    result = runner.invoke(
        args=["hilo", "create-user", "--username", "clihist", "--display-name", "C"]
        + ["--role", "viewer", "--password-stdin"],
        input="a long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "clihist"))
    record, changes = _last_change("account", user.id)
    assert (record.action, record.actor_id, changes["role"]) == ("created", None, [None, "viewer"])
    assert "secret" not in record.changes and "scrypt" not in record.changes
