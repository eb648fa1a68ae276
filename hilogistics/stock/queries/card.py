"""The stock card of an item at a place: movements a page at a time, with running balances."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from hilogistics.db import db, localised_name
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document, DocumentType
from hilogistics.stock.models import Balance, Lot, Movement, StockTransaction, TransactionKind
from hilogistics.stock.queries._common import (
    MAX_PER_PAGE,
    PARAM_LIMIT,
    PARAM_OFFSET,
    RowPage,
    param,
)

# Cards with at most this many movements are summed whole on every page, so that the balance
# they end on is checked against the recorded balance. Longer cards read the movements on the
# cheaper side of the page only (see ``stock_card``); ``flask hilo check-ledger`` checks them.
CARD_CHECK_LIMIT = 500


@dataclass(frozen=True, slots=True)
class CardLine:
    """One movement on a stock card, with the balance after it (plain values)."""

    movement_id: int
    occurred_on: date
    transaction_id: int
    kind: TransactionKind
    reference: str | None
    # The numbered document behind the movement (shipment, distribution…), if any.
    document_number: str | None
    document_type: DocumentType | None
    lot_id: int
    lot_label: str
    lot_expires_on: date | None
    other: str
    quantity_in: int
    quantity_out: int
    balance: int


@dataclass
class StockCard:
    """A page of a stock card: opening balance, lines with running balances, closing balance.

    ``closing`` is the balance the card ends on (as of its date, or now). ``checked`` is true
    when that was summed from the movements, and ``recorded`` (without a date) is the balance
    kept now: the page shows whether they match. On long cards without a date, the closing
    balance is the recorded one and the page's opening balance is worked back from it.
    """

    page: RowPage
    opening: int
    closing: int
    lines: list[CardLine]
    recorded: int | None = None
    checked: bool = True


def _card_halves(item_id: int, location_id: int, as_of: date | None) -> tuple[Any, Any]:
    """Conditions of the "in" and "out" halves of a card, each served by its own index."""
    incoming = and_(Movement.item_id == item_id, Movement.to_location_id == location_id)
    outgoing = and_(Movement.item_id == item_id, Movement.from_location_id == location_id)
    if as_of is not None:
        incoming = and_(incoming, Movement.occurred_on <= as_of)
        outgoing = and_(outgoing, Movement.occurred_on <= as_of)
    return incoming, outgoing


def _card_keys(
    incoming: Any, outgoing: Any, *, descending: bool = False, with_delta: bool = False
) -> Any:
    """Both halves of a card (occurred_on, id, sign[, delta]) in (date, id) order.

    One compound select, to cut with LIMIT/OFFSET: each half comes in that order from its
    index, so the database merges them (SQLite: only when the compound itself is ordered and
    cut, not a query around it).
    """

    def half(condition: Any, sign: int) -> Select[Any]:
        columns = [Movement.occurred_on, Movement.id, literal(sign, Integer).label("sign")]
        if with_delta:
            columns.append((Movement.quantity * sign).label("delta"))
        return select(*columns).where(condition)

    keys = union_all(half(incoming, 1), half(outgoing, -1))
    occurred_on, movement_id = keys.selected_columns.occurred_on, keys.selected_columns.id
    if descending:
        return keys.order_by(occurred_on.desc(), movement_id.desc())
    return keys.order_by(occurred_on, movement_id)


def _card_side_sum(incoming: Any, outgoing: Any, count: int, *, last: bool) -> Any:
    """Scalar: the sum of the first (or last) ``count`` movements of a card, reading only them."""
    keys = _card_keys(incoming, outgoing, descending=last, with_delta=True)
    side = keys.limit(count).subquery("side")
    return select(func.coalesce(func.sum(side.c.delta), 0)).scalar_subquery()


def stock_card(
    item_id: int,
    location_id: int,
    *,
    as_of: date | None,
    page: int,
    per_page: int,
    locale: str | None = None,
) -> StockCard:
    """One page of the stock card of an item at a place, oldest first, up to ``as_of``.

    Two statements whatever the card's length, both through the (item, place, date, id)
    indexes: the number of movements (index only) with the recorded balance (``Balance``),
    then the page's keys (both halves merged in date order, index only, cut to the page)
    joined to their movements, transactions, lots and other places, with the sums it needs
    for the balance brought forward:

    - with a date, or on a card of at most ``CARD_CHECK_LIMIT`` movements: the movements
      before the page and after it, so the whole card is summed and, without a date, the
      balance it ends on is checked against the recorded one;
    - otherwise the recorded balance is the closing one, and the opening balance is the sum
      of the movements before the page, or the closing balance less the movements from the
      page on, whichever reads fewer movements (none on the first and last pages).
    """
    incoming, outgoing = _card_halves(item_id, location_id, as_of)
    counted = select(func.count()).where(incoming).scalar_subquery() + (
        select(func.count()).where(outgoing).scalar_subquery()
    )
    if as_of is None:
        kept = select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.item_id == item_id, Balance.location_id == location_id
        )
        total, recorded = db.session.execute(select(counted, kept.scalar_subquery())).one()
        recorded = int(recorded)
    else:
        total, recorded = db.session.scalar(select(counted)), None
    total = int(total or 0)
    checked = as_of is not None or total <= CARD_CHECK_LIMIT
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    offset = (page - 1) * per_page
    shown = max(min(per_page, total - offset), 0)
    before_count, later_count = offset, total - offset - shown
    if not checked:  # read the cheaper side only; none on the first and last pages
        if before_count <= later_count:
            later_count = 0
        else:
            before_count = 0
    sums = []
    if shown and before_count:
        sums.append(_card_side_sum(incoming, outgoing, before_count, last=False).label("before"))
    if shown and later_count:
        sums.append(_card_side_sum(incoming, outgoing, later_count, last=True).label("later"))
    rows_page = RowPage(
        None,
        page=page,
        per_page=per_page,
        total=total,
        limited=_card_page_select(incoming, outgoing, locale).add_columns(*sums),
    )
    rows = rows_page.items
    page_sum = sum(row.sign * row.quantity for row in rows)
    before = int(rows[0].before) if rows and before_count else 0
    later = int(rows[0].later) if rows and later_count else 0
    if checked:
        if rows or total == 0:
            opening, closing = before, before + page_sum + later
        else:  # past the last page: the whole card is before it
            whole = _card_side_sum(incoming, outgoing, total, last=False)
            opening = closing = int(db.session.scalar(select(whole)) or 0)
    else:
        closing = int(recorded or 0)
        if not rows:  # past the last page
            opening = closing
        elif before_count or offset == 0:
            opening = before
        else:  # worked back from the recorded balance (on the last page: later == 0)
            opening = closing - later - page_sum
    balance = opening
    lines = []
    for row in rows:
        delta = row.sign * row.quantity
        balance += delta
        lines.append(
            CardLine(
                movement_id=row.id,
                occurred_on=row.occurred_on,
                transaction_id=row.transaction_id,
                kind=row.kind,
                reference=row.reference,
                document_number=row.document_number,
                document_type=row.document_type,
                lot_id=row.lot_id,
                lot_label=row.lot_label,
                lot_expires_on=row.expires_on,
                other=row.other,
                quantity_in=max(delta, 0),
                quantity_out=max(-delta, 0),
                balance=balance,
            )
        )
    return StockCard(
        page=rows_page,
        opening=opening,
        closing=closing,
        lines=lines,
        recorded=recorded,
        checked=checked,
    )


def _card_page_select(incoming: Any, outgoing: Any, locale: str | None) -> Select[Any]:
    """One page (``page_limit``, ``page_offset``) of a card's lines in (date, id) order.

    The keys of both halves are ordered and cut first (index only); only the page's rows are
    joined to their movement, transaction, its document, lot and other place (where it came
    from for "in", where it went for "out"). Plain columns, names in the reader's language.
    """
    rows = (
        _card_keys(incoming, outgoing)
        .limit(param(PARAM_LIMIT))
        .offset(param(PARAM_OFFSET))
        .subquery("page")
    )
    other = aliased(Location, name="other")
    other_name = localised_name(other, locale)
    return (
        select(
            rows.c.id,
            rows.c.occurred_on,
            rows.c.sign,
            Movement.quantity,
            Movement.transaction_id,
            StockTransaction.kind,
            StockTransaction.reference,
            Document.number.label("document_number"),
            Document.type.label("document_type"),
            Lot.id.label("lot_id"),
            func.coalesce(func.nullif(Lot.serial, ""), func.nullif(Lot.code, ""), "—").label(
                "lot_label"
            ),
            Lot.expires_on,
            other_name.label("other"),
        )
        .select_from(rows)
        .join(Movement, Movement.id == rows.c.id)
        .join(StockTransaction, StockTransaction.id == Movement.transaction_id)
        .outerjoin(Document, Document.id == StockTransaction.document_id)
        .join(Lot, Lot.id == Movement.lot_id)
        .join(
            other,
            other.id
            == case((rows.c.sign == 1, Movement.from_location_id), else_=Movement.to_location_id),
        )
        .order_by(rows.c.occurred_on, rows.c.id)
    )
