"""Requisition races, each repeated twice on SQLite and PostgreSQL (the ledger's own races are
repeated many times elsewhere): two approvals for the same last units, an approval against a
distribution of the same item, and a dispatch against the cancellation of its draft."""

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from hilogistics.actors import SYSTEM
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.models import RecipientType
from hilogistics.distributions.services import LineInput, Recipient, record_distribution
from hilogistics.requisitions.models import LineDecision, Requisition, RequisitionStatus
from hilogistics.requisitions.queries import progress_of
from hilogistics.requisitions.services import (
    LineReview,
    RequestLine,
    create_requisition,
    create_requisition_shipment,
    review_requisition,
    submit_requisition,
)
from hilogistics.shipments.models import Shipment, ShipmentStatus
from hilogistics.shipments.services import cancel_shipment, dispatch_shipment
from hilogistics.stock.models import ItemBalance
from tests.factories import make_item, make_location, make_warehouse, operation_key, receive
from tests.races import race

pytestmark = pytest.mark.slow
REPEATS = 2


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each racing thread its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": 5, "pool_timeout": 60}
    )


def stocked(quantity: int):  # noqa: ANN201 - a test helper
    warehouse = make_warehouse()
    item = make_item()
    lot = receive(item, quantity, warehouse, lot_code="L1").movements[0].lot
    return warehouse, item, lot


def submitted(warehouse, item, quantity: int) -> tuple[int, int]:  # noqa: ANN001
    """A new centre supplied by ``warehouse`` asks for ``quantity``: (requisition, line) ids."""
    centre = make_location(supplied_by_id=warehouse.id)
    requisition = create_requisition(
        actor=SYSTEM, location_id=centre.id, lines=[RequestLine(item_id=item.id, quantity=quantity)]
    )
    submit_requisition(actor=SYSTEM, requisition_id=requisition.id)
    return requisition.id, requisition.lines[0].id


def approve(requisition_id: int, line_id: int) -> None:
    review_requisition(
        actor=SYSTEM,
        requisition_id=requisition_id,
        reviews=[LineReview(line_id, LineDecision.APPROVED)],
    )


def stock_row(warehouse_id: int, item_id: int) -> ItemBalance:
    db.session.expire_all()
    return db.session.scalar(
        select(ItemBalance).where(
            ItemBalance.location_id == warehouse_id, ItemBalance.item_id == item_id
        )
    )


def test_two_approvals_for_the_same_last_units_reserve_them_once(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        _approvals_once(race_app)


def _approvals_once(race_app: Flask) -> None:
    warehouse, item, _lot = stocked(10)
    asked = [submitted(warehouse, item, 10) for _ in range(2)]
    warehouse_id, item_id = warehouse.id, item.id
    db.session.commit()

    result = race(race_app, 2, lambda i: approve(*asked[i]))
    assert result.outcomes["ok"] == 1, result.outcomes
    row = stock_row(warehouse_id, item_id)
    assert (row.on_hand, row.reserved) == (10, 10)
    statuses = sorted(db.session.get(Requisition, r).status for r, _line in asked)
    assert statuses == [RequisitionStatus.APPROVED, RequisitionStatus.SUBMITTED]


def test_an_approval_racing_a_distribution_never_leaves_available_below_zero(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        _approval_and_distribution_once(race_app)


def _approval_and_distribution_once(race_app: Flask) -> None:
    warehouse, item, lot = stocked(10)
    requisition_id, line_id = submitted(warehouse, item, 6)
    warehouse_id, item_id, lot_id = warehouse.id, item.id, lot.id
    db.session.commit()

    def act(index: int) -> None:
        if index == 0:
            approve(requisition_id, line_id)
            return
        record_distribution(
            actor=SYSTEM,
            location_id=warehouse_id,
            distributed_on=business_today(),
            recipient=Recipient(type=RecipientType.WORKSHOP),
            lines=[LineInput(item_id, lot_id, 6)],
            operation_key=operation_key(),
        )

    result = race(race_app, 2, act)
    assert result.outcomes["ok"] == 1, result.outcomes
    row = stock_row(warehouse_id, item_id)
    assert row.on_hand - row.reserved >= 0
    assert (row.on_hand, row.reserved) in ((10, 6), (4, 0))


def test_a_dispatch_racing_the_cancellation_of_its_draft_happens_once(
    app: Flask, race_app: Flask
) -> None:
    for _repeat in range(REPEATS):
        _dispatch_and_cancel_once(race_app)


def _dispatch_and_cancel_once(race_app: Flask) -> None:
    warehouse, item, _lot = stocked(10)
    requisition_id, line_id = submitted(warehouse, item, 6)
    approve(requisition_id, line_id)
    shipment = create_requisition_shipment(actor=SYSTEM, requisition_id=requisition_id)
    shipment_id, warehouse_id, item_id = shipment.id, warehouse.id, item.id
    db.session.commit()

    def act(index: int) -> None:
        if index == 0:
            dispatch_shipment(
                actor=SYSTEM,
                shipment_id=shipment_id,
                dispatched_on=business_today(),
                operation_key=operation_key(),
            )
        else:
            cancel_shipment(actor=SYSTEM, shipment_id=shipment_id, reason="truck gone")

    result = race(race_app, 2, act)
    assert result.outcomes["ok"] == 1, result.outcomes
    db.session.expire_all()
    status = db.session.get(Shipment, shipment_id).status
    row = stock_row(warehouse_id, item_id)
    requisition = db.session.get(Requisition, requisition_id)
    progress = progress_of(requisition.lines)[line_id]
    if status is ShipmentStatus.DISPATCHED:
        # The dispatch took the reserved units: nothing held, nothing waits.
        assert (row.on_hand, row.reserved, progress.backorder) == (4, 0, 0)
    else:
        # The draft was cancelled: the reservation stays with the requisition, a backorder.
        assert status is ShipmentStatus.CANCELLED
        assert (row.on_hand, row.reserved, progress.backorder) == (10, 6, 6)
