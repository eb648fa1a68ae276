"""Stock-out spans: the stretches of days each item had nothing at each place, kept by the ledger.

A span of (place, item) runs from the first day whose end-of-day balance was zero to the
first day with stock again (``ends_on``, not counted; NULL while still out). Days before a
place's first receipt of an item are no span: it was not out, it had never stocked it. Only
physical places have spans (their balances never go below zero).

``post()`` calls :func:`record` after applying its balances, in the same savepoint, for the
(place, item) pairs it touched: each pair's spans are recomputed from the post's business date
on (a back-dated post may split, join or move later spans), reading the pair's movements from
that date and its balance, whose row the post has just locked, so two posts never rewrite one
pair's spans at once (the balance comes back from the post's own UPDATE of that row, so it is
read only when that statement did not return it). ``seed-scale`` and the migration fill the
table with :func:`rebuild`; ``check-ledger`` compares it with spans recomputed from every
movement (:func:`span_differences`).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column

from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.locations.models import PHYSICAL_KINDS, Location
from hilogistics.stock.models import ItemBalance, Movement

Span = tuple[date, date | None]


class StockOutSpan(db.Model):
    """Days an item had none at a place: from ``starts_on`` up to ``ends_on`` (excluded)."""

    __tablename__ = "stock_out_spans"
    __table_args__ = (
        UniqueConstraint(
            "location_id", "item_id", "starts_on", name="uq_stock_out_spans_location_item_start"
        ),
        # A period's spans: those still open or ending after its first day.
        Index("ix_stock_out_spans_ends", "ends_on", "starts_on", "location_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    # The first day with stock again; NULL while the item is still out at the place.
    ends_on: Mapped[date | None] = mapped_column(Date)


def walk(
    days: Iterable[tuple[date, int, bool]],
    *,
    balance: int = 0,
    stocked: bool = False,
    open_since: date | None = None,
) -> list[Span]:
    """Spans from (day, net change, whether stock came in) in date order.

    ``balance`` and ``stocked`` are as they stood the evening before the first day;
    ``open_since`` is the start of a span already running then.
    """
    spans: list[Span] = []
    for day, net, came in days:
        balance += net
        stocked = stocked or came
        if balance <= 0 and stocked and open_since is None:
            open_since = day
        elif balance > 0 and open_since is not None:
            spans.append((open_since, day))
            open_since = None
    if open_since is not None:
        spans.append((open_since, None))
    return spans


@lru_cache(maxsize=1)
def _statements() -> tuple[Any, Any, Any, Any]:
    """The reads and the delete of :func:`_recompute`, with bound parameters, built once.

    Building them afresh on every post cost as much as running them.
    """
    place = bindparam("location_id", type_=Integer)
    items = bindparam("item_ids", expanding=True)
    since = bindparam("since", type_=Date)
    came = select(
        Movement.item_id.label("item_id"),
        Movement.occurred_on.label("day"),
        Movement.quantity.label("delta"),
        literal(1).label("came"),
    ).where(
        Movement.to_location_id == place,
        Movement.item_id.in_(items),
        Movement.occurred_on >= since,
    )
    went = select(
        Movement.item_id, Movement.occurred_on, literal(0) - Movement.quantity, literal(0)
    ).where(
        Movement.from_location_id == place,
        Movement.item_id.in_(items),
        Movement.occurred_on >= since,
    )
    moves = union_all(came, went).subquery()
    daily = (
        select(moves.c.item_id, moves.c.day, func.sum(moves.c.delta), func.max(moves.c.came))
        .group_by(moves.c.item_id, moves.c.day)
        .order_by(moves.c.item_id, moves.c.day)
    )
    on_hand = select(ItemBalance.item_id, ItemBalance.on_hand).where(
        ItemBalance.location_id == place, ItemBalance.item_id.in_(items)
    )
    # The spans a post from ``since`` may change: those running then and those after.
    affected = select(
        StockOutSpan.id, StockOutSpan.item_id, StockOutSpan.starts_on, StockOutSpan.ends_on
    ).where(
        StockOutSpan.location_id == place,
        StockOutSpan.item_id.in_(items),
        or_(
            StockOutSpan.starts_on >= since,
            StockOutSpan.ends_on.is_(None),
            StockOutSpan.ends_on >= since,
        ),
    )
    gone = delete(StockOutSpan).where(StockOutSpan.id.in_(bindparam("ids", expanding=True)))
    return daily, on_hand, affected, gone


def _recompute(
    location_id: int,
    deltas: Mapping[int, int],
    since: date,
    *,
    dated_today: bool = False,
    on_hand: Mapping[int, int] | None = None,
) -> None:
    """Rewrite the spans of these items (item → the post's net change) at a place from ``since``.

    ``on_hand``: item → on hand now, when the post's balance statements returned it for every
    item (else it is read). No read when the post is dated today, no balance is or was zero and
    ``on_hand`` is given; else up to three.

    Each item's balance the evening before ``since`` is its balance now less its movements
    from ``since`` on. It had stocked the item by then when that balance is above zero, or
    when a span was running then (nothing on hand and never stocked: no span). Only the spans
    that differ are deleted or inserted: a post that leaves stock on the shelf writes none.
    """
    daily, on_hand_of, affected, gone = _statements()
    params = {"location_id": location_id, "item_ids": sorted(deltas), "since": since}
    if on_hand is None:
        on_hand = dict(db.session.execute(on_hand_of, params).all())
    if dated_today:
        # Dated today, a post moves only today's end-of-day balance: a span starts or ends
        # only if that balance is zero now or was before the post (a first receipt included).
        crossing = [
            item_id
            for item_id, delta in deltas.items()
            if not on_hand.get(item_id) or on_hand[item_id] - delta == 0
        ]
        if not crossing:
            return
        params["item_ids"] = sorted(crossing)
    item_ids = params["item_ids"]
    days: dict[int, list[tuple[date, int, bool]]] = defaultdict(list)
    for item_id, day, net, came_in in db.session.execute(daily, params):
        days[item_id].append((day, int(net), bool(came_in)))
    running: dict[int, date] = {}
    old: dict[tuple[int, date, date | None], int] = {}
    for span_id, item_id, starts_on, ends_on in db.session.execute(affected, params):
        old[(item_id, starts_on, ends_on)] = span_id
        if starts_on < since:
            running[item_id] = starts_on
    new = set()
    for item_id in item_ids:
        balance = (on_hand.get(item_id) or 0) - sum(net for _d, net, _c in days[item_id])
        open_since = running.get(item_id)
        stocked = balance > 0 or open_since is not None
        for start, end in walk(
            days[item_id], balance=balance, stocked=stocked, open_since=open_since
        ):
            new.add((item_id, start, end))
    stale = [span_id for key, span_id in old.items() if key not in new]
    if stale:
        db.session.execute(gone, {"ids": stale})
    fresh = sorted(new - old.keys(), key=lambda key: (key[0], key[1]))
    if fresh:
        db.session.execute(
            insert(StockOutSpan),
            [
                {"location_id": location_id, "item_id": i, "starts_on": s, "ends_on": e}
                for i, s, e in fresh
            ],
        )


def record(
    lines: Iterable[Any],
    occurred_on: date,
    locations: Mapping[int, Location],
    *,
    on_hand: Mapping[tuple[int, int], int] | None = None,
) -> None:
    """After a post dated ``occurred_on``: recompute the spans of the (place, item) it moved.

    ``lines``: the post's lines; ``locations``: its locations by id (only physical places have
    spans). Places in id order, after the post has updated (and locked) their balance rows.
    ``on_hand``: (place, item) → on hand after the post, as the post's UPDATEs of those rows
    returned it (the same figure a read would give: the rows are locked by the post); a
    place with an item missing there reads its items' balances.
    """
    deltas: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in lines:
        for location_id, sign in ((line.from_location_id, -1), (line.to_location_id, 1)):
            if locations[location_id].kind in PHYSICAL_KINDS:
                deltas[location_id][line.item_id] += sign * line.quantity
    today = occurred_on >= business_today()
    known = on_hand or {}
    for location_id in sorted(deltas):
        items = deltas[location_id]
        figures = {item_id: known.get((location_id, item_id)) for item_id in items}
        _recompute(
            location_id,
            items,
            occurred_on,
            dated_today=today,
            on_hand=None if None in figures.values() else figures,
        )


def _all_days() -> Iterator[tuple[tuple[int, int], list[tuple[date, int, bool]]]]:
    """Every physical (place, item) pair with its days, as :func:`_daily` gives them."""
    places = select(Location.id).where(Location.kind.in_(PHYSICAL_KINDS))
    came = select(
        Movement.to_location_id.label("loc"),
        Movement.item_id.label("item_id"),
        Movement.occurred_on.label("day"),
        Movement.quantity.label("delta"),
        literal(1).label("came"),
    ).where(Movement.to_location_id.in_(places))
    went = select(
        Movement.from_location_id,
        Movement.item_id,
        Movement.occurred_on,
        literal(0) - Movement.quantity,
        literal(0),
    ).where(Movement.from_location_id.in_(places))
    moves = union_all(came, went).subquery()
    rows = db.session.execute(
        select(
            moves.c.loc,
            moves.c.item_id,
            moves.c.day,
            func.sum(moves.c.delta),
            func.max(moves.c.came),
        )
        .group_by(moves.c.loc, moves.c.item_id, moves.c.day)
        .order_by(moves.c.loc, moves.c.item_id, moves.c.day)
    )
    key: tuple[int, int] | None = None
    days: list[tuple[date, int, bool]] = []
    for loc, item_id, day, net, came_in in rows:
        if (loc, item_id) != key:
            if key is not None:
                yield key, days
            key, days = (loc, item_id), []
        days.append((day, int(net), bool(came_in)))
    if key is not None:
        yield key, days


def computed_spans() -> dict[tuple[int, int, date], date | None]:
    """Every span as the movements give it: (place, item, start) → end."""
    return {
        (loc, item_id, start): end
        for (loc, item_id), days in _all_days()
        for start, end in walk(days)
    }


def rebuild() -> int:
    """Replace every span by those the movements give (seed-scale, repairs); how many."""
    db.session.execute(delete(StockOutSpan))
    rows = [
        {"location_id": loc, "item_id": item_id, "starts_on": start, "ends_on": end}
        for (loc, item_id, start), end in computed_spans().items()
    ]
    for chunk in range(0, len(rows), 10_000):
        db.session.execute(insert(StockOutSpan), rows[chunk : chunk + 10_000])
    return len(rows)


def span_differences() -> list[str]:
    """Spans stored that the movements do not give, and spans they give that are missing."""
    computed = computed_spans()
    stored = {
        (row.location_id, row.item_id, row.starts_on): row.ends_on
        for row in db.session.execute(
            select(
                StockOutSpan.location_id,
                StockOutSpan.item_id,
                StockOutSpan.starts_on,
                StockOutSpan.ends_on,
            )
        )
    }
    problems: list[str] = []
    by_pair: dict[tuple[int, int], list[str]] = defaultdict(list)
    for key in sorted(computed.keys() | stored.keys()):
        if key not in stored or key not in computed or stored[key] != computed[key]:
            by_pair[key[:2]].append(
                f"{key[2]}: stored {_span_words(key, stored)}, "
                f"movements give {_span_words(key, computed)}"
            )
    for (loc, item_id), words in sorted(by_pair.items()):
        problems.append(f"location {loc} item {item_id}: stock-out span " + "; ".join(words))
    return problems


def _span_words(key: tuple[int, int, date], spans: dict[tuple[int, int, date], Any]) -> str:
    if key not in spans:
        return "none"
    end = spans[key]
    return f"until {end}" if end is not None else "still open"


__all__: Sequence[str] = ["StockOutSpan", "rebuild", "record", "span_differences", "walk"]
