"""Posting a count: its differences become one ``count`` transaction, once.

The count moves from open to posted by a guarded UPDATE first, in the same savepoint as the
ledger post, so two people pressing Post post once, and no line can be keyed in between (keying
holds the same row). Each line's difference is counted minus the balance when it was keyed:
stock that moved since is not counted twice. The operation key makes a resent form land on
the first result.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.counts import queries
from hilogistics.counts.models import CountStatus, StockCount, StockCountLine
from hilogistics.counts.services._common import actor_id, visible_count
from hilogistics.dates import business_date_problem
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import ConflictError, DomainError
from hilogistics.lines.problems import ProblemList
from hilogistics.registry.transitions import transition
from hilogistics.stock import ledger
from hilogistics.stock.models import AdjustmentReason, StockTransaction, TransactionKind
from hilogistics.stock.services import find_or_create_lot, require_stock_role, virtual_location

# The adjustment reason every count movement carries (added with the counts tables).
COUNT_REASON = "count"


def count_reason() -> AdjustmentReason | None:
    """The reason "physical count difference", if the database has it."""
    return db.session.scalar(select(AdjustmentReason).where(AdjustmentReason.code == COUNT_REASON))


def post_count(
    *,
    actor: User | SystemActor | None,
    count_id: int,
    occurred_on: date,
    operation_key: str,
    note: str = "",
) -> StockCount:
    """Post the count's differences to or from the COUNT location, and close it.

    Logistics staff, administrators and the system only (they approve the differences).
    Raises DomainError while a line waits for its recount or nothing was keyed,
    InsufficientStockError when a shortage is more than the place now holds, ConflictError
    when the count was posted or abandoned meanwhile; a resend with the same ``operation_key``
    returns the posted count.
    """
    begin_write()
    require_stock_role(actor)
    count = visible_count(actor, count_id)
    if count.status is CountStatus.POSTED and count.posted_key == operation_key:
        return count
    if not operation_key or len(operation_key) > 64:
        raise DomainError(_("The form is missing its one-time key. Reload the page."))
    problem = business_date_problem(occurred_on)
    if problem is not None:
        raise DomainError(problem, field="occurred_on")
    note = (note or "").strip()
    if len(note) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="note")
    fingerprint = ledger.fingerprint_of(
        TransactionKind.COUNT,
        {"count_id": count.id, "occurred_on": occurred_on, "note": note},
        [],
    )
    if ledger.replayed(actor=actor, operation_key=operation_key, fingerprint=fingerprint):
        return count
    try:
        with db.session.begin_nested():
            _post(count, actor, occurred_on, operation_key, note, fingerprint)  # type: ignore[arg-type]
    except ConflictError:
        db.session.expire(count)
        if count.status is CountStatus.POSTED and count.posted_key == operation_key:
            return count  # the same form, sent twice at once: the first one posted it
        raise
    db.session.expire(count)
    return count


def _post(
    count: StockCount,
    actor: User | SystemActor,
    occurred_on: date,
    operation_key: str,
    note: str,
    fingerprint: str,
) -> StockTransaction | None:
    transition(
        StockCount,
        count.id,
        frm=CountStatus.OPEN,
        to=CountStatus.POSTED,
        posted_on=occurred_on,
        posted_at=utcnow(),
        posted_by_id=actor_id(actor),
        posted_key=operation_key,
    )
    # Read after the row is ours: no line can change any more.
    lines = list(
        db.session.scalars(
            select(StockCountLine)
            .where(StockCountLine.count_id == count.id)
            .order_by(StockCountLine.id)
            .execution_options(populate_existing=True)
        )
    )
    _check_postable(lines, occurred_on)
    differences = [line for line in lines if line.difference != 0]
    if not differences:
        return None
    place_id, count_place_id = count.location_id, virtual_location("COUNT").id
    reason = count_reason()
    moves: list[ledger.Line] = []
    for line in differences:
        if line.lot_id is None:
            line.lot = find_or_create_lot(
                item=line.item, code=line.lot_code, expires_on=line.expires_on
            )
            db.session.flush()
            line.lot_key = str(line.lot.id)
        difference = line.difference
        source, target = (
            (count_place_id, place_id) if difference > 0 else (place_id, count_place_id)
        )
        moves.append(
            ledger.Line(
                item_id=line.item_id,
                lot_id=line.lot_id,
                quantity=abs(difference),
                from_location_id=source,
                to_location_id=target,
                reason_id=reason.id if reason else None,
                note=_(
                    "Counted %(counted)d, system %(expected)d",
                    counted=line.final_counted,
                    expected=line.final_expected,
                ),
            )
        )
    db.session.flush()
    posted = ledger.post(
        kind=TransactionKind.COUNT,
        lines=moves,
        actor=actor,
        occurred_on=occurred_on,
        operation_key=operation_key,
        location_id=place_id,
        reference=count.number,
        reason_id=reason.id if reason else None,
        note=note,
        document_id=count.document_id,
        fingerprint=fingerprint,
    )
    db.session.execute(
        StockCount.__table__.update()
        .where(StockCount.id == count.id)
        .values(transaction_id=posted.transaction.id)
    )
    return posted.transaction


def _check_postable(lines: list[StockCountLine], occurred_on: date) -> None:
    """Refuse a count with nothing keyed or a recount still missing, naming each line."""
    if not lines:
        raise DomainError(_("Nothing was counted yet: key the counted quantities first."))
    problems = ProblemList()
    for line in lines:
        if line.awaiting_recount:
            problems.add(
                None,
                _(
                    "%(code)s, lot %(lot)s: the difference is above the threshold and waits "
                    "for a recount by someone else.",
                    code=line.item.code,
                    lot=line.lot_label,
                ),
            )
        elif line.difference > 0 and (
            not line.item.is_active
            or (line.expires_on is not None and line.expires_on < occurred_on)
        ):
            problems.add(
                None,
                _(
                    "%(code)s, lot %(lot)s: an inactive item or an expired lot found in surplus "
                    "cannot be brought into stock; record it as found with an adjustment "
                    "once checked, and key this line as the system balance.",
                    code=line.item.code,
                    lot=line.lot_label,
                ),
            )
    problems.raise_if_any()


def differences_of(count: StockCount) -> list[StockCountLine]:
    """The count's lines whose figure differs from the system balance when counted."""
    return [line for line in queries.counted_lines(count.id) if line.difference != 0]
