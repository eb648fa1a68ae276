"""Read-only count queries: lists, one count with its lines, the sheet's rows, balances now.

List functions return ``select()`` statements; technicians' lists are narrowed to counts of
their own place, as their pages are.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select, tuple_
from sqlalchemy.orm import selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item
from hilogistics.counts.models import CountStatus, StockCount, StockCountLine
from hilogistics.db import db
from hilogistics.inputs import has_control_characters
from hilogistics.stock.models import Balance, Lot


def _visible_to(actor: User | SystemActor | None) -> object:
    """A WHERE clause: every count, a technician's own place's, or none."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return StockCount.location_id == actor.location_id
    return True


def counts_query(
    actor: User | SystemActor | None, status: CountStatus | None = None
) -> Select[tuple[StockCount]]:
    """Counts ``actor`` may see, newest first, of one status or any."""
    statement = (
        select(StockCount)
        .where(_visible_to(actor))  # type: ignore[arg-type]
        .options(selectinload(StockCount.categories), selectinload(StockCount.opened_by))
        .order_by(StockCount.id.desc())
    )
    if status is not None:
        statement = statement.where(StockCount.status == status)
    return statement


def count_with_lines(count_id: int) -> StockCount | None:
    """The count with its lines, their people, its categories and its posting, or None."""
    return db.session.scalar(
        select(StockCount)
        .where(StockCount.id == count_id)
        .options(
            selectinload(StockCount.lines).selectinload(StockCountLine.counted_by),
            selectinload(StockCount.lines).selectinload(StockCountLine.recounted_by),
            selectinload(StockCount.categories),
            selectinload(StockCount.opened_by),
            selectinload(StockCount.posted_by),
            selectinload(StockCount.abandoned_by),
            selectinload(StockCount.transaction),
        )
        .execution_options(populate_existing=True)
    )


def count_of_document(document_id: int) -> StockCount | None:
    """The count numbered by this registry document, if any."""
    return db.session.scalar(select(StockCount).where(StockCount.document_id == document_id))


def scope_category_ids(count: StockCount) -> set[int] | None:
    """The categories a partial count covers, sub-categories included; None: every one."""
    if not count.categories:
        return None
    chosen = {category.id for category in count.categories}
    children = db.session.scalars(select(Category.id).where(Category.parent_id.in_(chosen)))
    return chosen | set(children)


@dataclass(frozen=True)
class SheetRow:
    """One row of a count sheet: an item lot the system knows at the place."""

    item: Item
    lot: Lot


def sheet_rows(count: StockCount) -> list[SheetRow]:
    """The lots in the count's scope that the system holds at its place, in shelf order.

    Ordered by category, item code, then expiry and lot: the order of the sheet and of keying.
    No quantity is returned: the sheet is blind.
    """
    statement = (
        select(Item, Lot)
        .join(Balance, Balance.item_id == Item.id)
        .join(Lot, Lot.id == Balance.lot_id)
        .join(Category, Category.id == Item.category_id)
        .where(Balance.location_id == count.location_id, Balance.quantity > 0)
        .order_by(
            Category.sort_order,
            Category.id,
            Item.code,
            Lot.expires_on.is_(None),
            Lot.expires_on,
            Lot.code,
            Lot.serial,
            Lot.id,
        )
    )
    scope = scope_category_ids(count)
    if scope is not None:
        statement = statement.where(Item.category_id.in_(scope))
    return [SheetRow(item, lot) for item, lot in db.session.execute(statement)]


def balances_now(location_id: int, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """The system balance of each (item, lot) at the place now (missing pairs: 0)."""
    wanted = sorted(set(pairs))
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = db.session.execute(
            select(Balance.item_id, Balance.lot_id, Balance.quantity).where(
                Balance.location_id == location_id,
                tuple_(Balance.item_id, Balance.lot_id).in_(chunk),
            )
        )
        found.update({(item_id, lot_id): quantity for item_id, lot_id, quantity in rows})
    return {pair: found.get(pair, 0) for pair in wanted}


def lots_by_code(location_id: int, wanted: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Lot]:
    """Lots by (item id, upper-case code or serial), preferring one held at the place.

    Several lots of one item share a code when grants differ: the one with stock at the place
    wins, then the one with the lowest id (the first received).
    """
    wanted = set(wanted)
    if not wanted:
        return {}
    item_ids = {item_id for item_id, _code in wanted}
    codes = {code for _item_id, code in wanted}
    held = (
        select(Balance.quantity)
        .where(
            Balance.location_id == location_id,
            Balance.lot_id == Lot.id,
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Lot, func.coalesce(held, 0))
        .where(
            Lot.item_id.in_(item_ids),
            or_(func.upper(Lot.code).in_(codes), func.upper(Lot.serial).in_(codes)),
        )
        .order_by(Lot.id)
    )
    found: dict[tuple[int, str], tuple[Lot, int]] = {}
    for lot, quantity in rows:
        for text in {(lot.code or "").upper(), (lot.serial or "").upper()}:
            key = (lot.item_id, text)
            if text and key in wanted and (key not in found or quantity > found[key][1]):
                found[key] = (lot, quantity)
    return {key: lot for key, (lot, _quantity) in found.items()}


def counted_lines(count_id: int) -> list[StockCountLine]:
    """The count's lines in the order they were first keyed."""
    return list(
        db.session.scalars(
            select(StockCountLine)
            .where(StockCountLine.count_id == count_id)
            .order_by(StockCountLine.id)
        )
    )


def open_counts_at(location_id: int) -> list[StockCount]:
    """The counts still open at a place (a camp closing looks here first)."""
    return list(
        db.session.scalars(
            select(StockCount).where(
                StockCount.location_id == location_id, StockCount.status == CountStatus.OPEN
            )
        )
    )


def lots_by_ids(ids: Iterable[int]) -> dict[int, Lot]:
    """Lots by id (the sheet's lines name theirs)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(wanted)))}


def items_by_code(codes: Iterable[str | None]) -> dict[str, Item]:
    """Items by upper-case code, inactive ones too: stock of an inactive item is counted."""
    # Also called to redisplay a refused form: a code with a control character matches no item,
    # and PostgreSQL would refuse the query outright.
    wanted = {
        code.strip().upper()
        for code in codes
        if code and code.strip() and not has_control_characters(code)
    }
    if not wanted:
        return {}
    return {
        item.code.upper(): item
        for item in db.session.scalars(select(Item).where(func.upper(Item.code).in_(wanted)))
    }
