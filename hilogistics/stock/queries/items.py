"""One item everywhere: its balances by place and lot, a page at a time, with totals."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, select

from hilogistics.auth.models import Role, User
from hilogistics.db import db, localised_name
from hilogistics.locations.models import PHYSICAL_KINDS, Location, LocationKind
from hilogistics.stock.models import Balance, Grant, ItemBalance, Lot
from hilogistics.stock.queries._common import KIND_ORDER, RowPage

STOCK_HOLDING_KINDS = PHYSICAL_KINDS | {LocationKind.TRANSIT}


@dataclass(frozen=True, slots=True)
class PlaceTotal:
    """An item at one place: on hand over its lots, reserved (per item), lots holding some."""

    location_id: int
    kind: LocationKind
    name: str
    quantity: int
    reserved: int
    lots: int


@dataclass(frozen=True, slots=True)
class LotBalance:
    """One lot of an item at one place (plain values)."""

    location_id: int
    lot_id: int
    label: str
    expires_on: date | None
    grant: str | None
    quantity: int


@dataclass
class PlaceLots:
    """The lots of one place on a page of the item page, with the place's totals (all lots)."""

    place: PlaceTotal
    balances: list[LotBalance] = field(default_factory=list)


@dataclass
class ItemBalances:
    """An item everywhere: a page of its lots at places holding stock, and totals.

    Totals per place (whole places, not just the page) and over them, and the ledger's
    bookkeeping ends (one row each).
    """

    page: "RowPage"
    groups: list[PlaceLots]
    quantity: int
    reserved: int
    bookkeeping: list[PlaceTotal]


def _kind_order() -> ColumnElement[int]:
    return case(*((Location.kind == kind, rank) for kind, rank in KIND_ORDER.items()), else_=9)


def item_balances(
    user: User,
    item_id: int,
    *,
    locale: str | None,
    page: int,
    per_page: int,
    bookkeeping: bool = False,
) -> ItemBalances:
    """Balances of an item at every place ``user`` may see, by place and lot, a page at a time.

    Zero lot balances are left out; what is reserved is per item and place (item rows). Two
    queries whatever the
    number of places and lots: the totals per place (which also give the number of lots, hence
    the pages, and the ledger ends: supplier, recipients, loss and count, one row each, shown
    to staff when ``bookkeeping``), then one page of lots at places holding stock (physical
    and transit), ordered by place (stores first, then by name) then lot (earliest expiry
    first). A technician sees only their own place.
    """
    nonzero = Balance.quantity != 0
    own = Balance.location_id == user.location_id if user.role is Role.TECHNICIAN else None
    place_name = localised_name(Location, locale)
    totals_stmt = (
        select(
            Balance.location_id,
            Location.kind,
            place_name,
            func.sum(Balance.quantity),
            func.coalesce(func.max(ItemBalance.reserved), 0),
            func.count(),
        )
        .join(Location, Location.id == Balance.location_id)
        .outerjoin(
            ItemBalance,
            and_(
                ItemBalance.location_id == Balance.location_id,
                ItemBalance.item_id == Balance.item_id,
            ),
        )
        .where(Balance.item_id == item_id, nonzero)
        .group_by(
            Balance.location_id, Location.kind, Location.name, Location.name_ko, Location.name_fr
        )
        .order_by(_kind_order(), Location.name, Balance.location_id)
    )
    if own is not None:
        totals_stmt = totals_stmt.where(own)
    places: dict[int, PlaceTotal] = {}
    ends: list[PlaceTotal] = []
    for location_id, kind, name, quantity, reserved, lots in db.session.execute(totals_stmt):
        total = PlaceTotal(location_id, kind, name, int(quantity), int(reserved), int(lots))
        if kind in STOCK_HOLDING_KINDS:
            places[location_id] = total
        elif bookkeeping:
            ends.append(total)

    lots_stmt = (
        select(
            Location.kind,
            place_name,
            Balance.location_id,
            Balance.lot_id,
            func.coalesce(func.nullif(Lot.serial, ""), func.nullif(Lot.code, ""), "—"),
            Lot.expires_on,
            Grant.code,
            Balance.quantity,
        )
        .join(Location, Location.id == Balance.location_id)
        .join(Lot, Lot.id == Balance.lot_id)
        .outerjoin(Grant, Grant.id == Lot.grant_id)
        # Lot.item_id repeats what the ledger guarantees (a balance's lot is of its item) so
        # that PostgreSQL reads this item's lots by uq_lots_item_id_identity, not every lot.
        .where(
            Balance.item_id == item_id,
            Lot.item_id == item_id,
            Location.kind.in_(STOCK_HOLDING_KINDS),
            nonzero,
        )
        .order_by(
            _kind_order(),
            Location.name,
            Balance.location_id,
            Lot.expires_on.nulls_last(),
            Lot.code,
            Lot.id,
        )
    )
    if own is not None:
        lots_stmt = lots_stmt.where(own)
    rows_page = RowPage(
        lots_stmt,
        page=page,
        per_page=per_page,
        total=sum(place.lots for place in places.values()),
    )
    groups: list[PlaceLots] = []
    for kind, name, *values in rows_page.items:
        balance = LotBalance(*values)
        if not groups or groups[-1].place.location_id != balance.location_id:
            # No totals for a balance written between the two queries (PostgreSQL reads each
            # statement afresh): its lots show without a subtotal.
            place = places.get(balance.location_id) or PlaceTotal(
                balance.location_id, kind, name, 0, 0, 0
            )
            groups.append(PlaceLots(place))
        groups[-1].balances.append(balance)
    return ItemBalances(
        page=rows_page,
        groups=groups,
        quantity=sum(place.quantity for place in places.values()),
        reserved=sum(place.reserved for place in places.values()),
        bookkeeping=ends,
    )
