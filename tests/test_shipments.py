"""Shipments on both engines: dispatch, receipt with discrepancies, recall, cancel, consignments,
permissions, FEFO, and the races the issue names (few repeats: the ledger's own races are
repeated elsewhere)."""

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from hilogistics.lines.parsing import expand_serials
from hilogistics.lines.problems import LineProblems
from hilogistics.shipments import queries
from hilogistics.shipments.models import (
    Shipment,
    ShipmentAction,
    ShipmentDirection,
    ShipmentDiscrepancy,
    ShipmentLine,
    ShipmentStatus,
)
from hilogistics.shipments.services import (
    DraftLine,
    Header,
    LineReceipt,
    cancel_shipment,
    close_consignment,
    create_dispatch,
    dispatch_shipment,
    plan_consignment,
    recall_shipment,
    receive_shipment,
    update_draft,
    visible_shipment,
)
from hilogistics.stock.audit import ledger_differences
from hilogistics.stock.errors import InsufficientStockError, ReplayConflictError
from hilogistics.stock.models import Balance, Movement, StockTransaction, TransactionKind
from tests.factories import (
    adjustment_reason,
    dispatch,
    make_dispatch,
    make_item,
    make_location,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)
from tests.races import race

TODAY = business_today()


def on_hand(location_id: int, lot_id: int) -> int:
    """The lot balance at a place (0 when there is no row)."""
    return (
        db.session.scalar(
            select(Balance.quantity).where(
                Balance.location_id == location_id, Balance.lot_id == lot_id
            )
        )
        or 0
    )


def setup_stock(quantity: int = 10):  # noqa: ANN201 - a test helper
    item = make_item()
    warehouse = make_warehouse()
    centre = make_location()
    transaction = receive(item, quantity, warehouse, lot_code="L1")
    lot = transaction.movements[0].lot
    return warehouse, centre, item, lot


def receipt(shipment: Shipment, *entries: LineReceipt, actor: object = SYSTEM, **kwargs: object):  # noqa: ANN201
    return receive_shipment(
        actor=actor,  # type: ignore[arg-type]
        shipment_id=shipment.id,
        lines=list(entries),
        received_on=kwargs.pop("received_on", TODAY),  # type: ignore[arg-type]
        operation_key=kwargs.pop("operation_key", operation_key()),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_dispatch_then_full_receipt_conserves_every_quantity(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 7)], carrier="Korea Trans")
    assert shipment.number.startswith(f"SHP-{TODAY.year}-")
    assert shipment.status is ShipmentStatus.DRAFT
    event = dispatch(shipment, vehicle="평양 12-345", driver="Kim")
    assert event.transaction.kind is TransactionKind.DISPATCH
    assert event.transaction.document_id == shipment.document_id
    transit = virtual("TRANSIT")
    assert (on_hand(warehouse.id, lot.id), on_hand(transit.id, lot.id)) == (3, 7)
    assert shipment.status is ShipmentStatus.DISPATCHED
    assert (shipment.carrier, shipment.vehicle, shipment.driver) == (
        "Korea Trans",
        "평양 12-345",
        "Kim",
    )

    line = shipment.lines[0]
    arrived = receipt(shipment, LineReceipt(line_id=line.id, received=7))
    assert arrived.transaction.kind is TransactionKind.ARRIVAL
    assert arrived.loss_transaction is None
    assert shipment.status is ShipmentStatus.RECEIVED
    assert (on_hand(warehouse.id, lot.id), on_hand(transit.id, lot.id)) == (3, 0)
    assert on_hand(centre.id, lot.id) == 7
    assert [e.action for e in shipment.events] == [
        ShipmentAction.CREATED,
        ShipmentAction.DISPATCHED,
        ShipmentAction.RECEIVED,
    ]
    kinds = [t.kind for t in queries.shipment_transactions(shipment)]
    assert kinds == [TransactionKind.DISPATCH, TransactionKind.ARRIVAL]
    db.session.commit()
    assert ledger_differences() == []


def test_partial_receipt_and_write_off_leave_nothing_in_transit(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 10)])
    dispatch(shipment)
    line_id = shipment.lines[0].id
    receipt(shipment, LineReceipt(line_id=line_id, received=6))
    assert shipment.status is ShipmentStatus.PARTLY_RECEIVED
    transit, loss = virtual("TRANSIT"), virtual("LOSS")
    assert on_hand(transit.id, lot.id) == 4

    lost = adjustment_reason("lost")
    event = receipt(
        shipment,
        LineReceipt(line_id=line_id, received=1, damaged=2, lost=1, reason_id=lost.id, note="rain"),
    )
    assert shipment.status is ShipmentStatus.RECEIVED
    assert on_hand(transit.id, lot.id) == 0
    assert on_hand(centre.id, lot.id) == 7
    assert on_hand(loss.id, lot.id) == 3
    reasons = {m.reason_id for m in event.loss_transaction.movements}
    assert reasons == {adjustment_reason("damaged").id, lost.id}
    assert {m.note for m in event.loss_transaction.movements} == {"rain"}
    line = db.session.get(ShipmentLine, line_id)
    assert (line.received, line.damaged, line.lost, line.remaining) == (7, 2, 1, 0)
    db.session.commit()
    assert ledger_differences() == []


def test_receiving_more_than_dispatched_or_twice_is_refused(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 5)])
    dispatch(shipment)
    line_id = shipment.lines[0].id
    with pytest.raises(DomainError) as refused:
        receipt(shipment, LineReceipt(line_id=line_id, received=6))
    assert refused.value.field == "lines-0-received"
    assert "only 5" in refused.value.message
    assert shipment.status is ShipmentStatus.DISPATCHED  # the savepoint undid the status too
    with pytest.raises(DomainError) as no_reason:
        receipt(shipment, LineReceipt(line_id=line_id, received=4, lost=1))
    assert no_reason.value.field == "lines-0-reason_id"
    receipt(shipment, LineReceipt(line_id=line_id, received=5))
    with pytest.raises(ConflictError):
        receipt(shipment, LineReceipt(line_id=line_id, received=1))
    assert on_hand(centre.id, lot.id) == 5


def test_recall_returns_stock_to_the_origin(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    dispatch(shipment)
    with pytest.raises(DomainError) as no_reason:
        recall_shipment(actor=SYSTEM, shipment_id=shipment.id, reason=" ", operation_key="k1")
    assert no_reason.value.field == "reason"
    event = recall_shipment(
        actor=SYSTEM, shipment_id=shipment.id, reason="Road closed", operation_key=operation_key()
    )
    assert event.transaction.kind is TransactionKind.RECALL
    assert shipment.status is ShipmentStatus.RECALLED
    assert shipment.reason == "Road closed"
    assert on_hand(warehouse.id, lot.id) == 10
    assert on_hand(virtual("TRANSIT").id, lot.id) == 0
    with pytest.raises(ConflictError):
        receipt(shipment, LineReceipt(line_id=shipment.lines[0].id, received=1))
    db.session.commit()
    assert ledger_differences() == []


def test_a_partly_received_shipment_cannot_be_recalled(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    dispatch(shipment)
    receipt(shipment, LineReceipt(line_id=shipment.lines[0].id, received=1))
    with pytest.raises(ConflictError):
        recall_shipment(
            actor=SYSTEM, shipment_id=shipment.id, reason="late", operation_key=operation_key()
        )


def test_a_cancelled_draft_posts_nothing(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    before = db.session.scalar(select(func.count()).select_from(StockTransaction))
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    cancel_shipment(actor=SYSTEM, shipment_id=shipment.id, reason="Not needed")
    assert shipment.status is ShipmentStatus.CANCELLED
    assert db.session.scalar(select(func.count()).select_from(StockTransaction)) == before
    with pytest.raises(ConflictError):
        dispatch(shipment)
    assert on_hand(warehouse.id, lot.id) == 10


def test_dispatch_above_available_names_item_lot_and_place_and_keeps_the_draft(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(5)
    other = make_item()
    other_lot = receive(other, 3, warehouse, lot_code="B7").movements[0].lot
    shipment = make_dispatch(warehouse, centre, [(other, other_lot, 2), (item, lot, 6)])
    with pytest.raises(InsufficientStockError) as short:
        dispatch(shipment)
    assert short.value.field == "lines-1-quantity"
    for name in (item.code, "L1", warehouse.name):
        assert name in short.value.message
    assert shipment.status is ShipmentStatus.DRAFT
    assert [line.quantity for line in shipment.lines] == [2, 6]
    assert on_hand(warehouse.id, lot.id) == 5
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 2  # the receipts


def test_a_dispatch_short_on_several_lines_names_every_one_at_once(app: Flask) -> None:
    """The clerk corrects every short line in one go, not one refused dispatch per line."""
    warehouse, centre, item, lot = setup_stock(5)
    other = make_item()
    other_lot = receive(other, 3, warehouse, lot_code="B7").movements[0].lot
    shipment = make_dispatch(warehouse, centre, [(other, other_lot, 4), (item, lot, 6)])
    with pytest.raises(InsufficientStockError) as short:
        dispatch(shipment)
    problems = short.value.problems
    assert [p.field for p in problems] == ["lines-0-quantity", "lines-1-quantity"]
    assert other.code in problems[0].message and item.code in problems[1].message
    assert "2 problems" in short.value.message
    assert shipment.status is ShipmentStatus.DRAFT


def test_editing_a_draft_replaces_its_lines_and_a_dispatched_one_is_frozen(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    update_draft(
        actor=SYSTEM,
        shipment_id=shipment.id,
        lines=[DraftLine(item_id=item.id, lot_id=lot.id, quantity=3)],
        header=Header(carrier="Truck 9"),
    )
    assert [line.quantity for line in shipment.lines] == [3]
    assert shipment.carrier == "Truck 9"
    dispatch(shipment)
    with pytest.raises(ConflictError):
        update_draft(
            actor=SYSTEM,
            shipment_id=shipment.id,
            lines=[DraftLine(item_id=item.id, lot_id=lot.id, quantity=1)],
        )
    with pytest.raises(DomainError) as missing:
        create_dispatch(actor=SYSTEM, origin_id=warehouse.id, destination_id=warehouse.id, lines=[])
    assert missing.value.field == "destination_id"


def test_the_same_dispatch_sent_twice_posts_once(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    key = operation_key()
    first = dispatch(shipment, operation_key=key)
    again = dispatch(shipment, operation_key=key)
    assert again.id == first.id
    assert on_hand(warehouse.id, lot.id) == 6
    with pytest.raises(ReplayConflictError):
        dispatch(shipment, operation_key=key, carrier="Someone else")


def test_the_same_receipt_sent_twice_posts_once(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    dispatch(shipment)
    entry = LineReceipt(line_id=shipment.lines[0].id, received=2)
    key = operation_key()
    first = receipt(shipment, entry, operation_key=key)
    again = receipt(shipment, entry, operation_key=key)
    assert again.id == first.id
    assert on_hand(centre.id, lot.id) == 2


def test_the_same_create_form_sent_twice_makes_one_draft(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    clerk, other_clerk = make_user(Role.LOGISTICS), make_user(Role.LOGISTICS)
    key = operation_key()

    def create(actor: object = clerk, quantity: int = 4) -> Shipment:
        return create_dispatch(
            actor=actor,  # type: ignore[arg-type]
            origin_id=warehouse.id,
            destination_id=centre.id,
            lines=[DraftLine(item_id=item.id, lot_id=lot.id, quantity=quantity)],
            header=Header(carrier="Truck 7"),
            operation_key=key,
        )

    first = create()
    assert create().id == first.id
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 1
    with pytest.raises(ReplayConflictError, match=first.number):
        create(quantity=5)
    assert create(actor=other_clerk).id != first.id  # keys are per actor
    plan = {
        "actor": clerk,
        "destination_id": warehouse.id,
        "lines": [DraftLine(item_id=item.id, quantity=3, lot_code="C1")],
        "header": Header(supplier="UNICEF"),
        "operation_key": operation_key(),
    }
    assert plan_consignment(**plan).id == plan_consignment(**plan).id
    with pytest.raises(ReplayConflictError):
        plan_consignment(**{**plan, "header": Header(supplier="WFP")})
    assert db.session.scalar(select(func.count()).select_from(Shipment)) == 3
    with pytest.raises(DomainError, match="one-time key"):
        create_dispatch(
            actor=clerk,
            origin_id=warehouse.id,
            destination_id=centre.id,
            lines=[],
            operation_key="",
        )


def test_a_consignment_is_received_in_parts_then_closed(app: Flask) -> None:
    warehouse = make_warehouse()
    item = make_item(tracks_expiry=True)
    other = make_item()
    expiry = TODAY + timedelta(days=400)
    shipment = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[
            DraftLine(item_id=item.id, quantity=100, lot_code="A1", expires_on=expiry),
            DraftLine(item_id=other.id, quantity=20),
        ],
        header=Header(supplier="Ottobock", reference="WB-778", expected_on=TODAY),
    )
    assert shipment.direction is ShipmentDirection.INBOUND
    assert shipment.origin.code == "SUPPLIER"
    assert queries.expected_consignments_query() is not None
    assert db.session.scalars(queries.expected_consignments_query()).all() == [shipment]
    first, second = shipment.lines
    event = receipt(
        shipment,
        LineReceipt(line_id=first.id, received=60, damaged=2),
        LineReceipt(line_id=second.id, received=20),
    )
    transaction = event.transaction
    assert transaction.kind is TransactionKind.RECEIPT
    assert transaction.supplier == "Ottobock"
    assert shipment.status is ShipmentStatus.PARTLY_RECEIVED
    lot_id = db.session.get(ShipmentLine, first.id).lot_id
    assert db.session.get(ShipmentLine, first.id).lot.expires_on == expiry
    assert on_hand(warehouse.id, lot_id) == 60
    assert on_hand(virtual("LOSS").id, lot_id) == 2
    with pytest.raises(DomainError) as lost:
        receipt(shipment, LineReceipt(line_id=first.id, lost=1))
    assert lost.value.field == "lines-0-reason_id"
    with pytest.raises(DomainError) as nothing:
        short = adjustment_reason("lost")
        receipt(shipment, LineReceipt(line_id=first.id, lost=1, reason_id=short.id))
    assert nothing.value.field == "lines"  # only short: close the consignment instead
    receipt(shipment, LineReceipt(line_id=first.id, received=30))
    close_consignment(actor=SYSTEM, shipment_id=shipment.id, reason="Rest cancelled by donor")
    assert shipment.status is ShipmentStatus.CLOSED
    assert db.session.scalars(queries.expected_consignments_query()).all() == []
    assert on_hand(warehouse.id, lot_id) == 90
    db.session.commit()
    assert ledger_differences() == []


def test_technicians_receive_only_at_their_own_place_and_never_dispatch(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    technician = make_user(Role.TECHNICIAN, location=centre)
    stranger = make_user(Role.TECHNICIAN)
    viewer = make_user(Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        make_dispatch(warehouse, centre, [(item, lot, 1)], actor=technician)
    shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
    with pytest.raises(PermissionDeniedError):
        dispatch(shipment, actor=technician)
    dispatch(shipment)
    line_id = shipment.lines[0].id
    with pytest.raises(NotFoundError):
        receipt(shipment, LineReceipt(line_id=line_id, received=1), actor=stranger)
    with pytest.raises(NotFoundError):
        visible_shipment(stranger, shipment.id)
    with pytest.raises(PermissionDeniedError):
        receipt(shipment, LineReceipt(line_id=line_id, received=1), actor=viewer)
    with pytest.raises(PermissionDeniedError):
        recall_shipment(actor=technician, shipment_id=shipment.id, reason="x", operation_key="k")
    event = receipt(shipment, LineReceipt(line_id=line_id, received=4), actor=technician)
    assert event.actor_id == technician.id
    assert db.session.scalars(queries.shipments_query(stranger)).all() == []
    assert db.session.scalars(queries.shipments_query(technician)).all() == [shipment]
    assert db.session.scalars(queries.awaiting_receipt_query(centre.id)).all() == []


def test_lists_filter_and_find_awaiting_receipts(app: Flask) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    first = make_dispatch(warehouse, centre, [(item, lot, 1)], reference="PAPER-1")
    second = make_dispatch(warehouse, centre, [(item, lot, 1)])
    dispatch(second)
    logistics = make_user(Role.LOGISTICS)
    found = queries.shipments_query(logistics, queries.ShipmentFilters(text="paper-1"))
    assert db.session.scalars(found).all() == [first]
    found = queries.shipments_query(
        logistics, queries.ShipmentFilters(status=ShipmentStatus.DISPATCHED)
    )
    assert db.session.scalars(found).all() == [second]
    by_number = queries.shipments_query(logistics, queries.ShipmentFilters(text=second.number))
    assert db.session.scalars(by_number).all() == [second]
    assert db.session.scalars(queries.awaiting_receipt_query(centre.id)).all() == [second]
    assert queries.available_at(warehouse.id, [item.id]) == {item.id: 9}


def test_fefo_suggests_the_first_expiry_first_and_never_an_expired_lot(app: Flask) -> None:
    item = make_item(tracks_expiry=True)
    warehouse = make_warehouse()
    late = receive(item, 5, warehouse, lot_code="LATE", expires_on=TODAY + timedelta(days=300))
    soon = receive(item, 3, warehouse, lot_code="SOON", expires_on=TODAY + timedelta(days=30))
    suggestions = queries.fefo_lots(location_id=warehouse.id, item_id=item.id, quantity=6)
    assert [(s.lot.code, s.quantity) for s in suggestions] == [("SOON", 3), ("LATE", 3)]
    later = TODAY + timedelta(days=60)
    suggestions = queries.fefo_lots(location_id=warehouse.id, item_id=item.id, quantity=9, on=later)
    assert [(s.lot.code, s.quantity) for s in suggestions] == [("LATE", 5)]
    assert late.id != soon.id


# ---------------------------------------------------------------------------------------------
# Races: threads released together, each committing once.

REPEATS = 2


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 5, "pool_timeout": 60}
    )


@pytest.mark.slow
def test_two_dispatches_for_the_same_last_units_one_wins(app: Flask, race_app: Flask) -> None:
    for _repeat in range(REPEATS):
        warehouse, centre, item, lot = setup_stock(5)
        ids = [make_dispatch(warehouse, centre, [(item, lot, 5)]).id for _ in range(2)]
        db.session.commit()

        def send(index: int, ids: list[int] = ids) -> None:
            dispatch_shipment(
                actor=SYSTEM,
                shipment_id=ids[index],
                dispatched_on=TODAY,
                operation_key=operation_key(),
            )

        result = race(race_app, 2, send)
        assert result.outcomes == Counter({"ok": 1, "short": 1}), result.outcomes
        db.session.expire_all()
        statuses = sorted(db.session.get(Shipment, i).status.value for i in ids)
        assert statuses == ["dispatched", "draft"]
        assert on_hand(warehouse.id, lot.id) == 0
        assert on_hand(virtual("TRANSIT").id, lot.id) == 5
        db.session.commit()


@pytest.mark.slow
def test_two_people_receiving_one_line_never_exceed_what_was_sent(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        warehouse, centre, item, lot = setup_stock(10)
        shipment = make_dispatch(warehouse, centre, [(item, lot, 6)])
        dispatch(shipment)
        shipment_id, line_id = shipment.id, shipment.lines[0].id
        db.session.commit()

        def take(_index: int, shipment_id: int = shipment_id, line_id: int = line_id) -> None:
            receive_shipment(
                actor=SYSTEM,
                shipment_id=shipment_id,
                lines=[LineReceipt(line_id=line_id, received=4)],
                received_on=TODAY,
                operation_key=operation_key(),
            )

        result = race(race_app, 3, take)
        assert result.outcomes["ok"] == 1, result.outcomes
        db.session.expire_all()
        line = db.session.get(ShipmentLine, line_id)
        assert line.received == 4
        assert on_hand(centre.id, lot.id) == 4
        assert db.session.get(Shipment, shipment_id).status is ShipmentStatus.PARTLY_RECEIVED
        db.session.commit()


@pytest.mark.slow
def test_the_same_dispatch_sent_twice_at_once_is_one_transaction(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        warehouse, centre, item, lot = setup_stock(10)
        shipment = make_dispatch(warehouse, centre, [(item, lot, 4)])
        shipment_id, key = shipment.id, operation_key()
        db.session.commit()

        def send(_index: int, shipment_id: int = shipment_id, key: str = key) -> int:
            event = dispatch_shipment(
                actor=SYSTEM, shipment_id=shipment_id, dispatched_on=TODAY, operation_key=key
            )
            return event.transaction_id

        result = race(race_app, 2, send)
        assert result.outcomes == Counter({"ok": 2}), result.outcomes
        assert len(set(result.values)) == 1
        db.session.expire_all()
        count = db.session.scalar(
            select(func.count())
            .select_from(StockTransaction)
            .where(StockTransaction.kind == TransactionKind.DISPATCH)
            .where(
                StockTransaction.document_id == db.session.get(Shipment, shipment_id).document_id
            )
        )
        assert count == 1
        assert on_hand(warehouse.id, lot.id) == 6
        db.session.commit()


@pytest.mark.slow
def test_the_same_create_form_sent_twice_at_once_makes_one_draft(
    app: Flask, race_app: Flask
) -> None:
    warehouse, centre, item, lot = setup_stock(10)
    places = (warehouse.id, centre.id)
    line = DraftLine(item_id=item.id, lot_id=lot.id, quantity=4)
    db.session.commit()
    for _repeat in range(REPEATS):
        key = operation_key()

        def send(_index: int, key: str = key) -> int:
            return create_dispatch(
                actor=SYSTEM,
                origin_id=places[0],
                destination_id=places[1],
                lines=[line],
                operation_key=key,
            ).id

        result = race(race_app, 2, send)
        assert result.outcomes == Counter({"ok": 2}), result.outcomes
        assert len(set(result.values)) == 1
    db.session.expire_all()
    numbers = db.session.scalars(select(Shipment).order_by(Shipment.id)).all()
    assert len(numbers) == REPEATS
    # The loser's number was rolled back with its draft: numbers run without a gap.
    sequences = [int(shipment.number.rsplit("-", 1)[1]) for shipment in numbers]
    assert sequences == list(range(sequences[0], sequences[0] + REPEATS))


def test_an_expired_lot_is_refused_on_its_line_before_the_ledger(app: Flask) -> None:
    item = make_item(tracks_expiry=True)
    warehouse, centre = make_warehouse(), make_location()
    lot = (
        receive(
            item,
            5,
            warehouse,
            lot_code="OLD",
            expires_on=TODAY - timedelta(days=1),
            occurred_on=TODAY - timedelta(days=10),
        )
        .movements[0]
        .lot
    )
    shipment = make_dispatch(warehouse, centre, [(item, lot, 2)])
    with pytest.raises(DomainError) as refused:
        dispatch(shipment)
    assert refused.value.field == "lines-0-lot"
    # The message names the item, the lot and the place it may not go to.
    assert item.code in refused.value.message and "OLD" in refused.value.message
    assert centre.name in refused.value.message
    assert shipment.status is ShipmentStatus.DRAFT


@pytest.mark.parametrize("then", ["received", "recalled"])
def test_expired_stock_returns_from_a_centre_to_a_warehouse(app: Flask, then: str) -> None:
    """DESIGN.md 2b: expired lots may go back to a warehouse; a centre can send them back."""
    item = make_item(tracks_expiry=True)
    warehouse, centre, school = make_warehouse(), make_location(), make_location()
    lot = receive(item, 5, warehouse, lot_code="OLD", expires_on=TODAY + timedelta(days=5))
    lot = lot.movements[0].lot
    dispatch(make_dispatch(warehouse, centre, [(item, lot, 5)]))
    shipment = db.session.scalars(select(Shipment).order_by(Shipment.id.desc())).first()
    receipt(shipment, LineReceipt(line_id=shipment.lines[0].id, received=5))
    lot.expires_on = TODAY - timedelta(days=1)  # it expired at the centre
    db.session.flush()
    with pytest.raises(DomainError, match="not to"):  # not onward to another place
        dispatch(make_dispatch(centre, school, [(item, lot, 1)]))
    back = make_dispatch(centre, warehouse, [(item, lot, 4)])
    event = dispatch(back)
    assert event.transaction.kind is TransactionKind.DISPATCH
    transit = virtual("TRANSIT")
    assert (on_hand(centre.id, lot.id), on_hand(transit.id, lot.id)) == (1, 4)
    if then == "received":
        receipt(back, LineReceipt(line_id=back.lines[0].id, received=4))
        assert back.status is ShipmentStatus.RECEIVED
        assert on_hand(warehouse.id, lot.id) == 4
    else:
        recall_shipment(
            actor=SYSTEM, shipment_id=back.id, reason="kept", operation_key=operation_key()
        )
        assert back.status is ShipmentStatus.RECALLED
        assert on_hand(centre.id, lot.id) == 5
    assert on_hand(transit.id, lot.id) == 0
    assert ledger_differences() == []


def test_a_consignment_is_received_as_found_with_short_damaged_and_surplus(app: Flask) -> None:
    warehouse = make_warehouse()
    drug = make_item(tracks_expiry=True)
    knee = make_item(tracks_serial=True)
    plain = make_item()
    shipment = plan_consignment(
        actor=SYSTEM,
        destination_id=warehouse.id,
        lines=[
            DraftLine(item_id=drug.id, quantity=50, lot_code="PLAN-1"),
            DraftLine(item_id=knee.id, quantity=5),
            DraftLine(item_id=plain.id, quantity=10),
        ],
        header=Header(supplier="ICRC"),
    )
    drug_line, knee_line, plain_line = shipment.lines
    short = adjustment_reason("lost")
    with pytest.raises(LineProblems) as refused:
        receipt(
            shipment,
            LineReceipt(line_id=drug_line.id, received=50, lot_code="FOUND-9"),
            LineReceipt(line_id=knee_line.id, received=3, serials=("KN-1",)),
            LineReceipt(line_id=plain_line.id, received=12),
        )
    fields = {(p.field, p.warning) for p in refused.value.problems}
    assert fields == {
        ("lines-0-expires_on", False),  # no expiry in the plan nor as found
        ("lines-1-serials", False),  # 3 units, 1 serial number
        ("lines-2-received", True),  # 2 more than planned: to confirm
    }
    assert db.session.scalar(select(func.count()).select_from(Movement)) == 0  # nothing posted
    expiry = TODAY + timedelta(days=700)
    event = receipt(
        shipment,
        LineReceipt(
            line_id=drug_line.id,
            received=45,
            damaged=3,
            lost=2,
            reason_id=short.id,
            lot_code="FOUND-9",
            expires_on=expiry,
            note="carton wet",
        ),
        LineReceipt(
            line_id=knee_line.id, received=3, serials=tuple(expand_serials("KN-0001..KN-0003"))
        ),
        LineReceipt(line_id=plain_line.id, received=12),
        confirmed=True,
    )
    lots = {
        (m.lot.item_id, m.lot.code or m.lot.serial, m.lot.expires_on)
        for m in event.transaction.movements
    }
    assert (drug.id, "FOUND-9", expiry) in lots  # as found, not as planned
    assert {m.lot.serial for m in event.transaction.movements if m.lot.item_id == knee.id} == {
        "KN-0001",
        "KN-0002",
        "KN-0003",
    }
    damaged = [m for m in event.transaction.movements if m.to_location_id == virtual("LOSS").id]
    assert [(m.quantity, m.lot.code) for m in damaged] == [(3, "FOUND-9")]
    db.session.expire_all()
    lines = db.session.get(Shipment, shipment.id).lines
    assert [(ln.quantity, ln.received, ln.damaged, ln.lost) for ln in lines] == [
        (50, 45, 3, 2),
        (5, 3, 0, 0),
        (12, 12, 0, 0),  # the surplus raised the plan's quantity
    ]
    kept = db.session.scalars(
        select(ShipmentDiscrepancy).where(ShipmentDiscrepancy.event_id == event.id)
    ).all()
    assert sorted((d.kind.value, d.quantity, d.reason_id, d.note) for d in kept) == [
        ("short", 2, short.id, "carton wet"),
        ("surplus", 2, None, ""),
    ]
    assert db.session.get(Shipment, shipment.id).status is ShipmentStatus.PARTLY_RECEIVED
    receipt(shipment, LineReceipt(line_id=knee_line.id, received=2, serials=("KN-0004", "KN-0005")))
    assert db.session.get(Shipment, shipment.id).status is ShipmentStatus.RECEIVED
    db.session.commit()
    assert ledger_differences() == []
