"""Record a distribution, mark its slip signed and returned, correct it from the paper.

Stock moves only through ``ledger.post``: place → recipients (``distribution``, or
``consumption`` for workshop use); a correction posts a ``reversal`` of the current posting and
the corrected lines, both naming the slip's document. Each operation runs once per operation
key (``ledger.once``): the same form sent twice posts once and answers with the same slip.
"""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import update

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.camps.guards import camp_refusal
from hilogistics.dates import business_date_problem, business_today
from hilogistics.db import begin_write, db
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionAction,
    DistributionLine,
    DistributionStatus,
)
from hilogistics.distributions.services._common import (
    LineInput,
    Recipient,
    check_header,
    check_lines,
    distribution_of_transaction,
    record_event,
    require_distributor,
    transaction_kind,
    visible_distribution,
)
from hilogistics.distributions.services.preprinting import take_preprinted
from hilogistics.errors import ConflictError, DomainError
from hilogistics.lines.problems import ProblemList
from hilogistics.locations.models import Location
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.registry.transitions import transition
from hilogistics.stock import ledger
from hilogistics.stock.models import StockTransaction, TransactionKind
from hilogistics.stock.services import virtual_location


class _Replayed(DomainError):
    """Raised inside ``once``'s work when the key was posted meanwhile: undo, answer the first."""


def _line_dicts(lines: Sequence[LineInput]) -> list[dict[str, object]]:
    return [{"item": x.item_id, "lot": x.lot_id, "quantity": x.quantity} for x in lines]


def _recipient_header(recipient: Recipient) -> dict[str, object]:
    return {
        "type": str(recipient.type),
        "reference": (recipient.reference or "").strip().upper(),
        "service": str(recipient.service) if recipient.service else None,
        "side": str(recipient.side) if recipient.side else None,
        "headcounts": {n: recipient.headcounts.get(n) or 0 for n in HEADCOUNT_FIELDS},
    }


def record_distribution(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    distributed_on: date,
    recipient: Recipient,
    lines: Sequence[LineInput],
    operation_key: str,
    note: str = "",
    slip_number: str = "",
) -> Distribution:
    """Number a new slip and post its lines from the place to the recipients.

    ``slip_number`` keys a slip printed in advance: the distribution takes over that reserved
    number (it must be one of this place's, not yet keyed nor voided) instead of a new one.

    The date may be in the past (slips keyed later from paper). Technicians record at their own
    place only. Raises LineProblems with every problem at once (header fields by name, lines
    as ``lines-N-<field>``; a quantity above what is available names item, lot and place),
    PermissionDeniedError, or InsufficientStockError when a concurrent post took the stock.
    """
    begin_write()
    require_distributor(actor, location_id)
    note = (note or "").strip()
    slip_number = (slip_number or "").strip()
    header: dict[str, object] = {
        "location_id": location_id,
        "distributed_on": distributed_on,
        "note": note,
        **_recipient_header(recipient),
    }
    if slip_number:
        header["slip_number"] = slip_number.upper()
    asked = ledger.fingerprint_of(transaction_kind(recipient.type), header, _line_dicts(lines))

    def work() -> StockTransaction:
        location = db.session.get(Location, location_id) if location_id else None
        problems = ProblemList()
        reference = check_header(
            problems,
            location=location,
            distributed_on=distributed_on,
            recipient=recipient,
            note=note,
        )
        check_lines(problems, location=location, distributed_on=distributed_on, lines=lines)
        problems.raise_if_any()
        if location is None:  # pragma: no cover - check_header refused it
            raise DomainError(_("Choose an active centre, school, camp or warehouse."))
        if slip_number:
            document, problem = take_preprinted(
                actor,  # type: ignore[arg-type]
                number=slip_number,
                location_id=location.id,
            )
            if problem is not None:
                problems.add("slip_number", problem)
                problems.raise_if_any()
        else:
            document = register_document(
                type=DocumentType.DISTRIBUTION,
                actor=actor,  # type: ignore[arg-type]
                on=distributed_on,
            )
        distribution = Distribution(
            document_id=document.id,
            location_id=location.id,
            distributed_on=distributed_on,
            recipient_type=recipient.type,
            recipient_ref=reference,
            service=recipient.service,
            side=recipient.side,
            note=note,
            status=DistributionStatus.ISSUED,
            revision=1,
            created_by_id=actor.id,  # type: ignore[union-attr]
            **{n: recipient.headcounts.get(n) or 0 for n in HEADCOUNT_FIELDS},
        )
        db.session.add(distribution)
        db.session.flush()
        _add_lines(distribution, lines, revision=1)
        posted = _post_lines(
            distribution, lines, actor=actor, operation_key=operation_key, fingerprint=asked
        )
        record_event(
            distribution,
            actor,
            DistributionAction.RECORDED,
            occurred_on=distributed_on,
            transaction=posted,
        )
        return posted

    transaction = ledger.once(
        actor=actor, operation_key=operation_key, fingerprint=asked, work=work
    )
    return distribution_of_transaction(transaction)


def _add_lines(distribution: Distribution, lines: Sequence[LineInput], *, revision: int) -> None:
    for position, line in enumerate(lines, start=1):
        db.session.add(
            DistributionLine(
                distribution_id=distribution.id,
                revision=revision,
                position=position,
                item_id=line.item_id,
                lot_id=line.lot_id,
                quantity=line.quantity,
            )
        )
    db.session.flush()


def _post_lines(
    distribution: Distribution,
    lines: Sequence[LineInput],
    *,
    actor: User | SystemActor | None,
    operation_key: str,
    fingerprint: str,
) -> StockTransaction:
    recipients = virtual_location("RECIPIENTS")
    posted = ledger.post(
        kind=transaction_kind(distribution.recipient_type),
        lines=[
            ledger.Line(
                line.item_id,
                line.lot_id,  # type: ignore[arg-type]
                line.quantity,
                distribution.location_id,
                recipients.id,
            )
            for line in lines
        ],
        actor=actor,
        occurred_on=distribution.distributed_on,
        operation_key=operation_key,
        location_id=distribution.location_id,
        reference=distribution.number,
        note=distribution.note,
        document_id=distribution.document_id,
        fingerprint=fingerprint,
    )
    if not posted.created:
        # A concurrent send of the same form posted first: undo this attempt's slip.
        raise _Replayed(_("This form was already sent."))
    return posted.transaction


def mark_returned(
    *,
    actor: User | SystemActor | None,
    distribution_id: int,
    returned_on: date | None = None,
    note: str = "",
) -> Distribution:
    """The signed slip came back: issued → returned, once (a second click is told so).

    Raises NotFoundError (not visible), PermissionDeniedError, ConflictError (already returned),
    DomainError for a date in the future or before the distribution.
    """
    begin_write()
    distribution = visible_distribution(actor, distribution_id)
    require_distributor(actor, distribution.location_id)
    returned_on = returned_on or business_today()
    problem = business_date_problem(returned_on)
    if problem is None and returned_on < distribution.distributed_on:
        problem = _(
            "The slip cannot come back before the distribution (%(date)s).",
            date=distribution.distributed_on.isoformat(),
        )
    if problem is not None:
        raise DomainError(problem, field="returned_on")
    if len(note or "") > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="note")
    transition(
        Distribution,
        distribution.id,
        frm=DistributionStatus.ISSUED,
        to=DistributionStatus.RETURNED,
        returned_on=returned_on,
    )
    record_event(
        distribution,
        actor,
        DistributionAction.RETURNED,
        occurred_on=returned_on,
        note=(note or "").strip(),
    )
    return distribution


def _derived_key(operation_key: str, suffix: str) -> str:
    """A second operation key for a second transaction of one submission (at most 64 chars)."""
    return f"{suffix}:" + hashlib.sha256(operation_key.encode()).hexdigest()[:48]


def current_posting(distribution: Distribution) -> StockTransaction | None:
    """The transaction that posted the slip's current lines (the last recording or correction)."""
    for event in reversed(distribution.events):
        if event.transaction_id is not None:
            return event.transaction
    return None


def correct_distribution(
    *,
    actor: User | SystemActor | None,
    distribution_id: int,
    revision: int,
    lines: Sequence[LineInput],
    note: str,
    operation_key: str,
) -> Distribution:
    """The paper differs from what was keyed: reverse the current posting, post ``lines``.

    Both transactions name the slip's document and are dated on the distribution's date; the
    slip keeps its number and its lines become revision ``revision + 1``. ``revision`` is the
    one the user corrected: a correction made meanwhile by someone else raises ConflictError.
    Raises LineProblems for the lines and the note (why), as record_distribution does.
    """
    begin_write()
    distribution = visible_distribution(actor, distribution_id)
    require_distributor(actor, distribution.location_id)
    note = (note or "").strip()
    asked = ledger.fingerprint_of(
        "correction",
        {"distribution_id": distribution_id, "revision": revision, "note": note},
        _line_dicts(lines),
    )

    def work() -> StockTransaction:
        changed = db.session.execute(
            update(Distribution)
            .where(Distribution.id == distribution_id, Distribution.revision == revision)
            .values(revision=Distribution.revision + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise ConflictError(
                _("This slip was corrected meanwhile. Reload the page and check its lines.")
            )
        db.session.expire(distribution)
        original = current_posting(distribution)
        problems = ProblemList()
        refusal = camp_refusal(distribution.location)
        if refusal is not None:
            problems.add(None, refusal)
        if not note:
            problems.add("note", _("Say what differs on the paper."))
        elif len(note) > 2000:
            problems.add("note", _("At most %(n)d characters.", n=2000))
        giving_back: dict[int, int] = defaultdict(int)
        if original is not None:
            for movement in original.movements:
                giving_back[movement.lot_id] += movement.quantity
        check_lines(
            problems,
            location=distribution.location,
            distributed_on=distribution.distributed_on,
            lines=lines,
            giving_back=giving_back,
        )
        problems.raise_if_any()
        reversal = None
        if original is not None:
            reversal = ledger.post(
                kind=TransactionKind.REVERSAL,
                lines=[
                    ledger.Line(
                        m.item_id,
                        m.lot_id,
                        m.quantity,
                        m.to_location_id,
                        m.from_location_id,
                        reverses_movement_id=m.id,
                    )
                    for m in original.movements
                ],
                actor=actor,
                occurred_on=distribution.distributed_on,
                operation_key=_derived_key(operation_key, "rev"),
                location_id=distribution.location_id,
                reference=distribution.number,
                note=note,
                reverses_id=original.id,
                document_id=distribution.document_id,
            ).transaction
        _add_lines(distribution, lines, revision=revision + 1)
        posted = _post_lines(
            distribution, lines, actor=actor, operation_key=operation_key, fingerprint=asked
        )
        record_event(
            distribution,
            actor,
            DistributionAction.CORRECTED,
            occurred_on=business_today(),
            note=note,
            transaction=posted,
            reversal=reversal,
        )
        return posted

    try:
        transaction = ledger.once(
            actor=actor, operation_key=operation_key, fingerprint=asked, work=work
        )
    except DomainError:
        db.session.expire(distribution)
        raise
    found = distribution_of_transaction(transaction)
    db.session.expire(found)
    return found
