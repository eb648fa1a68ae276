"""Test data factories: plain functions that build valid rows with unique defaults."""

import itertools
import uuid
from datetime import date
from functools import cache

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import Location, LocationKind
from hilogistics.stock.models import Grant, Lot, StockTransaction

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)
# scrypt with a 32nd of production's work factor (N=2**10 instead of 2**15): the same
# algorithm and code path, since werkzeug reads the parameters from the stored hash, but
# ~3 ms a check instead of ~100. Users the app creates itself (services.create_user,
# set_password) still get production's full hash, which tests/test_auth.py checks.
TEST_HASH_METHOD = "scrypt:1024:8:1"


@cache
def _password_hash(password: str) -> str:
    # Tests that make many users share one hash per password.
    return generate_password_hash(password, method=TEST_HASH_METHOD)


def make_location(**overrides: object) -> Location:
    """A physical centre unless told otherwise."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"LOC-{n}",
        "kind": LocationKind.CENTRE,
        "name": f"Test centre {n}",
        "name_ko": f"시험쎈터 {n}",
        "is_active": True,
    }
    values.update(overrides)
    location = Location(**values)
    db.session.add(location)
    db.session.flush()
    return location


def make_user(role: Role = Role.LOGISTICS, password: str = PASSWORD, **overrides: object) -> User:
    """An active user of ``role``; a technician gets a new centre when none is given."""
    n = next(_sequence)
    values: dict[str, object] = {
        "username": f"{role.value}{n}",
        "display_name": f"Test {role.value} {n}",
        "role": role,
        "is_active": True,
        "session_version": 1,
        "password_hash": _password_hash(password),
    }
    if role is Role.TECHNICIAN and "location" not in overrides and "location_id" not in overrides:
        values["location"] = make_location()
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user


def make_item(**overrides: object) -> Item:
    """An active consumable in the first seeded category, counted in pieces."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"ITEM-{n}",
        "name": f"Test item {n}",
        "name_ko": f"시험품 {n}",
        "name_fr": f"Article d'essai {n}",
        "pack_size": 1,
        "kind": ItemKind.CONSUMABLE,
        "tracks_expiry": False,
        "tracks_serial": False,
        "is_active": True,
    }
    values.update(overrides)
    if "category" not in values and "category_id" not in values:
        values["category"] = db.session.scalar(select(Category).order_by(Category.id).limit(1))
    if "unit" not in values and "unit_id" not in values:
        values["unit"] = db.session.scalar(select(Unit).where(Unit.code == "piece"))
    item = Item(**values)
    db.session.add(item)
    db.session.flush()
    return item


def make_warehouse(**overrides: object) -> Location:
    """An active warehouse."""
    return make_location(kind=LocationKind.WAREHOUSE, **{"name": "Test warehouse", **overrides})


def make_long_named(
    *, category: Category | None = None, first_expires: bool = False
) -> tuple[Location, Location, list[Item]]:
    """A warehouse, a centre it supplies and two items, named as long as the programme's.

    A roll (두루마리, rouleau) and sheets, long French names and long codes: for checking that
    printed documents never cut a word.
    """
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    warehouse = make_warehouse(
        code="LN-WH",
        name="Central warehouse of the rehabilitation programme, Pyongyang",
        name_ko="평양재활사업 중앙창고",
    )
    centre = make_location(
        code="LN-CENTRE",
        name="Hamhung orthopaedic rehabilitation centre",
        name_ko="함흥정형재활쎈터",
        supplied_by_id=warehouse.id,
    )
    extra: dict[str, object] = {"category": category} if category is not None else {}
    items = [
        make_item(
            code="MAT-STOCKINETTE-100",
            name="Tubular cotton stockinette 10 cm (25 m roll)",
            name_ko="무명통붕대 10cm (25m 두루마리)",
            name_fr="Jersey tubulaire en coton 10 cm (rouleau de 25 m)",
            unit=units["roll"],
            tracks_expiry=first_expires,
            **extra,
        ),
        make_item(
            code="MAT-POLYPROPYLENE-5",
            name="Polypropylene sheet 5 mm, flesh-coloured",
            name_ko="폴리프로필렌판 5mm (살색)",
            name_fr="Plaque de polypropylène 5 mm, couleur chair",
            unit=units["sheet"],
            **extra,
        ),
    ]
    return warehouse, centre, items


def make_grant(**overrides: object) -> Grant:
    """A grant running through the current year."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"GR-{n}",
        "donor": "Test donor",
        "title": f"Test grant {n}",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2027, 12, 31),
    }
    values.update(overrides)
    grant = Grant(**values)
    db.session.add(grant)
    db.session.flush()
    return grant


def make_lot(item: Item, **overrides: object) -> Lot:
    """A lot of ``item`` (found or created through the service, as receipts do)."""
    from hilogistics.stock.services import find_or_create_lot

    return find_or_create_lot(item=item, **overrides)


def operation_key() -> str:
    """A fresh one-time key, as a form would carry."""
    return uuid.uuid4().hex


def receive(item: Item, quantity: int, warehouse: Location, **lot: object) -> StockTransaction:
    """Post a receipt of ``quantity`` of ``item`` into ``warehouse`` (flushed, not committed)."""
    from hilogistics.stock.services import ReceiptLine, record_receipt

    return record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=lot.pop("occurred_on", business_today()),  # type: ignore[arg-type]
        lines=[ReceiptLine(item_id=item.id, quantity=quantity, **lot)],  # type: ignore[arg-type]
        operation_key=operation_key(),
    )


def virtual(code: str) -> Location:
    """A virtual location by code (SUPPLIER, TRANSIT, RECIPIENTS, LOSS, COUNT)."""
    return db.session.scalar(select(Location).where(Location.code == code))


def make_category(**overrides: object) -> Category:
    """A top-level category unless a ``parent`` is given."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"CAT-{n}",
        "name": f"Test category {n}",
        "name_ko": f"시험부류 {n}",
        "name_fr": f"Catégorie d'essai {n}",
        "sort_order": n,
    }
    values.update(overrides)
    category = Category(**values)
    db.session.add(category)
    db.session.flush()
    return category


def make_unit(**overrides: object) -> Unit:
    """A unit of issue with a unique lower-case code."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"unit{n}",
        "name": f"test unit {n}",
        "name_ko": f"시험단위 {n}",
    }
    values.update(overrides)
    unit = Unit(**values)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_province(**overrides: object) -> "Province":  # noqa: F821 (imported in the body)
    """A province with a unique code, listed after the seeded ones."""
    from hilogistics.locations.models import Province

    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"PR{n}",
        "name": f"Test province {n}",
        "name_ko": f"시험도 {n}",
        "sort_order": 100 + n,
    }
    values.update(overrides)
    province = Province(**values)
    db.session.add(province)
    db.session.flush()
    return province


def seeded_province(code: str = "PY") -> "Province":  # noqa: F821
    """A province the migration created (PY is the capital)."""
    from hilogistics.locations.models import Province

    return db.session.scalar(select(Province).where(Province.code == code))


def adjustment_reason(code: str) -> "AdjustmentReason":  # noqa: F821 (imported in the body)
    """An adjustment reason the migration created (damaged, expired, lost, stolen, found…)."""
    from hilogistics.stock.models import AdjustmentReason

    return db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == code))


def make_dispatch(
    origin: Location,
    destination: Location,
    lines: list[tuple[Item, Lot, int]],
    *,
    actor: object = SYSTEM,
    **header: object,
) -> "Shipment":  # noqa: F821 (imported in the body)
    """An outbound draft of ``(item, lot, quantity)`` lines (flushed, not committed)."""
    from hilogistics.shipments.services import DraftLine, Header, create_dispatch

    return create_dispatch(
        actor=actor,  # type: ignore[arg-type]
        origin_id=origin.id,
        destination_id=destination.id,
        lines=[DraftLine(item_id=i.id, lot_id=lot.id, quantity=q) for i, lot, q in lines],
        header=Header(**header),  # type: ignore[arg-type]
    )


def dispatch(shipment: "Shipment", *, actor: object = SYSTEM, **kwargs: object) -> "ShipmentEvent":  # noqa: F821
    """Dispatch ``shipment`` today with a fresh operation key."""
    from hilogistics.shipments.services import dispatch_shipment

    return dispatch_shipment(
        actor=actor,  # type: ignore[arg-type]
        shipment_id=shipment.id,
        dispatched_on=kwargs.pop("dispatched_on", business_today()),  # type: ignore[arg-type]
        operation_key=kwargs.pop("operation_key", operation_key()),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def make_camp(warehouse: Location | None = None, **overrides: object) -> "Camp":  # noqa: F821
    """An open camp supplied by ``warehouse`` (a new one when not given), starting today."""
    from hilogistics.camps.services import open_camp

    n = next(_sequence)
    values: dict[str, object] = {
        "name": f"Test camp {n}",
        "name_ko": f"시험야영 {n}",
        "province_id": seeded_province().id,
        "village": f"Village {n}",
        "starts_on": business_today(),
        "ends_on": business_today(),
        "supplied_by_id": (warehouse or make_warehouse()).id,
        "team": "Dr Ri, technician Kim",
    }
    actor = overrides.pop("actor", SYSTEM)
    values.update(overrides)
    return open_camp(actor=actor, **values)  # type: ignore[arg-type]
