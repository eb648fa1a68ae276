"""Stock summaries (on hand per place, item and grant): kept by the ledger, checked by the audit."""

from datetime import timedelta

from flask import Flask
from sqlalchemy import delete, func, literal, literal_column, select, union_all, update

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import ledger, summaries
from hilogistics.stock.audit import ledger_differences, summary_differences
from hilogistics.stock.models import Lot, Movement, StockSummary, TransactionKind
from hilogistics.stock.services import reverse_transaction
from tests.factories import (
    make_grant,
    make_item,
    make_location,
    make_lot,
    make_warehouse,
    operation_key,
    virtual,
)


def _post(kind: TransactionKind, lot: Lot, quantity: int, origin, to, days_ago: int = 0):
    return ledger.post(
        kind=kind,
        lines=[
            ledger.Line(
                item_id=lot.item_id,
                lot_id=lot.id,
                quantity=quantity,
                from_location_id=origin.id,
                to_location_id=to.id,
            )
        ],
        actor=SYSTEM,
        occurred_on=business_today() - timedelta(days=days_ago),
        operation_key=operation_key(),
    ).transaction


def _from_movements() -> dict[tuple[int, int, int], int]:
    """(location, item, grant key) → inflows less outflows, worked from the movements alone."""
    signed = union_all(
        select(Movement.to_location_id.label("location_id"), Movement.lot_id, Movement.quantity),
        select(Movement.from_location_id, Movement.lot_id, literal(0) - Movement.quantity),
    ).subquery()
    grant = func.coalesce(Lot.grant_id, literal_column("0"))
    rows = db.session.execute(
        select(signed.c.location_id, Lot.item_id, grant, func.sum(signed.c.quantity))
        .join(Lot, Lot.id == signed.c.lot_id)
        .group_by(signed.c.location_id, Lot.item_id, grant)
    )
    return {(loc, item, grant): int(total) for loc, item, grant, total in rows if total}


def _stored() -> dict[tuple[int, int, int], int]:
    return {
        (row.location_id, row.item_id, row.grant_key): row.quantity
        for row in db.session.scalars(select(StockSummary))
        if row.quantity
    }


def test_the_summary_follows_receipts_transfers_distributions_backdating_and_reversals(
    app: Flask,
) -> None:
    item = make_item(code="SUM-A")
    warehouse, centre = make_warehouse(code="SUM-W"), make_location(code="SUM-C")
    g1, g2 = make_grant(code="SUM-G1"), make_grant(code="SUM-G2")
    lot1, lot2, plain = (
        make_lot(item, grant_id=g1.id),
        make_lot(item, grant_id=g2.id, code="L2"),
        make_lot(item, code="NOGRANT"),
    )
    supplier, transit = virtual("SUPPLIER"), virtual("TRANSIT")
    recipients, loss = virtual("RECIPIENTS"), virtual("LOSS")
    k = TransactionKind
    _post(k.RECEIPT, lot1, 100, supplier, warehouse, days_ago=3)
    _post(k.RECEIPT, lot2, 40, supplier, warehouse)
    _post(k.RECEIPT, plain, 9, supplier, warehouse)
    _post(k.DISPATCH, lot1, 30, warehouse, transit)
    _post(k.ARRIVAL, lot1, 30, transit, centre)
    given = _post(k.DISTRIBUTION, lot1, 12, centre, recipients)
    # Back-dated a year: today's figure changes all the same.
    _post(k.RECEIPT, lot2, 7, supplier, centre, days_ago=365)
    _post(k.ADJUSTMENT, plain, 9, warehouse, loss)
    reverse_transaction(
        actor=SYSTEM, transaction_id=given.id, note="Mistaken", operation_key=operation_key()
    )
    db.session.commit()

    assert _stored() == _from_movements()
    assert _stored()[(warehouse.id, item.id, g1.id)] == 70
    assert _stored()[(centre.id, item.id, g1.id)] == 30  # 30 arrived, 12 given, given back
    assert _stored()[(centre.id, item.id, g2.id)] == 7
    # The lot of no grant went in and out: its row stays, at zero, and is no difference.
    assert (
        db.session.scalar(
            select(StockSummary.quantity).where(
                StockSummary.location_id == warehouse.id, StockSummary.grant_key == 0
            )
        )
        == 0
    )
    assert ledger_differences() == []


def test_check_ledger_reports_a_tampered_missing_or_stray_summary(app: Flask, runner) -> None:
    item = make_item(code="SUM-T")
    warehouse, centre = make_warehouse(code="SUM-TW"), make_location(code="SUM-TC")
    grant = make_grant(code="SUM-TG")
    lot = make_lot(item, grant_id=grant.id)
    _post(TransactionKind.RECEIPT, lot, 50, virtual("SUPPLIER"), warehouse)
    db.session.commit()
    assert summary_differences() == []

    db.session.execute(
        update(StockSummary)
        .where(StockSummary.location_id == warehouse.id)
        .values(quantity=StockSummary.quantity + 1)
    )
    db.session.add(StockSummary(location_id=centre.id, item_id=item.id, grant_key=0, quantity=3))
    db.session.commit()
    found = [d.describe() for d in summary_differences()]
    assert found == [
        f"location {warehouse.id} item {item.id} grant {grant.id}: stock summary 51, "
        "its lot balances sum to 50",
        f"location {centre.id} item {item.id} grant none: stock summary 3, "
        "its lot balances sum to 0",
    ]
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code != 0 and "stock summary 51" in result.output

    db.session.execute(delete(StockSummary))
    db.session.commit()
    supplier = virtual("SUPPLIER")
    assert [d.describe() for d in summary_differences()] == [
        f"location {supplier.id} item {item.id} grant {grant.id}: stock summary 0, "
        "its lot balances sum to -50",
        f"location {warehouse.id} item {item.id} grant {grant.id}: stock summary 0, "
        "its lot balances sum to 50",
    ]
    summaries.fill()  # as seed-scale and the migration do
    db.session.commit()
    assert summary_differences() == []
