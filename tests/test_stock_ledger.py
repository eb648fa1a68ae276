"""The stock ledger: one writer, guarded balances, replays, reversals, append-only movements."""

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError, InvalidMovementError
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    Movement,
    StockTransaction,
    TransactionKind,
)
from hilogistics.stock.services import (
    ReceiptLine,
    adjust_stock,
    record_receipt,
    reverse_transaction,
)
from tests.factories import (
    make_grant,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)


def on_hand(location, item) -> int:
    """Sum of the balances of ``item`` at ``location`` over its lots."""
    return db.session.scalar(
        select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.location_id == location.id, Balance.item_id == item.id
        )
    )


def reason(code: str) -> AdjustmentReason:
    return db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == code))


def take_out(
    location, item, lot_id: int, quantity: int, key: str | None = None
) -> StockTransaction:
    return adjust_stock(
        actor=None,
        location_id=location.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=quantity,
        direction=AdjustmentDirection.OUT,
        reason_id=reason("damaged").id,
        occurred_on=business_today(),
        operation_key=key or operation_key(),
        note="broken in the store",
    )


def test_a_receipt_moves_stock_from_the_supplier_into_the_warehouse(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    transaction = receive(item, 40, warehouse)
    db.session.commit()
    assert transaction.kind is TransactionKind.RECEIPT
    assert on_hand(warehouse, item) == 40
    assert on_hand(virtual("SUPPLIER"), item) == -40
    [movement] = transaction.movements
    assert (movement.from_location_id, movement.to_location_id) == (
        virtual("SUPPLIER").id,
        warehouse.id,
    )


def test_the_same_operation_key_posts_once(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    key = operation_key()
    lines = [ReceiptLine(item_id=item.id, quantity=5)]
    first = record_receipt(
        actor=None,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=lines,
        operation_key=key,
    )
    again = record_receipt(
        actor=None,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=lines,
        operation_key=key,
    )
    db.session.commit()
    assert first.id == again.id
    assert on_hand(warehouse, item) == 5
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == 1


def test_taking_more_than_on_hand_fails_and_writes_nothing(app: Flask) -> None:
    item, warehouse = make_item(code="ORT-FOOT-SACH-24"), make_warehouse(name="Central warehouse")
    receive(item, 3, warehouse)
    db.session.commit()
    lot_id = db.session.scalar(select(Balance.lot_id).where(Balance.location_id == warehouse.id))
    with pytest.raises(InsufficientStockError) as raised:
        take_out(warehouse, item, lot_id, 4)
    db.session.rollback()
    assert (
        "ORT-FOOT-SACH-24" in raised.value.message and "Central warehouse" in raised.value.message
    )
    assert "4 wanted, 3 on hand" in raised.value.message
    assert on_hand(warehouse, item) == 3
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == 1


def test_a_multi_line_post_is_all_or_nothing(app: Flask) -> None:
    first, second, warehouse = make_item(), make_item(), make_warehouse()
    receive(first, 10, warehouse)
    receive(second, 1, warehouse)
    db.session.commit()
    lots = {
        row.item_id: row.lot_id
        for row in db.session.execute(
            select(Balance.item_id, Balance.lot_id).where(Balance.location_id == warehouse.id)
        )
    }
    loss = virtual("LOSS")
    with pytest.raises(InsufficientStockError):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[
                ledger.Line(first.id, lots[first.id], 5, warehouse.id, loss.id),
                ledger.Line(second.id, lots[second.id], 2, warehouse.id, loss.id),
            ],
            actor=None,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()
    assert (on_hand(warehouse, first), on_hand(warehouse, second)) == (10, 1)


@pytest.mark.parametrize("quantity", [0, -1, 2.5, True])
def test_lines_need_a_positive_whole_quantity(app: Flask, quantity) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    lot_id = db.session.scalar(select(Balance.lot_id).where(Balance.location_id == warehouse.id))
    with pytest.raises(InvalidMovementError, match="quantity"):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(item.id, lot_id, quantity, warehouse.id, virtual("LOSS").id)],
            actor=None,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()


def test_a_lot_of_another_item_is_refused(app: Flask) -> None:
    item, other, warehouse = make_item(), make_item(), make_warehouse()
    receive(other, 5, warehouse)
    other_lot = db.session.scalar(select(Balance.lot_id).where(Balance.item_id == other.id))
    with pytest.raises(InvalidMovementError, match="does not belong"):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(item.id, other_lot, 1, warehouse.id, virtual("LOSS").id)],
            actor=None,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()


def test_inactive_items_cannot_move(app: Flask) -> None:
    item, warehouse = make_item(is_active=False), make_warehouse()
    with pytest.raises(DomainError, match="active item"):
        receive(item, 1, warehouse)
    db.session.rollback()


def test_expiry_tracked_items_need_an_expiry_and_lots_keep_theirs(app: Flask) -> None:
    plaster, warehouse = make_item(tracks_expiry=True), make_warehouse()
    db.session.commit()
    with pytest.raises(DomainError, match="expiry") as missing:
        receive(plaster, 10, warehouse, lot_code="P-1")
    assert missing.value.field == "lines-0-expires_on"
    db.session.rollback()
    receive(plaster, 10, warehouse, lot_code="P-1", expires_on=date(2027, 6, 30))
    with pytest.raises(DomainError, match="already recorded with expiry 2027-06-30"):
        receive(plaster, 10, warehouse, lot_code="P-1", expires_on=date(2027, 7, 31))
    db.session.rollback()


def test_serial_tracked_items_get_one_lot_per_serial(app: Flask) -> None:
    knee, warehouse = make_item(tracks_serial=True), make_warehouse()
    receive(knee, 2, warehouse, serials=["SN-1", "SN-2"])
    db.session.commit()

    assert (
        db.session.scalar(
            select(func.count()).select_from(Balance).where(Balance.location_id == warehouse.id)
        )
        == 2
    )
    with pytest.raises(DomainError, match="one per unit"):
        receive(knee, 2, warehouse, serials=["SN-3"])
    db.session.rollback()
    with pytest.raises(DomainError, match="already recorded"):
        receive(knee, 1, warehouse, serials=["SN-1"])
    db.session.rollback()


def test_the_grant_rides_on_the_lot(app: Flask) -> None:
    item, warehouse, grant = make_item(), make_warehouse(), make_grant(code="ECHO-2026")
    transaction = record_receipt(
        actor=None,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item_id=item.id, quantity=7)],
        operation_key=operation_key(),
        grant_id=grant.id,
        supplier="Ottobock",
        reference="INV-1",
    )
    db.session.commit()
    assert transaction.movements[0].lot.grant.code == "ECHO-2026"


def test_future_dates_are_refused(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    with pytest.raises(DomainError, match="future"):
        receive(item, 1, warehouse, occurred_on=business_today() + timedelta(days=1))
    db.session.rollback()


def test_receipts_go_into_warehouses_only(app: Flask) -> None:
    item, centre = make_item(), make_location()
    with pytest.raises(DomainError, match="warehouse"):
        receive(item, 1, centre)
    db.session.rollback()


def test_technicians_and_viewers_cannot_post(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    for role in (Role.TECHNICIAN, Role.VIEWER):
        with pytest.raises(PermissionDeniedError):
            record_receipt(
                actor=make_user(role),
                warehouse_id=warehouse.id,
                occurred_on=business_today(),
                lines=[ReceiptLine(item_id=item.id, quantity=1)],
                operation_key=operation_key(),
            )
    db.session.rollback()


def test_found_stock_comes_in_from_the_count_location(app: Flask) -> None:
    item, centre, warehouse = make_item(), make_location(), make_warehouse()
    receive(item, 1, warehouse)
    lot_id = db.session.scalar(
        select(Balance.lot_id).where(
            Balance.item_id == item.id, Balance.location_id == warehouse.id
        )
    )
    adjust_stock(
        actor=None,
        location_id=centre.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=4,
        direction=AdjustmentDirection.IN,
        reason_id=reason("found").id,
        occurred_on=business_today(),
        operation_key=operation_key(),
        note="found behind the shelf",
    )
    db.session.commit()
    assert on_hand(centre, item) == 4
    assert on_hand(virtual("COUNT"), item) == -4


def test_a_reason_must_fit_the_direction_and_a_note_is_required(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    lot_id = db.session.scalar(select(Balance.lot_id).where(Balance.location_id == warehouse.id))
    common = dict(
        actor=None,
        location_id=warehouse.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=1,
        occurred_on=business_today(),
        operation_key=operation_key(),
    )
    with pytest.raises(DomainError, match="does not fit"):
        adjust_stock(
            direction=AdjustmentDirection.IN, reason_id=reason("stolen").id, note="x", **common
        )
    with pytest.raises(DomainError, match="note") as no_note:
        adjust_stock(
            direction=AdjustmentDirection.OUT, reason_id=reason("stolen").id, note=" ", **common
        )
    assert no_note.value.field == "note"
    db.session.rollback()


def test_a_reversal_restores_the_balances_and_points_at_the_original(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    original = receive(item, 12, warehouse)
    db.session.commit()
    reversal = reverse_transaction(
        actor=None, transaction_id=original.id, note="keyed twice", operation_key=operation_key()
    )
    db.session.commit()
    assert on_hand(warehouse, item) == 0
    assert reversal.reverses_id == original.id and original.reversed_by.id == reversal.id
    with pytest.raises(DomainError, match="already been reversed"):
        reverse_transaction(
            actor=None, transaction_id=original.id, note="again", operation_key=operation_key()
        )
    with pytest.raises(DomainError, match="cannot be reversed"):
        reverse_transaction(
            actor=None, transaction_id=reversal.id, note="again", operation_key=operation_key()
        )
    db.session.rollback()


def test_a_reversal_fails_cleanly_when_the_stock_has_moved_on(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    original = receive(item, 5, warehouse)
    lot_id = original.movements[0].lot_id
    take_out(warehouse, item, lot_id, 3)
    db.session.commit()
    with pytest.raises(InsufficientStockError):
        reverse_transaction(
            actor=None, transaction_id=original.id, note="wrong", operation_key=operation_key()
        )
    db.session.rollback()
    assert on_hand(warehouse, item) == 2


def test_movements_cannot_be_updated_or_deleted(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(update(Movement).values(quantity=50))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM movements"))
    db.session.rollback()
    assert db.session.scalar(select(func.sum(Movement.quantity))) == 5


def test_the_database_refuses_a_negative_guarded_balance(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Balance).where(Balance.location_id == warehouse.id).values(quantity=-1)
        )
        db.session.flush()
    db.session.rollback()


def test_check_ledger_reports_a_tampered_balance(app: Flask, runner) -> None:
    item, warehouse = make_item(code="EDU-BRL-PAPER"), make_warehouse()
    receive(item, 5, warehouse)
    db.session.commit()
    assert runner.invoke(args=["hilo", "check-ledger"]).exit_code == 0
    db.session.execute(
        update(Balance).where(Balance.location_id == warehouse.id).values(quantity=6)
    )
    db.session.commit()
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code == 1
    assert "balance 6, movements give 5" in result.output
    assert "sum to 1, not 0" in result.output
    # Put it right so the after-test ledger check passes.
    db.session.execute(
        update(Balance).where(Balance.location_id == warehouse.id).values(quantity=5)
    )
    db.session.commit()
