"""The stock ledger: one writer, guarded balances, replays, reversals, append-only movements."""

from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.stock import ledger
from hilogistics.stock.errors import (
    InsufficientStockError,
    InvalidMovementError,
    ReplayConflictError,
)
from hilogistics.stock.models import (
    AdjustmentDirection,
    AdjustmentReason,
    Balance,
    ItemBalance,
    Lot,
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
        actor=SYSTEM,
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
        actor=SYSTEM,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=lines,
        operation_key=key,
    )
    again = record_receipt(
        actor=SYSTEM,
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
            actor=SYSTEM,
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
            actor=SYSTEM,
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
            actor=SYSTEM,
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
        actor=SYSTEM,
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
        actor=SYSTEM,
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
        actor=SYSTEM,
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
    with pytest.raises(DomainError, match="Choose a reason from the list") as unknown:
        adjust_stock(direction=AdjustmentDirection.OUT, reason_id=99_999, note="x", **common)
    assert unknown.value.field == "reason_id"
    db.session.rollback()


def test_a_reversal_restores_the_balances_and_points_at_the_original(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    original = receive(item, 12, warehouse)
    db.session.commit()
    reversal = reverse_transaction(
        actor=SYSTEM, transaction_id=original.id, note="keyed twice", operation_key=operation_key()
    )
    db.session.commit()
    assert on_hand(warehouse, item) == 0
    assert reversal.reverses_id == original.id and original.reversals == [reversal]
    with pytest.raises(DomainError, match="already been reversed"):
        reverse_transaction(
            actor=SYSTEM, transaction_id=original.id, note="again", operation_key=operation_key()
        )
    with pytest.raises(DomainError, match="cannot be reversed"):
        reverse_transaction(
            actor=SYSTEM, transaction_id=reversal.id, note="again", operation_key=operation_key()
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
            actor=SYSTEM, transaction_id=original.id, note="wrong", operation_key=operation_key()
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


# --- replays compare content -------------------------------------------------------------------


def receipt_of(item, warehouse, quantity: int, key: str, actor=SYSTEM) -> StockTransaction:
    return record_receipt(
        actor=actor,
        warehouse_id=warehouse.id,
        occurred_on=business_today(),
        lines=[ReceiptLine(item_id=item.id, quantity=quantity)],
        operation_key=key,
    )


def test_a_key_sent_again_with_other_content_is_refused(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    key = operation_key()
    first = receipt_of(item, warehouse, 5, key)
    db.session.commit()
    with pytest.raises(ReplayConflictError, match="already sent with other content") as refused:
        receipt_of(item, warehouse, 500, key)
    assert refused.value.status_code == 409
    db.session.rollback()
    assert on_hand(warehouse, item) == 5
    assert receipt_of(item, warehouse, 5, key).id == first.id


def test_an_adjustment_sent_with_a_receipts_key_is_refused(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    key = operation_key()
    lot_id = receipt_of(item, warehouse, 5, key).movements[0].lot_id
    db.session.commit()
    with pytest.raises(ReplayConflictError):
        take_out(warehouse, item, lot_id, 2, key=key)
    db.session.rollback()
    assert on_hand(warehouse, item) == 5


def test_an_adjustment_sent_again_is_answered_even_when_its_checks_now_refuse_it(
    app: Flask,
) -> None:
    # An adjustment does not look its key up first (the key's unique index answers a replay):
    # a resend is checked again, and answered with the first when the checks or the stock
    # refuse it; other content under the same key is still refused.
    item, warehouse = make_item(), make_warehouse()
    lot_id = receive(item, 5, warehouse).movements[0].lot_id
    key = operation_key()
    first = take_out(warehouse, item, lot_id, 5, key=key)
    db.session.commit()
    assert take_out(warehouse, item, lot_id, 5, key=key).id == first.id  # none left to take
    reason("damaged").is_active = False
    db.session.commit()
    assert take_out(warehouse, item, lot_id, 5, key=key).id == first.id  # reason withdrawn
    reason("damaged").is_active = True
    receive(item, 5, warehouse)
    db.session.commit()
    with pytest.raises(ReplayConflictError):
        take_out(warehouse, item, lot_id, 4, key=key)
    db.session.rollback()
    assert take_out(warehouse, item, lot_id, 5, key=key).id == first.id  # stock back: the index
    db.session.commit()
    assert on_hand(warehouse, item) == 5


def test_the_ledger_compares_content_too(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    lot_id = receive(item, 5, warehouse).movements[0].lot_id
    key = operation_key()

    def send(quantity: int) -> ledger.Posted:
        return ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(item.id, lot_id, quantity, warehouse.id, virtual("LOSS").id)],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=key,
        )

    first = send(1)
    again = send(1)
    assert first.created and not again.created
    assert again.transaction.id == first.transaction.id
    with pytest.raises(ReplayConflictError):
        send(2)
    db.session.rollback()


def test_operation_keys_are_unique_per_actor(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    first, second = make_user(Role.LOGISTICS), make_user(Role.LOGISTICS)
    key = operation_key()
    one = receipt_of(item, warehouse, 1, key, actor=first)
    two = receipt_of(item, warehouse, 1, key, actor=second)
    three = receipt_of(item, warehouse, 1, key, actor=SYSTEM)
    db.session.commit()
    assert len({one.id, two.id, three.id}) == 3
    assert on_hand(warehouse, item) == 3
    assert receipt_of(item, warehouse, 1, key, actor=first).id == one.id


def test_a_send_refused_because_its_twin_was_just_posted_returns_the_twin(
    app: Flask, monkeypatch
) -> None:
    # The race the first lookup cannot see: the twin commits between this call's key lookup and
    # its checks, which then refuse (its serial numbers are "already recorded").
    from hilogistics.stock import services

    item, warehouse = make_item(), make_warehouse()
    key = operation_key()
    twin = receipt_of(item, warehouse, 1, key)
    db.session.commit()
    real_replayed, calls = ledger.replayed, []

    def misses_first(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_replayed(**kwargs)

    def refuse(**_kwargs):
        raise DomainError("Serial number K-1 is already recorded.", field="lines-0-serials")

    monkeypatch.setattr(ledger, "replayed", misses_first)
    monkeypatch.setattr(services, "_record_receipt", refuse)
    assert receipt_of(item, warehouse, 1, key).id == twin.id
    assert len(calls) == 2


def test_the_system_actor_is_explicit_and_none_is_refused(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    with pytest.raises(PermissionDeniedError):
        receipt_of(item, warehouse, 1, operation_key(), actor=None)
    lot_id = receive(item, 2, warehouse).movements[0].lot_id
    with pytest.raises(PermissionDeniedError):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(item.id, lot_id, 1, warehouse.id, virtual("LOSS").id)],
            actor=None,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()


# --- post() is all-or-nothing on its own ------------------------------------------------------


@pytest.mark.parametrize("problem", ["short", "invalid"])
def test_a_refused_post_leaves_nothing_in_the_callers_transaction(app: Flask, problem) -> None:
    first, second, warehouse = make_item(), make_item(), make_warehouse()
    lot_first = receive(first, 10, warehouse).movements[0].lot_id
    lot_second = receive(second, 1, warehouse).movements[0].lot_id
    db.session.commit()
    loss = virtual("LOSS")
    bad = (
        ledger.Line(second.id, lot_second, 2, warehouse.id, loss.id)
        if problem == "short"
        else ledger.Line(second.id, lot_first, 1, warehouse.id, loss.id)
    )
    with pytest.raises(DomainError):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(first.id, lot_first, 5, warehouse.id, loss.id), bad],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    # A caller that catches the refusal and goes on commits what it did itself, nothing more.
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == 2
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 2
    assert (on_hand(warehouse, first), on_hand(warehouse, second)) == (10, 1)


# --- stock can always leave --------------------------------------------------------------------


def post_line(item, lot_id, source, target, kind=TransactionKind.OPENING) -> ledger.Posted:
    return ledger.post(
        kind=kind,
        lines=[ledger.Line(item.id, lot_id, 1, source.id, target.id)],
        actor=SYSTEM,
        occurred_on=business_today(),
        operation_key=operation_key(),
    )


@pytest.fixture(params=["inactive item", "expired lot"])
def stuck(request, app: Flask):
    """Stock at a centre of an item deactivated since, or of a lot expired since."""
    item, centre = make_item(tracks_expiry=True), make_location()
    warehouse = make_warehouse()
    receipt = receive(item, 10, warehouse, expires_on=business_today() + timedelta(days=30))
    lot = receipt.movements[0].lot
    post_line(item, lot.id, warehouse, centre)
    post_line(item, lot.id, warehouse, centre)
    if request.param == "inactive item":
        item.is_active = False
    else:
        lot.expires_on = business_today() - timedelta(days=1)
    db.session.commit()
    return item, lot, centre, warehouse, receipt


def test_stuck_stock_may_go_to_loss_to_count_or_back_to_a_warehouse(stuck) -> None:
    item, lot, centre, warehouse, _receipt = stuck
    post_line(item, lot.id, centre, virtual("LOSS"), TransactionKind.ADJUSTMENT)
    post_line(item, lot.id, warehouse, virtual("COUNT"), TransactionKind.COUNT)
    post_line(item, lot.id, centre, warehouse)
    transit = virtual("TRANSIT")
    post_line(item, lot.id, warehouse, transit, TransactionKind.RECALL)
    post_line(item, lot.id, transit, warehouse, TransactionKind.ARRIVAL)

    def dispatch_bound_for(place: object) -> ledger.Posted:
        return ledger.post(
            kind=TransactionKind.DISPATCH,
            lines=[ledger.Line(item.id, lot.id, 1, warehouse.id, transit.id)],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=operation_key(),
            bound_for_id=place.id,  # type: ignore[attr-defined]
        )

    with pytest.raises(InvalidMovementError, match="inactive or its lot has expired"):
        dispatch_bound_for(make_location())
    dispatch_bound_for(make_warehouse())  # a return to a warehouse by way of transit
    db.session.commit()
    assert on_hand(centre, item) == 0 and on_hand(warehouse, item) == 7


def test_stuck_stock_may_be_reversed(stuck) -> None:
    item, lot, centre, warehouse, receipt = stuck
    take_out(warehouse, item, lot.id, 7)
    db.session.commit()
    adjustment = db.session.scalar(
        select(StockTransaction).where(StockTransaction.kind == TransactionKind.ADJUSTMENT)
    )
    reverse_transaction(
        actor=SYSTEM,
        transaction_id=adjustment.id,
        note="it was not broken",
        operation_key=operation_key(),
    )
    db.session.commit()
    assert on_hand(warehouse, item) == 8


@pytest.mark.parametrize(
    "route",
    ["from supplier", "to a centre", "to recipients", "dispatch to transit"],
)
def test_stuck_stock_may_not_be_received_issued_or_distributed(stuck, route) -> None:
    item, lot, centre, warehouse, _receipt = stuck
    source, target, kind = {
        "from supplier": (virtual("SUPPLIER"), warehouse, TransactionKind.RECEIPT),
        "to a centre": (warehouse, make_location(), TransactionKind.OPENING),
        "to recipients": (centre, virtual("RECIPIENTS"), TransactionKind.DISTRIBUTION),
        "dispatch to transit": (warehouse, virtual("TRANSIT"), TransactionKind.DISPATCH),
    }[route]
    with pytest.raises(InvalidMovementError, match="inactive or its lot has expired"):
        post_line(item, lot.id, source, target, kind)
    db.session.rollback()


def test_an_inactive_item_is_not_received_and_the_form_says_why(app: Flask) -> None:
    item, warehouse = make_item(is_active=False), make_warehouse()
    with pytest.raises(DomainError, match="inactive items are no longer received"):
        receive(item, 1, warehouse)
    db.session.rollback()


# --- a serial number is in one place -------------------------------------------------------------


def found(location, item, lot_id: int, key: str | None = None) -> StockTransaction:
    return adjust_stock(
        actor=SYSTEM,
        location_id=location.id,
        item_id=item.id,
        lot_id=lot_id,
        quantity=1,
        direction=AdjustmentDirection.IN,
        reason_id=reason("found").id,
        occurred_on=business_today(),
        operation_key=key or operation_key(),
        note="found",
    )


def test_found_adjustments_cannot_put_a_serial_number_in_two_places(app: Flask) -> None:
    knee, warehouse, centre = make_item(tracks_serial=True), make_warehouse(), make_location()
    lot = receive(knee, 1, warehouse, serials=["SN-1"]).movements[0].lot
    db.session.commit()
    assert lot.at_location_id == warehouse.id
    for place in (warehouse, centre):
        with pytest.raises(InsufficientStockError, match="SN-1 is already in stock"):
            found(place, knee, lot.id)
        db.session.rollback()
    assert on_hand(warehouse, knee) == 1 and on_hand(centre, knee) == 0

    # Written off, it is outside: found again, it comes back (once).
    take_out(warehouse, knee, lot.id, 1)
    found(centre, knee, lot.id)
    db.session.commit()
    db.session.refresh(lot)
    assert lot.at_location_id == centre.id
    with pytest.raises(InsufficientStockError):
        found(warehouse, knee, lot.id)
    db.session.rollback()


def test_a_serial_lot_follows_its_unit(app: Flask) -> None:
    knee, warehouse, centre = make_item(tracks_serial=True), make_warehouse(), make_location()
    lot = receive(knee, 1, warehouse, serials=["SN-9"]).movements[0].lot
    post_line(knee, lot.id, warehouse, centre)
    db.session.commit()
    db.session.refresh(lot)
    assert lot.at_location_id == centre.id
    post_line(knee, lot.id, centre, virtual("RECIPIENTS"), TransactionKind.DISTRIBUTION)
    db.session.commit()
    db.session.refresh(lot)
    assert lot.at_location_id is None
    # Two lines that would leave it in two places are refused.
    with pytest.raises(DomainError):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[
                ledger.Line(knee.id, lot.id, 1, virtual("COUNT").id, warehouse.id),
                ledger.Line(knee.id, lot.id, 1, virtual("LOSS").id, centre.id),
            ],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.rollback()


# --- kinds, reasons and notes on lines ---------------------------------------------------------


def test_every_kind_posts_and_lines_keep_their_reason_and_note(app: Flask) -> None:
    item, warehouse = make_item(), make_warehouse()
    lot_id = receive(item, 20, warehouse).movements[0].lot_id
    for kind in TransactionKind:
        ledger.post(
            kind=kind,
            lines=[
                ledger.Line(
                    item.id,
                    lot_id,
                    1,
                    warehouse.id,
                    virtual("LOSS").id,
                    reason_id=reason("damaged").id,
                    note=f"{kind} line",
                )
            ],
            actor=SYSTEM,
            occurred_on=business_today(),
            operation_key=operation_key(),
        )
    db.session.commit()
    lines = db.session.scalars(
        select(Movement).where(Movement.to_location_id == virtual("LOSS").id)
    ).all()
    assert {m.transaction.kind for m in lines} == set(TransactionKind)
    assert all(m.reason_id == reason("damaged").id and m.note.endswith(" line") for m in lines)


# --- check-ledger -------------------------------------------------------------------------------


def test_check_ledger_reports_item_rows_reservations_and_serials(app: Flask, runner) -> None:
    item, knee, warehouse = make_item(), make_item(tracks_serial=True), make_warehouse()
    receive(item, 5, warehouse)
    lot = receive(knee, 1, warehouse, serials=["SN-5"]).movements[0].lot
    ledger.reserve(
        actor=SYSTEM, holder="R-1", location_id=warehouse.id, item_id=item.id, quantity=2
    )
    db.session.commit()
    assert runner.invoke(args=["hilo", "check-ledger"]).exit_code == 0

    def tamper(**values) -> None:
        db.session.execute(
            update(ItemBalance)
            .where(ItemBalance.location_id == warehouse.id, ItemBalance.item_id == item.id)
            .values(**values)
        )
        db.session.commit()

    tamper(on_hand=6)
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code == 1 and "item row on hand 6, its lots sum to 5" in result.output
    tamper(on_hand=5, reserved=3)
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code == 1
    assert "item row reserved 3, its reservations sum to 2" in result.output
    tamper(reserved=2)
    db.session.execute(update(Lot).where(Lot.id == lot.id).values(at_location_id=None))
    db.session.commit()
    result = runner.invoke(args=["hilo", "check-ledger"])
    assert result.exit_code == 1 and "serial SN-5" in result.output
    db.session.execute(update(Lot).where(Lot.id == lot.id).values(at_location_id=warehouse.id))
    db.session.commit()
    assert runner.invoke(args=["hilo", "check-ledger"]).exit_code == 0


def test_messages_name_places_and_reasons_in_the_readers_language_and_never_lot_dash(
    app: Flask,
) -> None:
    from flask_babel import force_locale

    warehouse = make_warehouse(name="Central warehouse", name_ko="중앙창고")
    item = make_item(code="MAT-GLUE")
    lot_id = receive(item, 2, warehouse).movements[0].lot_id
    with force_locale("ko_KP"), pytest.raises(InsufficientStockError) as short:
        take_out(warehouse, item, lot_id, 5)
    assert "중앙창고" in short.value.message and "Central warehouse" not in short.value.message
    assert "—" not in short.value.message
    with force_locale("ko_KP"), pytest.raises(DomainError) as unfit:
        adjust_stock(
            actor=SYSTEM,
            location_id=warehouse.id,
            item_id=item.id,
            lot_id=lot_id,
            quantity=1,
            direction=AdjustmentDirection.IN,
            reason_id=reason("damaged").id,
            occurred_on=business_today(),
            operation_key=operation_key(),
            note="n",
        )
    assert reason("damaged").name_ko in unfit.value.message
    assert "Damaged" not in unfit.value.message


def test_an_expiry_clash_without_a_lot_code_says_what_to_do(app: Flask) -> None:
    item, warehouse = make_item(code="MAT-GLUE", tracks_expiry=True), make_warehouse()
    receive(item, 2, warehouse, expires_on=date(2027, 1, 1))
    with pytest.raises(DomainError) as clash:
        receive(item, 2, warehouse, expires_on=date(2028, 1, 1))
    message = clash.value.message
    assert "Lot —" not in message and "MAT-GLUE (no lot code)" in message
    assert "2027-01-01" in message and "lot code printed" in message
    # The way out when the recorded date is the wrong one:
    assert "logistics staff can correct the lot's expiry" in message
    with pytest.raises(DomainError) as coded:
        receive(item, 2, warehouse, lot_code="B7", expires_on=date(2027, 1, 1))
        receive(item, 2, warehouse, lot_code="B7", expires_on=date(2028, 1, 1))
    assert "MAT-GLUE (lot B7)" in coded.value.message
