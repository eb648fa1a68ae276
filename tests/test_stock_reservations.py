"""Item rows and reservations: on hand per (location, item) kept by post(), reserve/release,
takes guarded on available stock, lines that fulfil a reservation."""

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.stock import ledger
from hilogistics.stock.errors import InsufficientStockError, InvalidMovementError
from hilogistics.stock.models import (
    AdjustmentDirection,
    Balance,
    ItemBalance,
    Reservation,
    TransactionKind,
)
from hilogistics.stock.services import adjust_stock
from tests.factories import (
    adjustment_reason,
    make_item,
    make_location,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)


def item_row(location, item) -> tuple[int, int]:
    """(on hand, reserved) of the item row, (0, 0) when there is none."""
    db.session.expire_all()
    row = db.session.execute(
        select(ItemBalance.on_hand, ItemBalance.reserved).where(
            ItemBalance.location_id == location.id, ItemBalance.item_id == item.id
        )
    ).one_or_none()
    return (row.on_hand, row.reserved) if row else (0, 0)


def lot_of(transaction) -> int:
    return transaction.movements[0].lot_id


def write_off(location, item, lot_id: int, quantity: int):
    return adjust_stock(
        actor=SYSTEM,
        location_id=location.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=quantity,
        direction=AdjustmentDirection.OUT,
        reason_id=adjustment_reason("damaged").id,
        occurred_on=business_today(),
        operation_key=operation_key(),
        note="broken",
    )


def move(item, lot_id: int, quantity: int, source, target, reservation_id: int | None = None):
    return ledger.post(
        kind=TransactionKind.DISPATCH,
        lines=[
            ledger.Line(
                item.id, lot_id, quantity, source.id, target.id, reservation_id=reservation_id
            )
        ],
        actor=SYSTEM,
        occurred_on=business_today(),
        operation_key=operation_key(),
    )


def test_post_keeps_each_item_row_equal_to_the_sum_of_its_lots(app: Flask) -> None:
    item, warehouse, centre = make_item(), make_warehouse(), make_location()
    first = lot_of(receive(item, 10, warehouse, lot_code="A"))
    receive(item, 5, warehouse, lot_code="B")
    move(item, first, 4, warehouse, centre)
    db.session.commit()
    assert item_row(warehouse, item) == (11, 0)
    assert item_row(centre, item) == (4, 0)
    assert item_row(virtual("SUPPLIER"), item) == (-15, 0)


def test_a_reservation_holds_stock_that_a_take_cannot_use(app: Flask) -> None:
    item, warehouse = make_item(code="ORT-KNEE-1"), make_warehouse(name="Central store")
    lot = lot_of(receive(item, 10, warehouse))
    reservation = ledger.reserve(
        actor=SYSTEM,
        holder="REQ-2026-00001/1",
        location_id=warehouse.id,
        item_id=item.id,
        quantity=7,
    )
    db.session.commit()
    assert reservation.quantity == 7 and item_row(warehouse, item) == (10, 7)

    with pytest.raises(InsufficientStockError) as refused:
        write_off(warehouse, item, lot, 4)
    db.session.rollback()
    assert "ORT-KNEE-1" in refused.value.message and "Central store" in refused.value.message
    assert "4 wanted, 3 available (7 reserved)" in refused.value.message
    write_off(warehouse, item, lot, 3)
    db.session.commit()
    assert item_row(warehouse, item) == (7, 7)


def test_a_shortage_without_reservations_speaks_of_what_is_on_hand(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    lot = lot_of(receive(item, 3, warehouse))
    with pytest.raises(InsufficientStockError, match="5 wanted, 3 on hand"):
        write_off(warehouse, item, lot, 5)
    db.session.rollback()


def test_reserving_more_than_is_available_is_refused(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=3
    )
    db.session.commit()
    with pytest.raises(InsufficientStockError, match="3 wanted, 2 available"):
        ledger.reserve(
            actor=SYSTEM, holder="R-2", location_id=warehouse.id, item_id=item.id, quantity=3
        )
    db.session.rollback()
    # Refused as a whole: the second holder's row was not left behind.
    assert db.session.scalar(select(Reservation).where(Reservation.holder == "R-2")) is None
    ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=2
    )
    db.session.commit()
    assert item_row(warehouse, item) == (5, 5)


def test_reservations_are_made_at_places_for_one_item_per_holder(app: Flask) -> None:
    item, other, warehouse = make_item(), make_item(), make_warehouse()
    receive(item, 5, warehouse)
    receive(other, 5, warehouse)
    with pytest.raises(InvalidMovementError, match="physical place"):
        ledger.reserve(
            actor=SYSTEM, holder="R-1", location_id=virtual("LOSS").id, item_id=item.id, quantity=1
        )
    ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=1
    )
    with pytest.raises(InvalidMovementError, match="another item or place"):
        ledger.reserve(
            actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=other.id, quantity=1
        )
    with pytest.raises(InvalidMovementError, match="quantity"):
        ledger.reserve(
            actor=SYSTEM, holder="R-2", location_id=warehouse.id, item_id=item.id, quantity=0
        )
    db.session.rollback()


def test_release_gives_back_part_or_all_and_never_more(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 10, warehouse)
    ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=6
    )
    assert ledger.release(actor=SYSTEM, holder="R-1", quantity=2).quantity == 4
    assert item_row(warehouse, item) == (10, 4)
    with pytest.raises(InvalidMovementError, match="holds less than 5"):
        ledger.release(actor=SYSTEM, holder="R-1", quantity=5)
    assert ledger.release(actor=SYSTEM, holder="R-1").quantity == 0
    db.session.commit()
    assert item_row(warehouse, item) == (10, 0)
    with pytest.raises(InvalidMovementError, match="holds no reservation"):
        ledger.release(actor=SYSTEM, holder="R-unknown")
    db.session.rollback()


def test_a_line_that_fulfils_a_reservation_lowers_it_in_the_same_post(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    lot = lot_of(receive(item, 10, warehouse))
    reservation = ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=7
    )
    db.session.commit()
    # The reserved units may go, although only 3 are available to anyone else.
    move(item, lot, 5, warehouse, virtual("TRANSIT"), reservation_id=reservation.id)
    db.session.commit()
    db.session.refresh(reservation)
    assert reservation.quantity == 2 and item_row(warehouse, item) == (5, 2)
    with pytest.raises(InsufficientStockError, match="4 wanted, 3 available"):
        move(item, lot, 4, warehouse, virtual("TRANSIT"))
    db.session.rollback()
    with pytest.raises(InsufficientStockError, match="holds 2"):
        move(item, lot, 3, warehouse, virtual("TRANSIT"), reservation_id=reservation.id)
    db.session.rollback()
    assert item_row(warehouse, item) == (5, 2)


def test_a_reservation_is_fulfilled_only_at_its_own_place(app: Flask) -> None:
    item, warehouse, other = make_item(), make_warehouse(), make_warehouse()
    receive(item, 4, warehouse)
    lot = lot_of(receive(item, 4, other))
    reservation = ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=4
    )
    with pytest.raises(InsufficientStockError, match="holds 0"):
        move(item, lot, 1, other, virtual("TRANSIT"), reservation_id=reservation.id)
    db.session.rollback()


def test_the_database_refuses_reserving_more_than_on_hand_at_a_place(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(ItemBalance).where(ItemBalance.location_id == warehouse.id).values(reserved=6)
        )
        db.session.flush()
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(Balance).where(Balance.location_id == warehouse.id).values(quantity=-1)
        )
        db.session.flush()
    db.session.rollback()


def test_reserve_and_release_need_an_actor(app: Flask) -> None:
    from hilogistics.errors import PermissionDeniedError

    item, warehouse = make_item(), make_warehouse()
    receive(item, 5, warehouse)
    with pytest.raises(PermissionDeniedError):
        ledger.reserve(
            actor=None, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=1
        )
    db.session.rollback()


def test_one_reservation_cannot_be_fulfilled_from_two_places_in_one_post(app: Flask) -> None:
    item, warehouse, other = make_item(), make_warehouse(), make_warehouse()
    lot = lot_of(receive(item, 4, warehouse))
    receive(item, 4, other)
    reservation = ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=4
    )
    transit = virtual("TRANSIT").id
    with pytest.raises(InvalidMovementError, match="one item at one place"):
        ledger.post(
            kind=TransactionKind.DISPATCH,
            lines=[
                ledger.Line(item.id, lot, 1, warehouse.id, transit, reservation_id=reservation.id),
                ledger.Line(item.id, lot, 1, other.id, transit, reservation_id=reservation.id),
            ],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()
