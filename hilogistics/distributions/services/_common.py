"""What every distribution operation shares: entry shapes, who may act where, checks, history."""

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.camps.guards import camp_refusal
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_date_problem, business_today
from hilogistics.db import db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionAction,
    DistributionEvent,
    FittingService,
    RecipientType,
    Side,
)
from hilogistics.errors import NotFoundError, PermissionDeniedError
from hilogistics.i18n import current_locale
from hilogistics.lines.problems import LineProblem, ProblemList, line_field
from hilogistics.locations.models import Location
from hilogistics.stock.ledger import MAX_QUANTITY
from hilogistics.stock.models import Balance, ItemBalance, Lot, StockTransaction, TransactionKind

MAX_LINES = 200
MAX_HEADCOUNT = 100_000
DEFAULT_REFERENCE_PATTERN = r"[A-Z]{2,6}-[0-9]{2,8}"
DEFAULT_REFERENCE_EXAMPLE = "BEN-0042"


@dataclass(frozen=True)
class LineInput:
    """One line as entered: item, lot (None: not chosen) and quantity."""

    item_id: int
    lot_id: int | None
    quantity: int


@dataclass(frozen=True)
class Recipient:
    """Who received: type, reference code, fitting service and side, group head-counts."""

    type: RecipientType
    reference: str = ""
    service: FittingService | None = None
    side: Side | None = None
    headcounts: Mapping[str, int] = field(default_factory=dict)


def reference_example() -> str:
    """The example reference shown on forms (setting ``RECIPIENT_REFERENCE_EXAMPLE``)."""
    if has_app_context():
        return current_app.config.get("RECIPIENT_REFERENCE_EXAMPLE") or DEFAULT_REFERENCE_EXAMPLE
    return DEFAULT_REFERENCE_EXAMPLE


def normalise_reference(text: str | None) -> str:
    """A reference as stored: trimmed and upper-cased."""
    return (text or "").strip().upper()


def reference_problem(text: str) -> str | None:
    """Why ``text`` (normalised) is not a recipient reference code, or None when it is one."""
    pattern = DEFAULT_REFERENCE_PATTERN
    if has_app_context():
        pattern = current_app.config.get("RECIPIENT_REFERENCE_PATTERN") or pattern
    if len(text) <= 40 and re.fullmatch(pattern, text):
        return None
    return _(
        "Write the recipient's code, such as %(example)s, never a name.",
        example=reference_example(),
    )


def transaction_kind(recipient_type: RecipientType) -> TransactionKind:
    """``consumption`` for workshop use, ``distribution`` for everyone else."""
    if recipient_type == RecipientType.WORKSHOP.value:
        return TransactionKind.CONSUMPTION
    return TransactionKind.DISTRIBUTION


def may_distribute_at(actor: User | SystemActor | None, location_id: int) -> bool:
    """Logistics and administrators anywhere, a technician at their own place only."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role in (Role.ADMIN, Role.LOGISTICS):
        return True
    return actor.role is Role.TECHNICIAN and actor.location_id == location_id


def require_distributor(actor: User | SystemActor | None, location_id: int | None) -> None:
    """Refuse anyone who may not record at this place (viewers, technicians elsewhere)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    if isinstance(actor, SystemActor):
        return
    if actor.role not in (Role.ADMIN, Role.LOGISTICS, Role.TECHNICIAN):
        raise PermissionDeniedError(_("Only logistics staff and technicians record distributions."))
    if location_id is not None and not may_distribute_at(actor, location_id):
        raise PermissionDeniedError(_("You may record distributions only at your own place."))


def can_see(actor: User | SystemActor | None, distribution: Distribution) -> bool:
    """Whether ``actor`` may see ``distribution``: technicians only their own place's."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id == distribution.location_id
    return True


def visible_distribution(actor: User | SystemActor | None, distribution_id: int) -> Distribution:
    """The distribution when ``actor`` may see it; NotFoundError otherwise (a 404)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    distribution = db.session.get(Distribution, distribution_id)
    if distribution is None or not can_see(actor, distribution):
        raise NotFoundError(_("No such distribution."))
    return distribution


def check_header(
    problems: ProblemList,
    *,
    location: Location | None,
    distributed_on: date | None,
    recipient: Recipient,
    note: str,
) -> str:
    """Check the place, date and recipient; return the normalised reference."""
    if location is None or not location.kind.is_physical or not location.is_active:
        problems.add("location_id", _("Choose an active centre, school, camp or warehouse."))
    else:
        refusal = camp_refusal(location)
        if refusal is not None:
            problems.add("location_id", refusal)
    if not isinstance(distributed_on, date):
        problems.add("distributed_on", _("Enter a date."))
    else:
        problem = business_date_problem(distributed_on)
        if problem is not None:
            problems.add("distributed_on", problem)
    try:
        kind = RecipientType(recipient.type)
    except ValueError:
        problems.add("recipient_type", _("Choose who received."))
        return ""
    reference = normalise_reference(recipient.reference)
    if reference or kind is not RecipientType.WORKSHOP:
        if not reference:
            problems.add(
                "recipient_ref",
                _("Enter the recipient's code, such as %(example)s.", example=reference_example()),
            )
        else:
            problem = reference_problem(reference)
            if problem is not None:
                problems.add("recipient_ref", problem)
    if kind is RecipientType.PATIENT:
        if recipient.service is None:
            problems.add(
                "service", _("Say whether it is a new fitting, a repair or a replacement.")
            )
        if recipient.side is None:
            problems.add("side", _("Choose the side, or not applicable."))
    else:
        if recipient.service is not None:
            problems.add("service", _("A service is recorded for a patient's fitting only."))
        if recipient.side is not None:
            problems.add("side", _("A side is recorded for a patient's fitting only."))
    counts = {name: recipient.headcounts.get(name) or 0 for name in HEADCOUNT_FIELDS}
    for name, value in counts.items():
        if not isinstance(value, int) or value < 0 or value > MAX_HEADCOUNT:
            problems.add(name, _("A whole number from 0 to %(n)d.", n=MAX_HEADCOUNT))
    if kind.is_group and sum(v for v in counts.values() if isinstance(v, int)) <= 0:
        problems.add("girls", _("Count the people served, by sex and age band."))
    if not kind.is_group and any(counts.values()):
        problems.add("girls", _("Head-counts are recorded for a class or a camp session only."))
    if len(note or "") > 2000:
        problems.add("note", _("At most %(n)d characters.", n=2000))
    return reference


def header_problems(
    *, location_id: int | None, distributed_on: date | None, recipient: Recipient, note: str
) -> list[LineProblem]:
    """What :func:`check_header` finds in a slip's header, without writing anything.

    For the form to name a bad header with its lines' problems in one reply.
    """
    problems = ProblemList()
    location = db.session.get(Location, location_id) if location_id else None
    check_header(
        problems, location=location, distributed_on=distributed_on, recipient=recipient, note=note
    )
    return list(problems)


def _lot_words(lot: Lot | None) -> str:
    if lot is not None and (lot.serial or lot.code):
        return _("lot %(lot)s", lot=lot.serial or lot.code)
    return _("no lot code")


def check_lines(
    problems: ProblemList,
    *,
    location: Location | None,
    distributed_on: date | None,
    lines: Sequence[LineInput],
    giving_back: Mapping[int, int] | None = None,
) -> tuple[dict[int, Item], dict[int, Lot]]:
    """Check every line in one pass; a quantity above what is available names item, lot, place.

    ``giving_back``: per lot, what a correction's reversal returns to the place first. The
    availability check is a courtesy naming the line; the ledger's guarded updates decide.
    """
    if not lines:
        problems.add("lines", _("Enter at least one line."))
        return {}, {}
    if len(lines) > MAX_LINES:
        problems.add("lines", _("At most %(n)d lines.", n=MAX_LINES))
        return {}, {}
    items = {
        item.id: item
        for item in db.session.scalars(select(Item).where(Item.id.in_({x.item_id for x in lines})))
    }
    lot_ids = {x.lot_id for x in lines if x.lot_id is not None}
    lots = {lot.id: lot for lot in db.session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))}
    on = distributed_on if isinstance(distributed_on, date) else business_today()
    for index, line in enumerate(lines):
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            problems.add(line_field(index, "item"), _("No active item has this code."))
            continue
        if not isinstance(line.quantity, int) or not 0 < line.quantity <= MAX_QUANTITY:
            problems.add(
                line_field(index, "quantity"),
                _("A whole number from 1 to %(n)d.", n=MAX_QUANTITY),
            )
        lot = lots.get(line.lot_id) if line.lot_id is not None else None
        if lot is None or lot.item_id != item.id:
            problems.add(
                line_field(index, "lot"),
                _("Choose the lot of %(item)s handed out.", item=item.code),
            )
        elif lot.expires_on is not None and lot.expires_on < on:
            problems.add(
                line_field(index, "lot"),
                _(
                    "Lot %(lot)s of %(item)s expired on %(date)s: it cannot be handed out.",
                    lot=lot.code or lot.serial or "",
                    item=item.code,
                    date=lot.expires_on.isoformat(),
                ),
            )
        elif item.tracks_serial and line.quantity != 1:
            problems.add(line_field(index, "quantity"), _("One serial number per line."))
    if location is None or problems.fields_with_errors() & {
        line_field(i, f) for i in range(len(lines)) for f in ("item", "lot", "quantity")
    }:
        return items, lots
    _check_available(problems, location, lines, lots, items, giving_back or {})
    return items, lots


def _check_available(
    problems: ProblemList,
    location: Location,
    lines: Sequence[LineInput],
    lots: Mapping[int, Lot],
    items: Mapping[int, Item],
    giving_back: Mapping[int, int],
) -> None:
    wanted_lot: dict[int, int] = defaultdict(int)
    wanted_item: dict[int, int] = defaultdict(int)
    for line in lines:
        wanted_lot[line.lot_id] += line.quantity  # type: ignore[index]
        wanted_item[line.item_id] += line.quantity
    on_lot = dict(
        db.session.execute(
            select(Balance.lot_id, Balance.quantity).where(
                Balance.location_id == location.id, Balance.lot_id.in_(wanted_lot)
            )
        ).all()
    )
    available = dict(
        db.session.execute(
            select(ItemBalance.item_id, ItemBalance.on_hand - ItemBalance.reserved).where(
                ItemBalance.location_id == location.id, ItemBalance.item_id.in_(wanted_item)
            )
        ).all()
    )
    back_item: dict[int, int] = defaultdict(int)
    for lot_id, quantity in giving_back.items():
        if lot_id in lots:
            back_item[lots[lot_id].item_id] += quantity
    place = location.display_name(current_locale())
    named: set[int] = set()
    for index, line in enumerate(lines):
        lot_id = line.lot_id
        has_lot = on_lot.get(lot_id, 0) + giving_back.get(lot_id, 0)  # type: ignore[arg-type]
        has_item = available.get(line.item_id, 0) + back_item.get(line.item_id, 0)
        if lot_id in named:
            continue
        lot_short = wanted_lot[lot_id] > has_lot  # type: ignore[index]
        if not lot_short and wanted_item[line.item_id] > has_item:
            # The lot has what this line asks: it is the item's lines together that exceed.
            named.add(lot_id)  # type: ignore[arg-type]
            problems.add(
                line_field(index, "quantity"),
                _(
                    "Not enough of %(item)s at %(place)s: %(wanted)d to hand out on all its "
                    "lines, %(available)d available.",
                    item=items[line.item_id].code,
                    place=place,
                    wanted=wanted_item[line.item_id],
                    available=max(0, has_item),
                ),
            )
        elif lot_short:
            named.add(lot_id)  # type: ignore[arg-type]
            problems.add(
                line_field(index, "quantity"),
                _(
                    "Not enough of %(item)s (%(lot)s) at %(place)s: %(wanted)d to hand out, "
                    "%(available)d available.",
                    item=items[line.item_id].code,
                    lot=_lot_words(lots.get(lot_id)),  # type: ignore[arg-type]
                    place=place,
                    wanted=wanted_lot[lot_id],  # type: ignore[index]
                    available=max(0, min(has_lot, has_item)),
                ),
            )


def record_event(
    distribution: Distribution,
    actor: User | SystemActor | None,
    action: DistributionAction,
    *,
    occurred_on: date,
    note: str = "",
    transaction: StockTransaction | None = None,
    reversal: StockTransaction | None = None,
) -> DistributionEvent:
    """Add a step to the slip's history."""
    event = DistributionEvent(
        distribution_id=distribution.id,
        action=action,
        actor_id=actor.id if actor is not None else None,
        occurred_on=occurred_on,
        note=note,
        transaction_id=transaction.id if transaction else None,
        reversal_transaction_id=reversal.id if reversal else None,
    )
    db.session.add(event)
    db.session.flush()
    return event


def distribution_of_transaction(transaction: StockTransaction) -> Distribution:
    """The distribution whose document a transaction posts."""
    distribution = db.session.scalar(
        select(Distribution).where(Distribution.document_id == transaction.document_id)
    )
    if distribution is None:  # pragma: no cover - every distribution posting names its slip
        raise NotFoundError(_("No such distribution."))
    return distribution
