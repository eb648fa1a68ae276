"""Requisitions: suggestion figures worked by hand, the services, and the whole path.

Request → approve in part → dispatch → receive → closed, with the reservation back at zero and
the ledger clean (the ``app`` fixture audits it after every test), on SQLite and PostgreSQL.
"""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from hilogistics.lines.problems import LineProblems
from hilogistics.requisitions.models import LineDecision, RequisitionAction, RequisitionStatus
from hilogistics.requisitions.queries import (
    awaiting_review_query,
    backorders_query,
    for_place_query,
    progress_of,
)
from hilogistics.requisitions.services import (
    LineReview,
    RequestLine,
    cancel_backorder,
    cancel_requisition,
    create_requisition,
    create_requisition_shipment,
    review_requisition,
    submit_requisition,
    update_requisition,
)
from hilogistics.requisitions.suggestions import suggestions_for, window
from hilogistics.shipments.models import ShipmentStatus
from hilogistics.shipments.services import (
    LineReceipt,
    cancel_shipment,
    recall_shipment,
    receive_shipment,
)
from hilogistics.stock import ledger
from hilogistics.stock.audit import ledger_differences
from hilogistics.stock.errors import ReplayConflictError
from hilogistics.stock.models import ItemBalance, ReorderLevel, Reservation, TransactionKind
from tests.factories import (
    dispatch,
    make_dispatch,
    make_item,
    make_location,
    make_lot,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    virtual,
)

SOME_DAY = date(2026, 11, 15)


def move(item, lot, quantity, frm, to, on, kind=TransactionKind.RECEIPT) -> None:  # noqa: ANN001
    """Post one movement on a chosen date (the figures are worked by hand from these)."""
    ledger.post(
        kind=kind,
        lines=[ledger.Line(item.id, lot.id, quantity, frm.id, to.id)],
        actor=SYSTEM,
        occurred_on=on,
        operation_key=operation_key(),
    )


def test_window_is_the_three_complete_months_before_the_business_date() -> None:
    assert window(date(2026, 11, 15)) == (date(2026, 8, 1), date(2026, 11, 1))
    assert window(date(2026, 2, 1)) == (date(2025, 11, 1), date(2026, 2, 1))


def test_suggestions_match_figures_worked_by_hand(app, count_queries) -> None:  # noqa: ANN001
    place = make_location()
    supplier, recipients = virtual("SUPPLIER"), virtual("RECIPIENTS")
    steady, new, brand_new, levelled = (make_item() for _ in range(4))
    lots = {item.id: make_lot(item) for item in (steady, new, brand_new, levelled)}
    # Steady: 100 in before the window; 10 used in July (before it), 30 in August, nothing in
    # September (a month with no consumption), 15 in October, 20 in November (this month).
    move(steady, lots[steady.id], 100, supplier, place, date(2026, 7, 10))
    move(
        steady,
        lots[steady.id],
        10,
        place,
        recipients,
        date(2026, 7, 20),
        TransactionKind.DISTRIBUTION,
    )
    move(
        steady,
        lots[steady.id],
        30,
        place,
        recipients,
        date(2026, 8, 12),
        TransactionKind.DISTRIBUTION,
    )
    move(
        steady,
        lots[steady.id],
        15,
        place,
        recipients,
        date(2026, 10, 5),
        TransactionKind.CONSUMPTION,
    )
    move(
        steady,
        lots[steady.id],
        20,
        place,
        recipients,
        date(2026, 11, 3),
        TransactionKind.DISTRIBUTION,
    )
    # 7 of it on its way from a warehouse, dispatched and not received.
    warehouse = make_warehouse()
    receive(steady, 7, warehouse)
    warehouse_lot = db.session.scalars(
        select(ItemBalance).where(ItemBalance.location_id == warehouse.id)
    ).first()
    assert warehouse_lot.on_hand == 7
    sent = make_dispatch(warehouse, place, [(steady, _lot_at(warehouse, steady), 7)])
    dispatch(sent)
    # New: first came in October (inside the window): averaged over October alone.
    move(new, lots[new.id], 40, supplier, place, date(2026, 10, 10))
    move(new, lots[new.id], 12, place, recipients, date(2026, 10, 20), TransactionKind.DISTRIBUTION)
    # Brand new: came this month; no complete month yet.
    move(brand_new, lots[brand_new.id], 9, supplier, place, date(2026, 11, 2))
    move(
        brand_new,
        lots[brand_new.id],
        5,
        place,
        recipients,
        date(2026, 11, 4),
        TransactionKind.DISTRIBUTION,
    )
    # Levelled: never stocked here, but the place wants at least 10.
    db.session.add(ReorderLevel(location_id=place.id, item_id=levelled.id, minimum=10))
    db.session.flush()

    before = len(count_queries())
    figures = suggestions_for(place.id, target_months=3, on=SOME_DAY)
    assert len(count_queries()) - before == 1  # one statement for every item of the place

    s = figures[steady.id]
    assert (s.on_hand, s.on_the_way, s.consumption_total, s.consumption_months) == (25, 7, 45, 3)
    assert s.monthly_consumption == 15
    assert s.months_left == Decimal("1.7")  # 25 ÷ 15 to one decimal, as the report shows it
    assert s.suggested == 3 * 15 - 25 - 7 == 13
    n = figures[new.id]
    assert (n.on_hand, n.consumption_total, n.consumption_months, n.suggested) == (28, 12, 1, 8)
    b = figures[brand_new.id]
    assert (b.on_hand, b.consumption_months, b.monthly_consumption, b.suggested) == (
        4,
        None,
        None,
        0,
    )
    level = figures[levelled.id]
    assert (level.on_hand, level.suggested, level.below_minimum, level.wanted) == (0, 0, True, True)
    assert level.fill_quantity == 10
    assert not b.wanted
    # A remote camp aims for six months.
    assert suggestions_for(place.id, target_months=6, on=SOME_DAY)[steady.id].suggested == 58


def test_a_place_with_no_history_suggests_nothing(app) -> None:  # noqa: ANN001
    place = make_location()
    item = make_item()
    figures = suggestions_for(place.id, target_months=3, on=SOME_DAY, item_ids={item.id})
    only = figures[item.id]
    assert (only.on_hand, only.on_the_way, only.consumption_total, only.suggested) == (0, 0, 0, 0)
    assert only.monthly_consumption == 0 and only.months_left is None and not only.wanted


def test_a_corrected_slip_counts_only_what_stayed_handed_out(app) -> None:  # noqa: ANN001
    place = make_location()
    item = make_item()
    lot = make_lot(item)
    move(item, lot, 50, virtual("SUPPLIER"), place, date(2026, 7, 1))
    posted = ledger.post(
        kind=TransactionKind.DISTRIBUTION,
        lines=[ledger.Line(item.id, lot.id, 30, place.id, virtual("RECIPIENTS").id)],
        actor=SYSTEM,
        occurred_on=date(2026, 9, 10),
        operation_key=operation_key(),
    )
    movement = posted.transaction.movements[0]
    ledger.post(
        kind=TransactionKind.REVERSAL,
        lines=[
            ledger.Line(
                item.id,
                lot.id,
                30,
                virtual("RECIPIENTS").id,
                place.id,
                reverses_movement_id=movement.id,
            )
        ],
        actor=SYSTEM,
        occurred_on=date(2026, 11, 2),
        operation_key=operation_key(),
        reverses_id=posted.transaction.id,
    )
    move(
        item, lot, 6, place, virtual("RECIPIENTS"), date(2026, 9, 11), TransactionKind.DISTRIBUTION
    )
    assert suggestions_for(place.id, target_months=3, on=SOME_DAY)[item.id].consumption_total == 6


def _lot_at(place, item):  # noqa: ANN001, ANN202
    from hilogistics.stock.models import Balance

    return (
        db.session.scalars(
            select(Balance).where(Balance.location_id == place.id, Balance.item_id == item.id)
        )
        .first()
        .lot
    )


def supplied_place(stock: dict | None = None):  # noqa: ANN201
    """A warehouse with stock, and a centre it supplies with a technician."""
    warehouse = make_warehouse()
    centre = make_location(supplied_by_id=warehouse.id)
    technician = make_user(Role.TECHNICIAN, location_id=centre.id)
    items = []
    for quantity in (stock or {"a": 100, "b": 50}).values():
        item = make_item()
        receive(item, quantity, warehouse, lot_code="L1")
        items.append(item)
    return warehouse, centre, technician, items


def submitted(technician, centre, lines):  # noqa: ANN001, ANN201
    requisition = create_requisition(
        actor=technician,
        location_id=centre.id,
        lines=[RequestLine(item_id=i.id, quantity=q, reason="monthly") for i, q in lines],
    )
    return submit_requisition(actor=technician, requisition_id=requisition.id)


def reserved(warehouse, item) -> int:  # noqa: ANN001
    return db.session.scalar(
        select(ItemBalance.reserved).where(
            ItemBalance.location_id == warehouse.id, ItemBalance.item_id == item.id
        )
    )


def test_whole_path_request_approve_in_part_dispatch_receive_closed(app, runner) -> None:  # noqa: ANN001
    warehouse, centre, technician, (a, b) = supplied_place()
    logistics = make_user(Role.LOGISTICS)
    requisition = submitted(technician, centre, [(a, 40), (b, 20)])
    assert requisition.number.startswith("REQ-")
    assert requisition.status is RequisitionStatus.SUBMITTED
    assert [r.id for r in db.session.scalars(awaiting_review_query())] == [requisition.id]
    assert requisition in db.session.scalars(for_place_query(centre.id)).all()

    line_a, line_b = requisition.lines
    review_requisition(
        actor=logistics,
        requisition_id=requisition.id,
        reviews=[
            LineReview(line_a.id, LineDecision.REDUCED, approved=30, reason="share the stock"),
            LineReview(line_b.id, LineDecision.APPROVED),
        ],
    )
    assert requisition.status is RequisitionStatus.APPROVED
    assert (line_a.approved, line_b.approved) == (30, 20)
    assert (reserved(warehouse, a), reserved(warehouse, b)) == (30, 20)
    assert line_a.reservation.holder == f"{requisition.number}/1"
    assert not ledger_differences()

    # Send all of b but only 10 of a now; 20 of a stays as a backorder, still reserved.
    shipment = create_requisition_shipment(
        actor=logistics,
        requisition_id=requisition.id,
        quantities={line_a.id: 10, line_b.id: 20},
        operation_key="k1",
    )
    again = create_requisition_shipment(
        actor=logistics,
        requisition_id=requisition.id,
        quantities={line_a.id: 10, line_b.id: 20},
        operation_key="k1",
    )
    assert again.id == shipment.id
    assert shipment.status is ShipmentStatus.DRAFT and shipment.origin_id == warehouse.id
    rows = db.session.execute(backorders_query(centre.id)).all()
    assert [(row[0].id, row.reserved - row.in_draft) for row in rows] == [(line_a.id, 20)]

    dispatch(shipment, actor=logistics)
    assert (reserved(warehouse, a), reserved(warehouse, b)) == (20, 0)
    progress = progress_of(requisition.lines)
    assert (progress[line_a.id].shipped, progress[line_a.id].backorder) == (10, 20)

    receive_shipment(
        actor=technician,
        shipment_id=shipment.id,
        lines=[LineReceipt(line_id=line.id, received=line.quantity) for line in shipment.lines],
        received_on=_today(),
        operation_key=operation_key(),
    )
    db.session.refresh(requisition)
    assert requisition.status is RequisitionStatus.APPROVED  # 20 of a still awaited

    second = create_requisition_shipment(actor=logistics, requisition_id=requisition.id)
    dispatch(second, actor=logistics)
    receive_shipment(
        actor=technician,
        shipment_id=second.id,
        lines=[LineReceipt(line_id=line.id, received=line.quantity) for line in second.lines],
        received_on=_today(),
        operation_key=operation_key(),
    )
    db.session.refresh(requisition)
    assert requisition.status is RequisitionStatus.CLOSED
    assert (reserved(warehouse, a), reserved(warehouse, b)) == (0, 0)
    held = db.session.scalars(select(Reservation.quantity)).all()
    assert set(held) == {0}
    assert [e.action for e in requisition.events] == [
        RequisitionAction.CREATED,
        RequisitionAction.SUBMITTED,
        RequisitionAction.REVIEWED,
        RequisitionAction.SHIPMENT,
        RequisitionAction.SHIPMENT,
        RequisitionAction.CLOSED,
    ]
    on_hand = db.session.scalar(
        select(ItemBalance.on_hand).where(
            ItemBalance.location_id == centre.id, ItemBalance.item_id == a.id
        )
    )
    assert on_hand == 30
    db.session.commit()
    checked = runner.invoke(args=["hilo", "check-ledger"])
    assert checked.exit_code == 0, checked.output


def _today() -> date:
    from hilogistics.dates import business_today

    return business_today()


def test_cancelling_the_backorder_releases_it_and_closes(app) -> None:  # noqa: ANN001
    warehouse, centre, technician, (a,) = supplied_place({"a": 10})
    requisition = submitted(technician, centre, [(a, 8)])
    (line,) = requisition.lines
    review_requisition(
        actor=SYSTEM,
        requisition_id=requisition.id,
        reviews=[LineReview(line.id, LineDecision.APPROVED)],
    )
    draft = create_requisition_shipment(actor=SYSTEM, requisition_id=requisition.id)
    # Cancelling the draft leaves the reservation with the requisition: a backorder again.
    cancel_shipment(actor=SYSTEM, shipment_id=draft.id)
    assert reserved(warehouse, a) == 8
    assert progress_of([line])[line.id].backorder == 8
    with pytest.raises(DomainError) as refused:
        cancel_backorder(actor=SYSTEM, requisition_id=requisition.id, line_id=line.id, reason="")
    assert refused.value.field == "reason"
    cancel_backorder(
        actor=SYSTEM, requisition_id=requisition.id, line_id=line.id, quantity=3, reason="later"
    )
    assert reserved(warehouse, a) == 5 and line.cancelled == 3
    cancel_backorder(
        actor=SYSTEM, requisition_id=requisition.id, line_id=line.id, reason="not needed"
    )
    db.session.refresh(requisition)
    assert requisition.status is RequisitionStatus.CLOSED
    assert reserved(warehouse, a) == 0


def test_a_recall_reserves_again_what_the_dispatch_fulfilled(app) -> None:  # noqa: ANN001
    warehouse, centre, technician, (a,) = supplied_place({"a": 10})
    requisition = submitted(technician, centre, [(a, 6)])
    review_requisition(
        actor=SYSTEM,
        requisition_id=requisition.id,
        reviews=[LineReview(requisition.lines[0].id, LineDecision.APPROVED)],
    )
    shipment = create_requisition_shipment(actor=SYSTEM, requisition_id=requisition.id)
    dispatch(shipment)
    assert reserved(warehouse, a) == 0
    recall_shipment(
        actor=SYSTEM, shipment_id=shipment.id, reason="truck broke", operation_key=operation_key()
    )
    assert reserved(warehouse, a) == 6
    assert progress_of(requisition.lines)[requisition.lines[0].id].backorder == 6


def test_a_ship_key_replayed_with_other_quantities_is_refused_naming_the_first(app) -> None:  # noqa: ANN001
    from hilogistics.requisitions.models import RequisitionEvent
    from hilogistics.shipments.models import Shipment, ShipmentLine

    warehouse, centre, technician, (a, b) = supplied_place()
    requisition = submitted(technician, centre, [(a, 30), (b, 20)])
    line_a, line_b = requisition.lines
    review_requisition(
        actor=SYSTEM,
        requisition_id=requisition.id,
        reviews=[LineReview(line.id, LineDecision.APPROVED) for line in (line_a, line_b)],
    )
    logistics = make_user(Role.LOGISTICS)
    first = create_requisition_shipment(
        actor=logistics,
        requisition_id=requisition.id,
        quantities={line_a.id: 10, line_b.id: 20},
        operation_key="ship-1",
    )

    def written() -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Shipment, ShipmentLine, RequisitionEvent)
        )

    before = written()
    # The same form sent again (a double click, a retry): the same draft, nothing new.
    again = create_requisition_shipment(
        actor=logistics,
        requisition_id=requisition.id,
        quantities={line_a.id: 10, line_b.id: 20},
        operation_key="ship-1",
    )
    assert again.id == first.id and written() == before
    # The same key with other quantities (or the default "everything waiting") is refused,
    # naming the shipment the key made, and writes nothing.
    for other in ({line_a.id: 5, line_b.id: 20}, {line_a.id: 10}, None):
        with pytest.raises(ReplayConflictError) as refused:
            create_requisition_shipment(
                actor=logistics,
                requisition_id=requisition.id,
                quantities=other,
                operation_key="ship-1",
            )
        assert first.number in refused.value.message
        assert written() == before
    assert sum(line.quantity for line in first.lines) == 30


def test_review_refuses_every_problem_at_once_and_reserves_nothing(app) -> None:  # noqa: ANN001
    warehouse, centre, technician, (a, b) = supplied_place({"a": 5, "b": 5})
    requisition = submitted(technician, centre, [(a, 8), (b, 3)])
    line_a, line_b = requisition.lines
    with pytest.raises(LineProblems) as refused:
        review_requisition(
            actor=SYSTEM,
            requisition_id=requisition.id,
            reviews=[LineReview(line_a.id, LineDecision.REDUCED, approved=9)],
        )
    assert {p.field for p in refused.value.problems} == {
        "lines-0-approved",
        "lines-1-decision",
    }
    # More than the warehouse has: named on the line, nothing reserved.
    with pytest.raises(LineProblems) as short:
        review_requisition(
            actor=SYSTEM,
            requisition_id=requisition.id,
            reviews=[
                LineReview(line_a.id, LineDecision.APPROVED),
                LineReview(line_b.id, LineDecision.REJECTED, reason="not this month"),
            ],
        )
    assert [p.field for p in short.value.problems] == ["lines-0-approved"]
    assert reserved(warehouse, a) == 0  # the refused reserve's savepoint was undone


def test_rejecting_every_line_rejects_the_requisition_and_needs_reasons(app) -> None:  # noqa: ANN001
    _warehouse, centre, technician, (a,) = supplied_place({"a": 5})
    requisition = submitted(technician, centre, [(a, 2)])
    (line,) = requisition.lines
    with pytest.raises(LineProblems):
        review_requisition(
            actor=SYSTEM,
            requisition_id=requisition.id,
            reviews=[LineReview(line.id, LineDecision.REJECTED)],
        )
    review_requisition(
        actor=SYSTEM,
        requisition_id=requisition.id,
        reviews=[LineReview(line.id, LineDecision.REJECTED, reason="enough stock")],
    )
    assert requisition.status is RequisitionStatus.REJECTED
    with pytest.raises(ConflictError):
        review_requisition(
            actor=SYSTEM,
            requisition_id=requisition.id,
            reviews=[LineReview(line.id, LineDecision.APPROVED)],
        )


def test_technicians_never_review_and_see_only_their_place(app) -> None:  # noqa: ANN001
    _warehouse, centre, technician, (a,) = supplied_place({"a": 5})
    requisition = submitted(technician, centre, [(a, 2)])
    review = [LineReview(requisition.lines[0].id, LineDecision.APPROVED)]
    with pytest.raises(PermissionDeniedError):
        review_requisition(actor=technician, requisition_id=requisition.id, reviews=review)
    other = make_user(Role.TECHNICIAN)
    with pytest.raises(NotFoundError):
        cancel_requisition(actor=other, requisition_id=requisition.id)
    with pytest.raises(PermissionDeniedError):
        create_requisition(
            actor=other, location_id=centre.id, lines=[RequestLine(item_id=a.id, quantity=1)]
        )
    with pytest.raises(PermissionDeniedError):
        create_requisition(
            actor=make_user(Role.VIEWER),
            location_id=centre.id,
            lines=[RequestLine(item_id=a.id, quantity=1)],
        )
    with pytest.raises(PermissionDeniedError):
        create_requisition(
            actor=technician,
            location_id=centre.id,
            lines=[RequestLine(item_id=a.id, quantity=1)],
            from_paper=True,
        )


def test_drafts_are_edited_then_frozen_and_cancelled_before_review(app) -> None:  # noqa: ANN001
    _warehouse, centre, technician, (a, b) = supplied_place()
    draft = create_requisition(
        actor=technician,
        location_id=centre.id,
        lines=[RequestLine(item_id=a.id, quantity=2)],
        operation_key="once",
    )
    same = create_requisition(
        actor=technician,
        location_id=centre.id,
        lines=[RequestLine(item_id=a.id, quantity=2)],
        operation_key="once",
    )
    assert same.id == draft.id
    # The same one-time key with other lines is not a replay: refused, nothing made.
    with pytest.raises(ReplayConflictError, match=draft.number):
        create_requisition(
            actor=technician,
            location_id=centre.id,
            lines=[RequestLine(item_id=a.id, quantity=3)],
            operation_key="once",
        )
    with pytest.raises(LineProblems) as refused:
        update_requisition(
            actor=technician,
            requisition_id=draft.id,
            lines=[
                RequestLine(item_id=a.id, quantity=0),
                RequestLine(item_id=a.id, quantity=1),
                RequestLine(item_id=-1, quantity=1),
            ],
        )
    assert {p.field for p in refused.value.problems} == {
        "lines-0-quantity",
        "lines-1-item",
        "lines-2-item",
    }
    update_requisition(
        actor=technician,
        requisition_id=draft.id,
        lines=[RequestLine(item_id=b.id, quantity=4, reason="camp")],
    )
    assert [(ln.item_id, ln.quantity) for ln in draft.lines] == [(b.id, 4)]
    submit_requisition(actor=technician, requisition_id=draft.id)
    with pytest.raises(ConflictError):
        update_requisition(actor=technician, requisition_id=draft.id, lines=[RequestLine(a.id, 1)])
    cancel_requisition(actor=technician, requisition_id=draft.id, reason="sent twice")
    assert draft.status is RequisitionStatus.CANCELLED


def test_a_paper_requisition_says_who_keyed_it(app) -> None:  # noqa: ANN001
    _warehouse, centre, _technician, (a, _b) = supplied_place()
    clerk = make_user(Role.LOGISTICS)
    requisition = create_requisition(
        actor=clerk,
        location_id=centre.id,
        lines=[RequestLine(item_id=a.id, quantity=3)],
        from_paper=True,
    )
    assert requisition.is_from_paper and requisition.created_by_id == clerk.id
