"""Read camps: the list, the open ones (for the home page), a camp's stock, loads, slips, report.

The report is computed from the movements at the camp's place, grouped by where they came
from or went to, so that it balances by construction: loaded − distributed − returned −
differences = on hand, per item (zero once the camp is closed).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.camps.models import Camp, CampStatus
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    FittingService,
    RecipientType,
)
from hilogistics.locations.models import Location, LocationKind
from hilogistics.shipments.models import Shipment
from hilogistics.stock.models import Balance, Movement, StockTransaction, TransactionKind


def camps_query(
    viewer: User | SystemActor, status: CampStatus | None = None
) -> Select[tuple[Camp]]:
    """Camps ``viewer`` may see (technicians: the camp they are bound to), newest first."""
    query = select(Camp).options(selectinload(Camp.opened_by)).order_by(Camp.id.desc())
    if isinstance(viewer, User) and viewer.role is Role.TECHNICIAN:
        query = query.where(Camp.location_id == viewer.location_id)
    if status is not None:
        query = query.where(Camp.status == status)
    return query


def open_camps_query() -> Select[tuple[Camp]]:
    """Camps open now (loading and distributing), the earliest start first; for the home page."""
    return select(Camp).where(Camp.status == CampStatus.OPEN).order_by(Camp.starts_on, Camp.id)


def camp_of_document(document_id: int) -> Camp | None:
    """The camp numbered by this document, if any."""
    return db.session.scalar(select(Camp).where(Camp.document_id == document_id))


def camp_stock(camp: Camp) -> list[Balance]:
    """What is on hand at the camp, lot by lot (items and lots loaded)."""
    return list(
        db.session.scalars(
            select(Balance)
            .join(Item, Item.id == Balance.item_id)
            .where(Balance.location_id == camp.location_id, Balance.quantity > 0)
            .options(selectinload(Balance.item), selectinload(Balance.lot))
            .order_by(Item.code, Balance.lot_id)
        )
    )


def camp_shipments(camp: Camp) -> list[Shipment]:
    """Shipments to the camp (loads) and from it (returns), newest first."""
    return list(
        db.session.scalars(
            select(Shipment)
            .where(
                or_(
                    Shipment.destination_id == camp.location_id,
                    Shipment.origin_id == camp.location_id,
                )
            )
            .options(selectinload(Shipment.origin), selectinload(Shipment.destination))
            .order_by(Shipment.id.desc())
        )
    )


def camp_distributions_query(camp: Camp) -> Select[tuple[Distribution]]:
    """The slips recorded at the camp, newest first."""
    return (
        select(Distribution)
        .where(Distribution.location_id == camp.location_id)
        .order_by(Distribution.distributed_on.desc(), Distribution.id.desc())
    )


@dataclass
class ItemFigures:
    """One item's life at the camp, in its unit of issue."""

    item: Item
    loaded: int = 0
    distributed: int = 0
    returned: int = 0
    # Written off: counted missing (or lost) less found; below zero when more was found.
    differences: int = 0
    on_hand: int = 0

    @property
    def balances(self) -> bool:
        """True when loaded = distributed + returned + differences + what is still on hand."""
        return self.loaded == self.distributed + self.returned + self.differences + self.on_hand


@dataclass
class ServiceFigure:
    """What one item went to, by recipient type and fitting service."""

    item: Item
    recipient_type: RecipientType
    service: FittingService | None
    quantity: int


@dataclass
class CampReport:
    """The closing report's figures (also shown, with what is on hand, while the camp runs)."""

    camp: Camp
    items: list[ItemFigures]
    by_service: list[ServiceFigure]
    people: dict[str, int] = field(default_factory=dict)
    fittings: int = 0
    slips: int = 0

    @property
    def people_total(self) -> int:
        """Everyone counted at group sessions and classes."""
        return sum(self.people.values())

    @property
    def balances(self) -> bool:
        """True when every item balances."""
        return all(row.balances for row in self.items)


def _flows(location_id: int) -> list[tuple[int, bool, LocationKind, TransactionKind, int]]:
    """(item, inbound?, counterpart kind, transaction kind, quantity) summed at the place."""
    other = aliased(Location)
    rows: list[tuple[int, bool, LocationKind, TransactionKind, int]] = []
    for inbound in (True, False):
        here = Movement.to_location_id if inbound else Movement.from_location_id
        there = Movement.from_location_id if inbound else Movement.to_location_id
        result = db.session.execute(
            select(Movement.item_id, other.kind, StockTransaction.kind, func.sum(Movement.quantity))
            .join(other, other.id == there)
            .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
            .where(here == location_id)
            .group_by(Movement.item_id, other.kind, StockTransaction.kind)
        )
        rows.extend((item, inbound, kind, tx, int(qty)) for item, kind, tx, qty in result)
    return rows


def _column(inbound: bool, counterpart: LocationKind, kind: TransactionKind) -> tuple[str, int]:
    """Which figure a flow adds to, and its sign (each figure counts what left, net)."""
    if counterpart is LocationKind.RECIPIENTS:
        return "distributed", -1 if inbound else 1
    if counterpart in (LocationKind.COUNT, LocationKind.LOSS):
        return "differences", -1 if inbound else 1
    if kind in (TransactionKind.DISPATCH, TransactionKind.RECALL):
        # Sent back (a return), or a return recalled to the camp.
        return "returned", -1 if inbound else 1
    # Arrivals of loads; a reversed arrival takes back from the loaded figure.
    return "loaded", 1 if inbound else -1


def camp_report(camp: Camp) -> CampReport:
    """Loaded, distributed, returned, differences and on hand per item; use by service; people."""
    figures: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item_id, inbound, counterpart, kind, quantity in _flows(camp.location_id):
        column, sign = _column(inbound, counterpart, kind)
        figures[item_id][column] += sign * quantity
    for balance_item, quantity in db.session.execute(
        select(Balance.item_id, func.sum(Balance.quantity))
        .where(Balance.location_id == camp.location_id)
        .group_by(Balance.item_id)
    ):
        figures[balance_item]["on_hand"] += int(quantity or 0)
    items = {
        item.id: item for item in db.session.scalars(select(Item).where(Item.id.in_(list(figures))))
    }
    rows = sorted(
        (ItemFigures(item=items[item_id], **values) for item_id, values in figures.items()),
        key=lambda row: row.item.code,
    )
    return CampReport(
        camp=camp,
        items=[
            row
            for row in rows
            if any((row.loaded, row.distributed, row.on_hand, row.returned, row.differences))
        ],
        by_service=_by_service(camp, items),
        **_people(camp),
    )


def _by_service(camp: Camp, items: dict[int, Item]) -> list[ServiceFigure]:
    """Net quantities to people per item, recipient type and service (corrections included)."""
    recipients = aliased(Location)
    totals: dict[tuple[int, RecipientType, FittingService | None], int] = defaultdict(int)
    for inbound in (False, True):
        here = Movement.to_location_id if inbound else Movement.from_location_id
        there = Movement.from_location_id if inbound else Movement.to_location_id
        result = db.session.execute(
            select(
                Movement.item_id,
                Distribution.recipient_type,
                Distribution.service,
                func.sum(Movement.quantity),
            )
            .join(recipients, recipients.id == there)
            .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
            .join(Distribution, Distribution.document_id == StockTransaction.document_id)
            .where(here == camp.location_id, recipients.kind == LocationKind.RECIPIENTS)
            .group_by(Movement.item_id, Distribution.recipient_type, Distribution.service)
        )
        for item_id, recipient_type, service, quantity in result:
            totals[(item_id, recipient_type, service)] += (-1 if inbound else 1) * int(quantity)
    missing = {key[0] for key in totals} - set(items)
    if missing:
        items.update(
            {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(missing)))}
        )
    figures = [
        ServiceFigure(items[item_id], recipient_type, service, quantity)
        for (item_id, recipient_type, service), quantity in totals.items()
        if quantity
    ]
    return sorted(
        figures,
        key=lambda f: (f.item.code, f.recipient_type.value, f.service.value if f.service else ""),
    )


def _people(camp: Camp) -> dict[str, object]:
    """Head-counts by sex and age band, fittings (one person each) and the number of slips."""
    columns = [func.coalesce(func.sum(getattr(Distribution, name)), 0) for name in HEADCOUNT_FIELDS]
    row = db.session.execute(
        select(
            *columns,
            func.count(Distribution.id),
            func.count(Distribution.id).filter(
                Distribution.recipient_type == RecipientType.PATIENT
            ),
        ).where(Distribution.location_id == camp.location_id)
    ).one()
    people = {name: int(value) for name, value in zip(HEADCOUNT_FIELDS, row, strict=False)}
    return {"people": people, "slips": int(row[-2]), "fittings": int(row[-1])}
