"""`flask hilo seed-demo` (believable programme through the services) and `seed-scale` (bulk)."""

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import User
from hilogistics.camps.queries import camp_report, open_camps_query
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import Distribution, DistributionStatus, RecipientType
from hilogistics.distributions.services import LineInput, Recipient, record_distribution
from hilogistics.locations.models import Location, LocationKind
from hilogistics.shipments.models import Shipment, ShipmentDirection, ShipmentStatus
from hilogistics.shipments.queries import awaiting_receipt_query
from hilogistics.shipments.services import DraftLine, create_dispatch
from hilogistics.stock.models import (
    AdjustmentReason,
    Balance,
    Grant,
    Lot,
    Movement,
    ReorderLevel,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import ReceiptLine, record_receipt
from tests.factories import operation_key

HANGUL = re.compile("[\uac00-\ud7a3]")


def on_hand(location_id: int, item_id: int | None = None) -> int:
    query = select(func.coalesce(func.sum(Balance.quantity), 0)).where(
        Balance.location_id == location_id
    )
    if item_id is not None:
        query = query.where(Balance.item_id == item_id)
    return db.session.scalar(query)


def test_seed_demo_loads_a_believable_programme_through_the_ledger(app: Flask, runner) -> None:
    result = runner.invoke(args=["hilo", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "items" in result.output and "stock transactions" in result.output
    checked = runner.invoke(args=["hilo", "check-ledger"])
    assert checked.exit_code == 0, checked.output

    places = {loc.code: loc for loc in db.session.scalars(select(Location)) if not loc.is_virtual}
    kinds = [loc.kind for loc in places.values()]
    assert kinds.count(LocationKind.WAREHOUSE) >= 4
    assert kinds.count(LocationKind.CENTRE) >= 4
    assert kinds.count(LocationKind.CAMP) >= 1
    # One open camp, loaded by shipments and distributing: its report balances.
    camp = db.session.scalars(open_camps_query()).one()
    report = camp_report(camp)
    assert camp.location.code == "MOB-CAMP" and report.balances and report.slips > 0
    assert any(row.loaded for row in report.items) and report.people_total > 0
    schools = [loc for loc in places.values() if loc.kind is LocationKind.SCHOOL]
    assert len(schools) == 6
    assert sum("맹학교" in s.name_ko for s in schools) == 3  # blind children
    assert sum("농학교" in s.name_ko for s in schools) == 3  # deaf children
    assert len({s.province_id for s in schools}) >= 4
    assert all(loc.province is not None for loc in places.values())
    for loc in places.values():
        if loc.kind is not LocationKind.WAREHOUSE:
            assert loc.supplied_by is not None and loc.supplied_by.kind is LocationKind.WAREHOUSE
    assert places["PY-WH"].province.code == "PY"
    # Named in French too: a French reader sees no place in English.
    assert all(loc.name_fr for loc in places.values())
    assert places["PY-WH"].display_name("fr") == "Entrepôt central de Pyongyang"
    assert places["HH-ORC"].province.display_name("fr") == "Hamgyong du Sud"

    items = list(db.session.scalars(select(Item)))
    assert 75 <= len(items) <= 100
    assert all(HANGUL.search(item.name_ko) and item.name_fr for item in items)
    feet = [item for item in items if item.family == "SACH-FOOT"]
    assert sorted(item.code for item in feet) == sorted(
        f"ORT-FOOT-SACH-{size}{side}" for size in range(22, 29) for side in "LR"
    )
    by_code = {item.code: item for item in items}
    for code in ("MAT-POP-10", "MAT-RESIN", "EDU-HA-BAT675", "MAT-GLUE"):
        assert by_code[code].tracks_expiry
    assert by_code["EQP-VACPUMP"].tracks_serial and by_code["EQP-VACPUMP"].kind.value == "equipment"
    assert "세멘트" in by_code["REN-CEM-50"].name_ko and "의족" in feet[0].name_ko

    today = business_today()
    physical = [loc.id for loc in places.values()]
    short_dated = db.session.scalars(
        select(Lot.id)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(
            Balance.location_id.in_(physical),
            Balance.quantity > 0,
            Lot.expires_on >= today,
            Lot.expires_on < today + timedelta(days=90),
        )
        .distinct()
    ).all()
    assert len(short_dated) >= 3
    expired = db.session.scalars(
        select(Lot.id)
        .join(Balance, Balance.lot_id == Lot.id)
        .where(Balance.location_id.in_(physical), Balance.quantity > 0, Lot.expires_on < today)
        .distinct()
    ).all()
    assert len(expired) == 1

    technician = db.session.scalar(select(User).where(User.username == "technician"))
    assert technician.location.code == "PY-ORC"
    assert on_hand(places["PY-ORC"].id) > 0
    assert (
        db.session.scalar(
            select(func.count(func.distinct(Balance.item_id))).where(
                Balance.location_id == places["PY-ORC"].id, Balance.quantity > 0
            )
        )
        >= 30
    )

    levels = list(db.session.scalars(select(ReorderLevel)))
    below = [lvl for lvl in levels if on_hand(lvl.location_id, lvl.item_id) < lvl.minimum]
    assert 3 <= len(below) < len(levels)

    assert len(db.session.scalars(select(Grant)).all()) >= 2
    transactions = list(db.session.scalars(select(StockTransaction)))
    kinds_posted = {t.kind for t in transactions}
    # Receipts, adjustments, shipments and distributions; nothing faked as an opening balance.
    assert kinds_posted == {
        TransactionKind.DISTRIBUTION,
        TransactionKind.CONSUMPTION,
        TransactionKind.RECEIPT,
        TransactionKind.ADJUSTMENT,
        TransactionKind.REVERSAL,
        TransactionKind.DISPATCH,
        TransactionKind.ARRIVAL,
        TransactionKind.TRANSIT_LOSS,
        TransactionKind.RECALL,
    }
    slips = list(db.session.scalars(select(Distribution)))
    assert {d.status for d in slips} == set(DistributionStatus)
    assert {d.recipient_type for d in slips} == set(RecipientType) - {RecipientType.OTHER}
    assert any(d.location_id == technician.location_id for d in slips)
    shipments = list(db.session.scalars(select(Shipment)))
    assert {s.status for s in shipments} == set(ShipmentStatus) - {ShipmentStatus.CLOSED}
    moved = {TransactionKind.DISPATCH, TransactionKind.ARRIVAL, TransactionKind.RECALL}
    assert all(t.document_id is not None for t in transactions if t.kind in moved)
    partly = [s for s in shipments if s.status is ShipmentStatus.PARTLY_RECEIVED]
    assert any(line.lost for s in partly for line in s.lines)
    awaiting = db.session.scalars(awaiting_receipt_query(technician.location_id)).all()
    assert awaiting, "the demo technician has a shipment to receive"
    inbound = [s for s in shipments if s.direction is ShipmentDirection.INBOUND]
    assert any(s.status is ShipmentStatus.DRAFT for s in inbound)
    assert any(line.damaged for s in inbound for line in s.lines)
    assert min(t.occurred_on for t in transactions) <= today - timedelta(days=150)
    reasons = {
        code
        for (code,) in db.session.execute(
            select(AdjustmentReason.code).join(
                StockTransaction, StockTransaction.reason_id == AdjustmentReason.id
            )
        )
    }
    assert {"damaged", "expired"} <= reasons
    [reversal] = [t for t in transactions if t.kind is TransactionKind.REVERSAL]
    assert reversal.reverses is not None


def test_seed_scale_builds_an_exact_ledger_in_bulk_and_refuses_a_second_run(
    app: Flask, runner
) -> None:
    args = ["hilo", "seed-scale", "--items", "30", "--locations", "8", "--movements", "3000"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "3000 movements" in result.output
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 3000
    assert db.session.scalar(select(func.count()).select_from(Item)) == 30
    physical = db.session.scalars(select(Location.kind).where(Location.code.like("SC-%"))).all()
    assert len(physical) == 8 and LocationKind.WAREHOUSE in physical
    french = db.session.scalars(select(Location.name_fr).where(Location.code.like("SC-%"))).all()
    assert all(name and name[0] in "ECÉ" for name in french)  # Entrepôt, Centre, Camp, École
    transactions = db.session.scalar(select(func.count()).select_from(StockTransaction))
    assert 3000 / 20 <= transactions <= 3000 / 3
    negative = db.session.scalar(
        select(func.count()).select_from(Balance).where(Balance.is_guarded, Balance.quantity < 0)
    )
    assert negative == 0
    checked = runner.invoke(args=["hilo", "check-ledger"])
    assert checked.exit_code == 0, checked.output

    # Ids given in bulk leave the sequences ready for the next ordinary posting.
    warehouse = db.session.scalar(
        select(Location).where(Location.kind == LocationKind.WAREHOUSE).limit(1)
    )
    item = db.session.scalar(select(Item).where(~Item.tracks_serial, ~Item.tracks_expiry).limit(1))
    record_receipt(
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item.id, 5, lot_code="AFTER-SEED")],
        operation_key=operation_key(),
    )
    # Transfers are shipments: a dispatch and (unless still on its way) an arrival each.
    shipments = db.session.scalar(select(func.count()).select_from(Shipment))
    dispatches = db.session.scalar(
        select(func.count())
        .select_from(StockTransaction)
        .where(StockTransaction.kind == TransactionKind.DISPATCH)
    )
    assert shipments == dispatches > 0
    assert not db.session.scalar(
        select(func.count())
        .select_from(StockTransaction)
        .where(
            StockTransaction.kind.in_([TransactionKind.DISPATCH, TransactionKind.ARRIVAL]),
            StockTransaction.document_id.is_(None),
        )
    )
    # The numbering goes on after the seeded numbers.
    lot_id = db.session.scalar(
        select(Balance.lot_id).where(
            Balance.location_id == warehouse.id, Balance.item_id == item.id, Balance.quantity > 0
        )
    )
    draft = create_dispatch(
        actor=SYSTEM,
        origin_id=warehouse.id,
        destination_id=db.session.scalar(
            select(Location.id).where(Location.kind == LocationKind.CENTRE).limit(1)
        ),
        lines=[DraftLine(item_id=item.id, lot_id=lot_id, quantity=1)],
    )
    assert draft.id > shipments
    # Consumption is distributions: one numbered slip per distribution or consumption
    # transaction, none faked as an opening balance, and slip numbers go on after the seed.
    slips = db.session.scalar(select(func.count()).select_from(Distribution))
    handed_out = db.session.scalar(
        select(func.count())
        .select_from(StockTransaction)
        .where(
            StockTransaction.kind.in_([TransactionKind.DISTRIBUTION, TransactionKind.CONSUMPTION]),
            StockTransaction.document_id.is_not(None),
        )
    )
    assert slips == handed_out > 0
    opening = select(func.count()).where(StockTransaction.kind == TransactionKind.OPENING)
    assert db.session.scalar(opening.select_from(StockTransaction)) == 0
    held = db.session.execute(
        select(Balance.location_id, Balance.item_id, Balance.lot_id)
        .join(Location, Location.id == Balance.location_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .where(Location.kind == LocationKind.CENTRE, Balance.quantity > 0)
        .where(Lot.expires_on.is_(None) | (Lot.expires_on >= business_today()))
        .limit(1)
    ).one()
    slip = record_distribution(
        actor=SYSTEM,
        location_id=held.location_id,
        distributed_on=business_today(),
        recipient=Recipient(type=RecipientType.WORKSHOP),
        lines=[LineInput(held.item_id, held.lot_id, 1)],
        operation_key=operation_key(),
    )
    assert slip.id > slips and slip.document.sequence > 0
    db.session.commit()

    again = runner.invoke(args=args)
    assert again.exit_code != 0
    assert "empty ledger" in again.output
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 3002
