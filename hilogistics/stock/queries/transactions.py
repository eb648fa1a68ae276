"""Stock transactions: the filtered list, and one transaction as its reader may see it."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, union
from sqlalchemy.orm import aliased, joinedload, selectinload

from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Item
from hilogistics.db import db, matches_text
from hilogistics.errors import NotFoundError
from hilogistics.stock.models import Lot, Movement, StockTransaction, TransactionKind


@dataclass(frozen=True)
class TransactionFilters:
    """What the transaction list was asked to show."""

    kind: TransactionKind | None = None
    location_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Text searches: each matches anywhere in the text, ignoring case.
    reference: str | None = None
    supplier: str | None = None
    item: str | None = None  # code or name, in any language
    grant_id: int | None = None


@dataclass(frozen=True)
class TransactionRow:
    """A transaction in the list, with its line count and the id of its reversal."""

    transaction: StockTransaction
    lines: int
    reversed_by_id: int | None


def _touches(location_id: int | None) -> ColumnElement[bool]:
    return exists().where(
        Movement.transaction_id == StockTransaction.id,
        or_(Movement.from_location_id == location_id, Movement.to_location_id == location_id),
    )


def transactions_query(user: User, filters: TransactionFilters) -> Select[Any]:
    """Rows (StockTransaction, lines, reversed_by_id), newest business date first.

    A technician sees only transactions with a movement from or to their place.
    """
    reversal = aliased(StockTransaction, name="reversal")
    # A transaction may be reversed in parts: the list links to the first reversal.
    reversed_by = (
        select(func.min(reversal.id))
        .where(reversal.reverses_id == StockTransaction.id)
        .correlate(StockTransaction)
        .scalar_subquery()
    )
    lines = (
        select(func.count(Movement.id))
        .where(Movement.transaction_id == StockTransaction.id)
        .correlate(StockTransaction)
        .scalar_subquery()
    )
    stmt = select(StockTransaction, lines.label("lines"), reversed_by.label("reversed_by_id"))
    if user.role is Role.TECHNICIAN:
        stmt = stmt.where(_touches(user.location_id))
    if filters.location_id is not None:
        stmt = stmt.where(_touches(filters.location_id))
    if filters.kind is not None:
        stmt = stmt.where(StockTransaction.kind == filters.kind)
    if filters.date_from is not None:
        stmt = stmt.where(StockTransaction.occurred_on >= filters.date_from)
    if filters.date_to is not None:
        stmt = stmt.where(StockTransaction.occurred_on <= filters.date_to)
    # Reference and supplier are on the transaction itself: no movement is read to match them
    # (on PostgreSQL trigram indexes serve the "contains" search).
    if filters.reference:
        stmt = stmt.where(matches_text([StockTransaction.reference], filters.reference))
    if filters.supplier:
        stmt = stmt.where(matches_text([StockTransaction.supplier], filters.supplier))
    # Item and grant are on the lines: the matching items or the grant's lots first, then their
    # movements through the (item_id, …) and lot_id indexes.
    if filters.item:
        items = select(Item.id).where(
            matches_text((Item.code, Item.name, Item.name_ko, Item.name_fr), filters.item)
        )
        stmt = stmt.where(
            StockTransaction.id.in_(
                select(Movement.transaction_id).where(Movement.item_id.in_(items))
            )
        )
    if filters.grant_id is not None:
        # A union, not an OR of two conditions: PostgreSQL then joins once, where the OR made
        # it run the subquery for every transaction when the set was too large to hash.
        lots = select(Lot.id).where(Lot.grant_id == filters.grant_id)
        header = aliased(StockTransaction, name="header")
        stmt = stmt.where(
            StockTransaction.id.in_(
                union(
                    select(Movement.transaction_id).where(Movement.lot_id.in_(lots)),
                    select(header.id).where(header.grant_id == filters.grant_id),
                )
            )
        )
    return stmt.order_by(StockTransaction.occurred_on.desc(), StockTransaction.id.desc())


def transaction_row(row: Any) -> TransactionRow:
    """Turn a row of ``transactions_query`` into a TransactionRow."""
    return TransactionRow(row[0], int(row.lines), row.reversed_by_id)


def visible_transaction(user: User, transaction_id: int) -> StockTransaction:
    """A transaction with its lines, or NotFoundError when missing or not visible to ``user``.

    A technician may open only transactions that move stock from or to their own place.
    """
    stmt = (
        select(StockTransaction)
        .where(StockTransaction.id == transaction_id)
        .options(
            selectinload(StockTransaction.movements).options(
                joinedload(Movement.item),
                joinedload(Movement.lot),
                joinedload(Movement.from_location),
                joinedload(Movement.to_location),
            ),
            joinedload(StockTransaction.reverses),
            selectinload(StockTransaction.reversals),
            joinedload(StockTransaction.grant),
            joinedload(StockTransaction.reason),
            joinedload(StockTransaction.document),
        )
    )
    transaction = db.session.scalar(stmt)
    if transaction is None:
        raise NotFoundError("no such transaction")
    if user.role is Role.TECHNICIAN and not any(
        user.location_id in (m.from_location_id, m.to_location_id) for m in transaction.movements
    ):
        raise NotFoundError("no such transaction")
    return transaction
