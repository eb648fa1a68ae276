"""Keying a count: counted quantities per item and lot, lots found, and recounts.

Every problem of every line is collected in one pass (:class:`LineProblems`); nothing is
written unless all lines pass. Each line keeps the system balance of its lot at the place at
the moment it was keyed; keying a lot again replaces its figure (and asks for a new recount
when the new difference is above the threshold).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.counts import queries
from hilogistics.counts.models import StockCount, StockCountLine
from hilogistics.counts.services._common import (
    above_threshold,
    actor_id,
    hold_open,
    visible_count,
)
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import DomainError
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.locations.permissions import require_act_at
from hilogistics.stock.ledger import MAX_QUANTITY
from hilogistics.stock.models import Lot


@dataclass(frozen=True)
class CountEntry:
    """One keyed line: an item, its lot (known by id or typed code), the quantity counted.

    ``lot_id`` names a lot of the sheet. Otherwise ``lot_code`` is looked up among the
    item's lots (a blank code: the item's lot without a code); when no lot has it, the line
    is a lot found that the system did not know, with ``expires_on`` if the item has expiry.
    """

    item_id: int
    counted: int
    lot_id: int | None = None
    lot_code: str = ""
    expires_on: date | None = None


@dataclass(frozen=True)
class Recount:
    """A second person's figure for a line whose difference was above the threshold."""

    line_id: int
    counted: int


@dataclass(frozen=True)
class _Resolved:
    entry: CountEntry
    item: Item
    lot: Lot | None
    lot_key: str
    lot_code: str


def _uncoded_lots(location_id: int, item_ids: set[int]) -> dict[int, Lot]:
    """Each item's lot without code or serial, preferring the one held at the place."""
    if not item_ids:
        return {}
    lots = list(
        db.session.scalars(
            select(Lot)
            .where(Lot.item_id.in_(item_ids), Lot.code == "", Lot.serial.is_(None))
            .order_by(Lot.id)
        )
    )
    held = queries.balances_now(location_id, [(lot.item_id, lot.id) for lot in lots])
    best: dict[int, tuple[Lot, int]] = {}
    for lot in lots:
        quantity = held.get((lot.item_id, lot.id), 0)
        if lot.item_id not in best or quantity > best[lot.item_id][1]:
            best[lot.item_id] = (lot, quantity)
    return {item_id: lot for item_id, (lot, _quantity) in best.items()}


def check_count_entries(count: StockCount, entries: Sequence[CountEntry]) -> list[_Resolved]:
    """Every problem of every entry at once (LineProblems), else the entries with their lots.

    Fields are ``lines-N-<item|lot_code|expires_on|counted>``, N counting ``entries``.
    """
    problems = ProblemList()
    items = {
        item.id: item
        for item in db.session.scalars(
            select(Item).where(Item.id.in_({entry.item_id for entry in entries}))
        )
    }
    scope = queries.scope_category_ids(count)
    by_id = {
        lot.id: lot
        for lot in db.session.scalars(
            select(Lot).where(Lot.id.in_({e.lot_id for e in entries if e.lot_id is not None}))
        )
    }
    typed = queries.lots_by_code(
        count.location_id,
        {
            (e.item_id, e.lot_code.strip().upper())
            for e in entries
            if e.lot_id is None and e.lot_code.strip()
        },
    )
    uncoded = _uncoded_lots(
        count.location_id,
        {e.item_id for e in entries if e.lot_id is None and not e.lot_code.strip()},
    )
    resolved: list[_Resolved] = []
    seen: dict[tuple[int, str], int] = {}
    for index, entry in enumerate(entries):
        item = items.get(entry.item_id)
        if item is None:
            problems.add(line_field(index, "item"), _("No item has this code."))
            continue
        if scope is not None and item.category_id not in scope:
            problems.add(
                line_field(index, "item"),
                _("%(code)s is not in the categories of this count.", code=item.code),
            )
            continue
        if not 0 <= entry.counted <= MAX_QUANTITY:
            problems.add(line_field(index, "counted"), _("Enter a whole number of at least 0."))
        code = entry.lot_code.strip()
        lot: Lot | None
        if entry.lot_id is not None:
            lot = by_id.get(entry.lot_id)
            if lot is None or lot.item_id != item.id:
                problems.add(line_field(index, "lot_code"), _("Choose a lot of this item."))
                continue
        elif code:
            lot = typed.get((item.id, code.upper()))
        else:
            lot = uncoded.get(item.id)
        if lot is not None:
            if (
                entry.expires_on is not None
                and lot.expires_on is not None
                and entry.expires_on != lot.expires_on
            ):
                problems.add(
                    line_field(index, "expires_on"),
                    _(
                        "This lot expires on %(date)s in the records: leave the expiry blank, "
                        "or correct the lot's expiry on its page first.",
                        date=lot.expires_on.isoformat(),
                    ),
                )
            key = str(lot.id)
        else:
            if item.tracks_serial:
                problems.add(
                    line_field(index, "lot_code"),
                    _(
                        "No unit of %(code)s has this serial number: a serial number found is "
                        "recorded as a receipt, not by a count.",
                        code=item.code,
                    ),
                )
                continue
            if item.tracks_expiry and entry.expires_on is None:
                problems.add(
                    line_field(index, "expires_on"),
                    _("A lot found of %(code)s needs its expiry date.", code=item.code),
                )
            key = f"new:{code.upper()}"[:80]
        if item.tracks_serial and entry.counted > 1:
            problems.add(
                line_field(index, "counted"),
                _("A serial number is counted 0 or 1."),
            )
        earlier = seen.setdefault((item.id, key), index)
        if earlier != index:
            problems.add(
                line_field(index, "lot_code"),
                _("This lot is already on line %(n)d.", n=earlier + 1),
            )
            continue
        resolved.append(_Resolved(entry, item, lot, key, lot.code if lot is not None else code))
    problems.raise_if_any()
    return resolved


def record_counts(
    *, actor: User | SystemActor | None, count_id: int, entries: Sequence[CountEntry]
) -> list[StockCountLine]:
    """Key counted quantities; each line takes the lot's system balance at the place now.

    A lot keyed again is replaced by the new figure. Raises LineProblems with every problem,
    ConflictError when the count is no longer open, NotFoundError/PermissionDeniedError as
    ``require_act_at`` does.
    """
    begin_write()
    count = visible_count(actor, count_id)
    require_act_at(actor, count.location_id)
    if not entries:
        raise DomainError(_("Enter at least one counted quantity."))
    hold_open(count)
    resolved = check_count_entries(count, entries)
    balances = queries.balances_now(
        count.location_id, [(r.item.id, r.lot.id) for r in resolved if r.lot is not None]
    )
    existing = {
        (line.item_id, line.lot_key): line
        for line in db.session.scalars(
            select(StockCountLine).where(StockCountLine.count_id == count.id)
        )
    }
    now, who = utcnow(), actor_id(actor)  # type: ignore[arg-type]
    saved: list[StockCountLine] = []
    for r in resolved:
        expected = balances.get((r.item.id, r.lot.id), 0) if r.lot is not None else 0
        line = existing.get((r.item.id, r.lot_key))
        if line is None:
            line = StockCountLine(count_id=count.id, item_id=r.item.id, lot_key=r.lot_key)
            db.session.add(line)
        line.lot_id = r.lot.id if r.lot is not None else None
        line.lot_code = r.lot_code
        line.expires_on = r.lot.expires_on if r.lot is not None else r.entry.expires_on
        line.counted = r.entry.counted
        line.expected = expected
        line.counted_at = now
        line.counted_by_id = who
        line.needs_recount = above_threshold(count, counted=r.entry.counted, expected=expected)
        line.recounted = line.recount_expected = None
        line.recounted_at = line.recounted_by_id = None
        saved.append(line)
    db.session.flush()
    return saved


def record_recounts(
    *, actor: User | SystemActor | None, count_id: int, recounts: Sequence[Recount]
) -> list[StockCountLine]:
    """Key a second person's figures for lines above the threshold; theirs is the one posted.

    The recount takes the lot's system balance now, like a first count. Raises LineProblems
    (fields ``lines-N-counted``): a line that needs no recount, or that the same person
    counted first; ConflictError when the count is no longer open.
    """
    begin_write()
    count = visible_count(actor, count_id)
    require_act_at(actor, count.location_id)
    if not recounts:
        raise DomainError(_("Enter at least one counted quantity."))
    hold_open(count)
    lines = {
        line.id: line
        for line in db.session.scalars(
            select(StockCountLine).where(
                StockCountLine.count_id == count.id,
                StockCountLine.id.in_({r.line_id for r in recounts}),
            )
        )
    }
    who = actor_id(actor)  # type: ignore[arg-type]
    problems = ProblemList()
    for index, recount in enumerate(recounts):
        line = lines.get(recount.line_id)
        field = line_field(index, "counted")
        if line is None or not line.needs_recount:
            problems.add(field, _("This line needs no recount."))
        elif line.counted_by_id == who:
            problems.add(
                field,
                _(
                    "A recount is made by someone other than the first counter (%(name)s).",
                    name=line.counted_by.username if line.counted_by else _("the system"),
                ),
            )
        elif not 0 <= recount.counted <= MAX_QUANTITY:
            problems.add(field, _("Enter a whole number of at least 0."))
        elif line.item.tracks_serial and recount.counted > 1:
            problems.add(field, _("A serial number is counted 0 or 1."))
    problems.raise_if_any()
    balances = queries.balances_now(
        count.location_id,
        [
            (lines[r.line_id].item_id, lines[r.line_id].lot_id)
            for r in recounts
            if lines[r.line_id].lot_id is not None
        ],
    )
    now = utcnow()
    for recount in recounts:
        line = lines[recount.line_id]
        line.recounted = recount.counted
        line.recount_expected = (
            balances.get((line.item_id, line.lot_id), 0) if line.lot_id is not None else 0
        )
        line.recounted_at = now
        line.recounted_by_id = who
    db.session.flush()
    return [lines[r.line_id] for r in recounts]
