"""The monthly distribution summary: what left each place in a month, and whom it served.

Two sets of rows that the page, the CSV/XLSX exports and the PDF share:

- items: per place, item, recipient type and fitting service, the quantity handed out (the
  current lines of each slip: a corrected slip counts with its corrected lines) and the number
  of slips;
- people: per place and recipient type, the slips and the people served. Groups (a class, a
  camp session) give head-counts by sex and age band, added up session by session; a patient's
  fitting or another recipient is one person per distinct recipient code in the month (a slip
  without a code counts one), whose sex and age are not recorded; workshop use serves no one.

A technician's summary holds their own place only, whatever place is asked for.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Row, Select, and_, case, func, select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionLine,
    FittingService,
    RecipientType,
)
from hilogistics.distributions.queries import visible_to
from hilogistics.locations.models import Location


@dataclass(frozen=True)
class ItemRow:
    """Quantity of one item handed out at a place to one recipient type (and service)."""

    location: Location
    item: Item
    recipient_type: RecipientType
    service: FittingService | None
    quantity: int
    slips: int


@dataclass
class PeopleRow:
    """Slips and people served at a place for one recipient type."""

    location: Location
    recipient_type: RecipientType
    slips: int = 0
    headcounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(HEADCOUNT_FIELDS, 0))
    # Patients and other recipients: one per distinct code; their sex and age are not recorded.
    unrecorded: int = 0

    @property
    def total(self) -> int:
        """Everyone served: the head-counts and the people whose sex and age are not recorded."""
        return sum(self.headcounts.values()) + self.unrecorded


@dataclass(frozen=True)
class MonthlySummary:
    """The rows of one month's summary and the totals under them."""

    month: date
    items: list[ItemRow]
    people: list[PeopleRow]

    @property
    def total_quantity(self) -> int:
        """Every unit handed out (of any item: only meaningful per item, shown as a check)."""
        return sum(row.quantity for row in self.items)

    @property
    def people_totals(self) -> PeopleRow | None:
        """The people rows added up (their place and type are those of the first row)."""
        if not self.people:
            return None
        total = PeopleRow(location=self.people[0].location, recipient_type=RecipientType.OTHER)
        for row in self.people:
            total.slips += row.slips
            total.unrecorded += row.unrecorded
            for name in HEADCOUNT_FIELDS:
                total.headcounts[name] += row.headcounts[name]
        return total


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of ``month`` and the first day of the next month."""
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def _month_where(
    actor: User | SystemActor | None, month: date, location_id: int | None
) -> list[object]:
    first, following = month_bounds(month)
    where = [
        visible_to(actor),
        Distribution.distributed_on >= first,
        Distribution.distributed_on < following,
    ]
    if location_id is not None:
        where.append(Distribution.location_id == location_id)
    return where


def item_rows_query(
    actor: User | SystemActor | None, *, month: date, location_id: int | None = None
) -> Select[tuple[int, int, str, str | None, int, int]]:
    """Grouped rows (place, item, recipient type, service, quantity, slips) in display order.

    By place name, item code, recipient type and service, ordered in SQL so that a page of a
    busy month reads only its rows; ``item_rows()`` turns them into ItemRow.
    """
    type_order = case(
        {kind: index for index, kind in enumerate(RecipientType)},
        value=Distribution.recipient_type,
    )
    service_order = case(
        {service: index for index, service in enumerate(FittingService)},
        value=Distribution.service,
        else_=-1,
    )
    return (
        select(
            Distribution.location_id,
            DistributionLine.item_id,
            Distribution.recipient_type,
            Distribution.service,
            func.sum(DistributionLine.quantity),
            func.count(func.distinct(Distribution.id)),
        )
        .join(
            DistributionLine,
            and_(
                DistributionLine.distribution_id == Distribution.id,
                DistributionLine.revision == Distribution.revision,
            ),
        )
        .join(Location, Location.id == Distribution.location_id)
        .join(Item, Item.id == DistributionLine.item_id)
        .where(*_month_where(actor, month, location_id))  # type: ignore[arg-type]
        .group_by(
            Distribution.location_id,
            Location.name,
            DistributionLine.item_id,
            Item.code,
            Distribution.recipient_type,
            Distribution.service,
        )
        .order_by(Location.name, Distribution.location_id, Item.code, type_order, service_order)
    )


def item_rows(rows: Sequence[Row | tuple]) -> list[ItemRow]:
    """ItemRow for each grouped row of ``item_rows_query`` (places and items read at once)."""
    locations = _by_id(Location, {row[0] for row in rows})
    items = _by_id(Item, {row[1] for row in rows})
    return [
        ItemRow(
            location=locations[location],
            item=items[item],
            recipient_type=RecipientType(kind),
            service=FittingService(service) if service else None,
            quantity=int(quantity or 0),
            slips=int(slips or 0),
        )
        for location, item, kind, service, quantity, slips in rows
    ]


def people_rows(
    actor: User | SystemActor | None, *, month: date, location_id: int | None = None
) -> list[PeopleRow]:
    """Slips and people served per place and recipient type in ``month``."""
    headcount_sums = [func.sum(getattr(Distribution, name)) for name in HEADCOUNT_FIELDS]
    rows = db.session.execute(
        select(
            Distribution.location_id,
            Distribution.recipient_type,
            func.count(Distribution.id),
            *headcount_sums,
            func.count(func.distinct(func.nullif(Distribution.recipient_ref, ""))),
            func.sum(case((Distribution.recipient_ref == "", 1), else_=0)),
        )
        .where(*_month_where(actor, month, location_id))  # type: ignore[arg-type]
        .group_by(Distribution.location_id, Distribution.recipient_type)
    ).all()
    locations = _by_id(Location, {row[0] for row in rows})
    people = []
    for location, kind, slips, *rest in rows:
        kind = RecipientType(kind)
        counts, codes, without_code = rest[: len(HEADCOUNT_FIELDS)], rest[-2], rest[-1]
        row = PeopleRow(location=locations[location], recipient_type=kind, slips=int(slips))
        if kind.is_group:
            row.headcounts = {
                name: int(value or 0) for name, value in zip(HEADCOUNT_FIELDS, counts, strict=True)
            }
        elif kind is not RecipientType.WORKSHOP:
            row.unrecorded = int(codes or 0) + int(without_code or 0)
        people.append(row)
    type_order = {kind: index for index, kind in enumerate(RecipientType)}
    people.sort(
        key=lambda row: (row.location.name, row.location.id, type_order[row.recipient_type])
    )
    return people


def monthly_summary(
    actor: User | SystemActor | None, *, month: date, location_id: int | None = None
) -> MonthlySummary:
    """The whole summary of ``month`` at one place (or every place ``actor`` may see).

    Reads the distributions of the month through the (place, date) index and their current
    lines; never the movements. Exports and the PDF take every row; the page takes a page.
    """
    rows = db.session.execute(item_rows_query(actor, month=month, location_id=location_id))
    return MonthlySummary(
        month=month_bounds(month)[0],
        items=item_rows(rows.all()),
        people=people_rows(actor, month=month, location_id=location_id),
    )


def _by_id(model: type, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}
