"""Distributions on both engines: posting, refusal, replays, references, permissions, the paper
loop (return, correction) and the race for the last units (few repeats: the ledger's own races
are repeated elsewhere). The audit after every test (conftest) keeps the ledger consistent."""

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import (
    Distribution,
    DistributionStatus,
    FittingService,
    RecipientType,
    Side,
)
from hilogistics.distributions.services import (
    LineInput,
    Recipient,
    correct_distribution,
    mark_returned,
    record_distribution,
    visible_distribution,
)
from hilogistics.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from hilogistics.lines.problems import LineProblems
from hilogistics.registry.models import Document
from hilogistics.stock import ledger
from hilogistics.stock.models import Balance, StockTransaction, TransactionKind
from tests.factories import (
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
PATIENT = Recipient(
    type=RecipientType.PATIENT,
    reference="BEN-0042",
    service=FittingService.NEW,
    side=Side.LEFT,
)
REPEATS = 2


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


def stocked_centre(quantity: int = 10):  # noqa: ANN201 - a test helper
    """A centre holding ``quantity`` of a new item in lot L1 (received, then arrived there)."""
    item = make_item()
    centre = make_location()
    moved = receive(item, quantity, make_warehouse(), lot_code="L1").movements[0]
    ledger.post(
        kind=TransactionKind.ARRIVAL,
        lines=[ledger.Line(item.id, moved.lot_id, quantity, moved.to_location_id, centre.id)],
        actor=SYSTEM,
        occurred_on=TODAY,
        operation_key=operation_key(),
    )
    return centre, item, moved.lot


def distribute(centre, item, lot, quantity, *, actor=SYSTEM, key=None, recipient=PATIENT):  # noqa: ANN001, ANN201
    return record_distribution(
        actor=actor,
        location_id=centre.id,
        distributed_on=TODAY,
        recipient=recipient,
        lines=[LineInput(item.id, lot.id, quantity)],
        operation_key=key or operation_key(),
    )


def test_a_distribution_posts_place_to_recipients_and_names_its_slip(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    distribution = distribute(centre, item, lot, 3)
    assert distribution.number.startswith(f"DIS-{TODAY.year}-")
    assert on_hand(centre.id, lot.id) == 7
    assert on_hand(virtual("RECIPIENTS").id, lot.id) == 3
    transaction = distribution.events[0].transaction
    assert transaction.kind is TransactionKind.DISTRIBUTION
    assert transaction.document_id == distribution.document_id
    assert transaction.reference == distribution.number
    assert distribution.status is DistributionStatus.ISSUED
    assert [(line.item_id, line.quantity) for line in distribution.lines] == [(item.id, 3)]


def test_workshop_use_posts_consumption_without_a_reference(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    distribution = distribute(
        centre, item, lot, 4, recipient=Recipient(type=RecipientType.WORKSHOP)
    )
    assert distribution.events[0].transaction.kind is TransactionKind.CONSUMPTION
    assert distribution.headcount == 0
    assert on_hand(centre.id, lot.id) == 6


def test_above_the_balance_is_refused_naming_item_lot_and_place_and_nothing_is_written(
    app: Flask,
) -> None:
    centre, item, lot = stocked_centre(2)
    documents = db.session.scalar(select(func.count()).select_from(Document))
    with pytest.raises(LineProblems) as refused:
        distribute(centre, item, lot, 5)
    problem = refused.value.problems[0]
    assert problem.field == "lines-0-quantity"
    assert item.code in problem.message and "L1" in problem.message
    assert centre.name in problem.message
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 0
    assert db.session.scalar(select(func.count()).select_from(Document)) == documents
    assert on_hand(centre.id, lot.id) == 2


def test_a_line_whose_lot_suffices_is_not_told_it_lacks_what_it_has(app: Flask) -> None:
    # L1 has 2 and the line asks 2; the other line asks 50 of L2, which has 5. The first line
    # must not read "2 to hand out, 2 available": it names the item's total instead.
    centre, item, first = stocked_centre(2)
    moved = receive(item, 5, make_warehouse(), lot_code="L2").movements[0]
    ledger.post(
        kind=TransactionKind.ARRIVAL,
        lines=[ledger.Line(item.id, moved.lot_id, 5, moved.to_location_id, centre.id)],
        actor=SYSTEM,
        occurred_on=TODAY,
        operation_key=operation_key(),
    )
    with pytest.raises(LineProblems) as refused:
        record_distribution(
            actor=SYSTEM,
            location_id=centre.id,
            distributed_on=TODAY,
            recipient=PATIENT,
            lines=[LineInput(item.id, first.id, 2), LineInput(item.id, moved.lot_id, 50)],
            operation_key=operation_key(),
        )
    said = {problem.field: problem.message for problem in refused.value.problems}
    assert (
        "52 to hand out" in said["lines-0-quantity"] and "7 available" in said["lines-0-quantity"]
    )
    assert "50 to hand out" in said["lines-1-quantity"] and "L2" in said["lines-1-quantity"]


def test_the_same_form_sent_twice_posts_once(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    key = operation_key()
    first = distribute(centre, item, lot, 3, key=key)
    second = distribute(centre, item, lot, 3, key=key)
    assert first.id == second.id
    assert on_hand(centre.id, lot.id) == 7
    assert db.session.scalar(select(func.count()).select_from(Distribution)) == 1


@pytest.mark.parametrize(
    ("reference", "accepted"),
    [("BEN-0042", True), ("ben-0042", True), ("Kim Chol Su", False), ("", False), ("BEN", False)],
)
def test_recipient_references_are_codes_never_names(
    app: Flask, reference: str, accepted: bool
) -> None:
    centre, item, lot = stocked_centre(10)
    recipient = Recipient(
        type=RecipientType.PATIENT,
        reference=reference,
        service=FittingService.REPAIR,
        side=Side.NOT_APPLICABLE,
    )
    if accepted:
        assert distribute(centre, item, lot, 1, recipient=recipient).recipient_ref == "BEN-0042"
    else:
        with pytest.raises(LineProblems) as refused:
            distribute(centre, item, lot, 1, recipient=recipient)
        assert [p.field for p in refused.value.problems] == ["recipient_ref"]


def test_the_reference_pattern_is_configurable(app: Flask) -> None:
    app.config["RECIPIENT_REFERENCE_PATTERN"] = r"P[0-9]{6}"
    centre, item, lot = stocked_centre(10)
    recipient = Recipient(
        type=RecipientType.PATIENT, reference="P123456", service=FittingService.NEW, side=Side.RIGHT
    )
    assert distribute(centre, item, lot, 1, recipient=recipient).recipient_ref == "P123456"
    with pytest.raises(LineProblems):
        distribute(centre, item, lot, 1)  # BEN-0042 no longer matches


def test_groups_need_head_counts_and_fittings_a_service_and_side(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    with pytest.raises(LineProblems) as refused:
        distribute(
            centre,
            item,
            lot,
            1,
            recipient=Recipient(type=RecipientType.CLASS, reference="SCH-0012"),
        )
    assert {p.field for p in refused.value.problems} == {"girls"}
    with pytest.raises(LineProblems) as refused:
        distribute(
            centre,
            item,
            lot,
            1,
            recipient=Recipient(type=RecipientType.PATIENT, reference="BEN-0001"),
        )
    assert {p.field for p in refused.value.problems} == {"service", "side"}
    group = distribute(
        centre,
        item,
        lot,
        2,
        recipient=Recipient(
            type=RecipientType.CAMP_SESSION,
            reference="CMP-0003",
            headcounts={"girls": 3, "boys": 4, "older_men": 1},
        ),
    )
    assert group.headcount == 8


def test_technicians_record_only_at_their_own_place_and_viewers_never(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    own = make_user(Role.TECHNICIAN, location=centre)
    other = make_user(Role.TECHNICIAN)
    viewer = make_user(Role.VIEWER)
    distribution = distribute(centre, item, lot, 1, actor=own)
    for actor in (other, viewer):
        with pytest.raises(PermissionDeniedError):
            distribute(centre, item, lot, 1, actor=actor)
    with pytest.raises(NotFoundError):
        visible_distribution(other, distribution.id)
    assert visible_distribution(viewer, distribution.id) == distribution
    with pytest.raises(NotFoundError):
        mark_returned(actor=other, distribution_id=distribution.id)


def test_a_returned_slip_is_marked_once(app: Flask) -> None:
    centre, item, lot = stocked_centre(10)
    distribution = distribute(centre, item, lot, 1)
    mark_returned(actor=SYSTEM, distribution_id=distribution.id)
    assert distribution.status is DistributionStatus.RETURNED
    assert distribution.returned_on == TODAY
    with pytest.raises(ConflictError):
        mark_returned(actor=SYSTEM, distribution_id=distribution.id)


def test_a_correction_reverses_and_posts_again_both_on_the_slip(app: Flask) -> None:
    centre, item, lot = stocked_centre(6)
    distribution = distribute(centre, item, lot, 5)
    # The paper says 6: the reversal gives the 5 back first, so the last unit can go too.
    corrected = correct_distribution(
        actor=SYSTEM,
        distribution_id=distribution.id,
        revision=1,
        lines=[LineInput(item.id, lot.id, 6)],
        note="The slip says 6",
        operation_key=operation_key(),
    )
    assert corrected.id == distribution.id and corrected.revision == 2
    assert [line.quantity for line in corrected.lines] == [6]
    assert on_hand(centre.id, lot.id) == 0
    assert on_hand(virtual("RECIPIENTS").id, lot.id) == 6
    kinds = db.session.scalars(
        select(StockTransaction.kind)
        .where(StockTransaction.document_id == distribution.document_id)
        .order_by(StockTransaction.id)
    ).all()
    assert kinds == [
        TransactionKind.DISTRIBUTION,
        TransactionKind.REVERSAL,
        TransactionKind.DISTRIBUTION,
    ]
    with pytest.raises(ConflictError):  # a second correction of revision 1: stale
        correct_distribution(
            actor=SYSTEM,
            distribution_id=distribution.id,
            revision=1,
            lines=[LineInput(item.id, lot.id, 1)],
            note="again",
            operation_key=operation_key(),
        )


def test_a_correction_above_the_balance_changes_nothing(app: Flask) -> None:
    centre, item, lot = stocked_centre(6)
    distribution = distribute(centre, item, lot, 5)
    with pytest.raises(DomainError):
        correct_distribution(
            actor=SYSTEM,
            distribution_id=distribution.id,
            revision=1,
            lines=[LineInput(item.id, lot.id, 7)],
            note="The slip says 7",
            operation_key=operation_key(),
        )
    db.session.expire_all()
    assert db.session.get(Distribution, distribution.id).revision == 1
    assert on_hand(centre.id, lot.id) == 1


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 5, "pool_timeout": 60}
    )


def test_two_technicians_distributing_the_last_units_at_once_one_succeeds(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        centre, item, lot = stocked_centre(3)
        users = [make_user(Role.TECHNICIAN, location=centre).id for _ in range(2)]
        ids = (centre.id, item.id, lot.id)
        db.session.commit()

        def take(index: int, users: list[int] = users, ids: tuple = ids) -> None:
            record_distribution(
                actor=db.session.get(User, users[index]),
                location_id=ids[0],
                distributed_on=TODAY,
                recipient=PATIENT,
                lines=[LineInput(ids[1], ids[2], 3)],
                operation_key=operation_key(),
            )

        result = race(race_app, 2, take)
        assert result.outcomes["ok"] == 1, result.outcomes
        assert sum(result.outcomes.values()) == 2
        db.session.expire_all()
        assert on_hand(centre.id, lot.id) == 0
        count = db.session.scalar(
            select(func.count())
            .select_from(Distribution)
            .where(Distribution.location_id == centre.id)
        )
        assert count == 1
        db.session.commit()
