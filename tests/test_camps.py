"""Mobile camps: opening, loading, distributing, the closing steps, the report that balances."""

import pytest
from flask import Flask
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role
from hilogistics.camps.models import CampStatus
from hilogistics.camps.queries import camp_report, camps_query, open_camps_query
from hilogistics.camps.services import close_camp, create_return, open_camp, start_closing
from hilogistics.counts.models import CountStatus
from hilogistics.counts.services import CountEntry, abandon_count, post_count, record_counts
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import FittingService, RecipientType, Side
from hilogistics.distributions.services import (
    LineInput,
    Recipient,
    correct_distribution,
    record_distribution,
)
from hilogistics.errors import ConflictError, DomainError, PermissionDeniedError
from hilogistics.lines.problems import LineProblems
from hilogistics.locations.models import LocationKind
from hilogistics.registry.queries import find_document
from hilogistics.shipments.services import (
    LineReceipt,
    cancel_shipment,
    recall_shipment,
    receive_shipment,
)
from hilogistics.stock import ledger
from hilogistics.stock.errors import InvalidMovementError
from hilogistics.stock.models import Balance, TransactionKind
from tests.factories import (
    dispatch,
    make_camp,
    make_dispatch,
    make_item,
    make_user,
    make_warehouse,
    operation_key,
    receive,
    seeded_province,
)

TODAY = business_today()
PATIENT = Recipient(
    type=RecipientType.PATIENT, reference="BEN-0042", service=FittingService.NEW, side=Side.LEFT
)
SESSION = Recipient(
    type=RecipientType.CAMP_SESSION,
    reference="CMP-01",
    headcounts={"girls": 2, "boys": 3, "women": 4, "men": 1, "older_men": 1},
)


def distribute(camp, recipient, lines):  # noqa: ANN001, ANN201 - a test helper
    return record_distribution(
        actor=SYSTEM,
        location_id=camp.location_id,
        distributed_on=TODAY,
        recipient=recipient,
        lines=[LineInput(item.id, lot.id, quantity) for item, lot, quantity in lines],
        operation_key=operation_key(),
    )


def on_hand(location_id: int) -> int:
    """Everything on hand at a place."""
    return sum(
        db.session.scalars(select(Balance.quantity).where(Balance.location_id == location_id))
    )


def loaded_camp():  # noqa: ANN201 - a test helper
    """A camp loaded with 30 of A and 20 of B (received in full) from its warehouse."""
    warehouse = make_warehouse()
    a, b = make_item(code="CMP-A"), make_item(code="CMP-B")
    lot_a = receive(a, 50, warehouse, lot_code="LA").movements[0].lot
    lot_b = receive(b, 20, warehouse, lot_code="LB").movements[0].lot
    camp = make_camp(warehouse)
    load = make_dispatch(warehouse, camp.location, [(a, lot_a, 30), (b, lot_b, 20)])
    dispatch(load)
    receive_shipment(
        actor=SYSTEM,
        shipment_id=load.id,
        lines=[LineReceipt(line_id=line.id, received=line.quantity) for line in load.lines],
        received_on=TODAY,
        operation_key=operation_key(),
    )
    return warehouse, camp, (a, lot_a), (b, lot_b)


def count_and_post(camp, entries):  # noqa: ANN001, ANN201 - a test helper
    record_counts(actor=SYSTEM, count_id=camp.count_id, entries=entries)
    post_count(
        actor=SYSTEM, count_id=camp.count_id, occurred_on=TODAY, operation_key=operation_key()
    )


def test_opening_a_camp_numbers_it_and_opens_its_place(app: Flask) -> None:
    warehouse = make_warehouse()
    camp = make_camp(warehouse, name="Sariwon camp", village="Sariwon-ri")
    assert camp.number.startswith(f"CMP-{TODAY.year}-")
    assert camp.status is CampStatus.OPEN
    place = camp.location
    assert (place.kind, place.code, place.name, place.is_active) == (
        LocationKind.CAMP,
        camp.number,
        "Sariwon camp",
        True,
    )
    assert place.supplied_by_id == warehouse.id
    assert find_document(camp.number.lower()).id == camp.document_id
    assert camp in db.session.scalars(open_camps_query()).all()


def test_opening_lists_every_problem_and_the_same_form_twice_opens_one_camp(app: Flask) -> None:
    with pytest.raises(LineProblems) as refused:
        open_camp(
            actor=SYSTEM,
            name="",
            name_ko="야영",
            province_id=None,
            village="",
            starts_on=TODAY,
            ends_on=TODAY.replace(year=TODAY.year - 1),
            supplied_by_id=None,
        )
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {"name", "village", "province_id", "supplied_by_id", "ends_on"}
    key = operation_key()
    first = make_camp(operation_key=key)
    assert make_camp(operation_key=key, name="Another") is first
    with pytest.raises(PermissionDeniedError):
        make_camp(actor=make_user(Role.VIEWER))


def test_a_camps_whole_life_balances_to_zero_and_the_report_adds_up(app: Flask) -> None:
    warehouse, camp, (a, lot_a), (b, lot_b) = loaded_camp()
    distribute(camp, PATIENT, [(a, lot_a, 2)])
    distribute(camp, SESSION, [(a, lot_a, 5), (b, lot_b, 3)])
    assert on_hand(camp.location_id) == 40
    forgotten = make_dispatch(warehouse, camp.location, [(a, lot_a, 1)])

    start_closing(actor=SYSTEM, camp_id=camp.id)
    assert camp.status is CampStatus.CLOSING
    assert camp.count.status is CountStatus.OPEN and camp.count.location_id == camp.location_id
    with pytest.raises(DomainError, match="count"):
        close_camp(actor=SYSTEM, camp_id=camp.id)
    # A: 23 expected, 21 found (2 missing); B: 17 expected, 18 found (1 more).
    count_and_post(
        camp, [CountEntry(a.id, 21, lot_id=lot_a.id), CountEntry(b.id, 18, lot_id=lot_b.id)]
    )
    with pytest.raises(DomainError, match="39 units remain"):
        close_camp(actor=SYSTEM, camp_id=camp.id)

    back = create_return(actor=SYSTEM, camp_id=camp.id)
    assert (back.origin_id, back.destination_id) == (camp.location_id, warehouse.id)
    assert sorted((line.item.code, line.quantity) for line in back.lines) == [
        ("CMP-A", 21),
        ("CMP-B", 18),
    ]
    with pytest.raises(ConflictError):
        create_return(actor=SYSTEM, camp_id=camp.id)
    dispatch(back)
    with pytest.raises(DomainError, match=forgotten.document.number):
        close_camp(actor=SYSTEM, camp_id=camp.id)  # a load still drafted for the camp
    cancel_shipment(actor=SYSTEM, shipment_id=forgotten.id, reason="not needed")
    close_camp(actor=SYSTEM, camp_id=camp.id)
    assert camp.status is CampStatus.CLOSED and camp.closed_on == TODAY
    assert camp.location.is_active is False
    assert on_hand(camp.location_id) == 0
    # Nothing moves to the closed camp's place again: a recall of the return, the ledger.
    with pytest.raises(DomainError, match="no longer active"):
        recall_shipment(
            actor=SYSTEM, shipment_id=back.id, reason="wrong truck", operation_key=operation_key()
        )
    with pytest.raises(InvalidMovementError, match="inactive"):
        ledger.post(
            kind=TransactionKind.ADJUSTMENT,
            lines=[ledger.Line(a.id, lot_a.id, 1, warehouse.id, camp.location_id)],
            actor=SYSTEM,
            occurred_on=TODAY,
            operation_key=operation_key(),
        )

    report = camp_report(camp)
    figures = {
        row.item.code: (row.loaded, row.distributed, row.returned, row.differences, row.on_hand)
        for row in report.items
    }
    assert figures == {"CMP-A": (30, 7, 21, 2, 0), "CMP-B": (20, 3, 18, -1, 0)}
    assert report.balances
    assert [(f.item.code, f.recipient_type, f.service, f.quantity) for f in report.by_service] == [
        ("CMP-A", RecipientType.CAMP_SESSION, None, 5),
        ("CMP-A", RecipientType.PATIENT, FittingService.NEW, 2),
        ("CMP-B", RecipientType.CAMP_SESSION, None, 3),
    ]
    assert report.people == {
        "girls": 2,
        "boys": 3,
        "women": 4,
        "men": 1,
        "older_women": 0,
        "older_men": 1,
    }
    assert (report.people_total, report.fittings, report.slips) == (11, 1, 2)


def test_a_closing_or_closed_camp_refuses_distributions_and_loads(app: Flask) -> None:
    warehouse, camp, (a, lot_a), _b = loaded_camp()
    slip = distribute(camp, PATIENT, [(a, lot_a, 1)])
    start_closing(actor=SYSTEM, camp_id=camp.id)
    with pytest.raises(LineProblems, match="is closing") as refused:
        distribute(camp, PATIENT, [(a, lot_a, 1)])
    assert refused.value.problems[0].field == "location_id"
    with pytest.raises(LineProblems, match="is closing"):
        correct_distribution(
            actor=SYSTEM,
            distribution_id=slip.id,
            revision=slip.revision,
            lines=[LineInput(a.id, lot_a.id, 2)],
            note="two on the paper",
            operation_key=operation_key(),
        )
    with pytest.raises(DomainError, match="is closing"):
        make_dispatch(warehouse, camp.location, [(a, lot_a, 1)])
    abandon_count(actor=SYSTEM, count_id=camp.count_id, reason="sheet lost")
    start_closing(actor=SYSTEM, camp_id=camp.id)  # a new count replaces the abandoned one
    assert camp.count.status is CountStatus.OPEN
    count_and_post(camp, [CountEntry(a.id, 29, lot_id=lot_a.id)])
    back = create_return(actor=SYSTEM, camp_id=camp.id)
    # B was not keyed on the sheet: it is not a difference, and it goes back with the rest.
    assert sorted((line.item.code, line.quantity) for line in back.lines) == [
        ("CMP-A", 29),
        ("CMP-B", 20),
    ]


def test_a_closed_camp_accepts_nothing_more(app: Flask) -> None:
    warehouse = make_warehouse()
    item = make_item()
    lot = receive(item, 5, warehouse, lot_code="L1").movements[0].lot
    camp = make_camp(warehouse)
    with pytest.raises(DomainError, match="Start closing"):
        create_return(actor=SYSTEM, camp_id=camp.id)
    start_closing(actor=SYSTEM, camp_id=camp.id)
    with pytest.raises(DomainError, match="Post the closing count"):
        create_return(actor=SYSTEM, camp_id=camp.id)
    record_counts(actor=SYSTEM, count_id=camp.count_id, entries=[CountEntry(item.id, 0, lot.id)])
    post_count(
        actor=SYSTEM, count_id=camp.count_id, occurred_on=TODAY, operation_key=operation_key()
    )
    with pytest.raises(DomainError, match="Nothing remains"):
        create_return(actor=SYSTEM, camp_id=camp.id)
    close_camp(actor=SYSTEM, camp_id=camp.id)
    with pytest.raises(LineProblems, match="Choose an active"):
        distribute(camp, PATIENT, [(item, lot, 1)])
    with pytest.raises(DomainError, match="Choose an active"):
        make_dispatch(warehouse, camp.location, [(item, lot, 1)])
    with pytest.raises(ConflictError):
        close_camp(actor=SYSTEM, camp_id=camp.id)
    with pytest.raises(ConflictError):
        start_closing(actor=SYSTEM, camp_id=camp.id)
    empty = make_camp(warehouse)
    start_closing(actor=SYSTEM, camp_id=empty.id)
    close_camp(actor=SYSTEM, camp_id=empty.id)  # nothing to count: the blank count is set aside
    assert (empty.status, empty.count.status) == (CampStatus.CLOSED, CountStatus.ABANDONED)
    assert camp not in db.session.scalars(open_camps_query()).all()
    assert camp in db.session.scalars(camps_query(SYSTEM, CampStatus.CLOSED)).all()


def test_technicians_see_only_their_camp_and_viewers_change_nothing(app: Flask) -> None:
    camp, other = make_camp(), make_camp()
    technician = make_user(Role.TECHNICIAN, location_id=camp.location_id)
    assert db.session.scalars(camps_query(technician)).all() == [camp]
    assert other in db.session.scalars(camps_query(make_user(Role.VIEWER))).all()
    with pytest.raises(PermissionDeniedError):
        start_closing(actor=technician, camp_id=camp.id)
    assert camp.location.province_id == seeded_province().id
