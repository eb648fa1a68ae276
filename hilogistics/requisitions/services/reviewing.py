"""Review a submitted requisition line by line; what is approved is reserved at the supplier."""

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import DomainError
from hilogistics.i18n import current_locale
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.locations.models import LocationKind
from hilogistics.registry.transitions import transition
from hilogistics.requisitions.models import (
    LineDecision,
    Requisition,
    RequisitionAction,
    RequisitionStatus,
)
from hilogistics.requisitions.services._common import MAX_TEXT, record, reviewer_requisition
from hilogistics.stock import ledger


@dataclass(frozen=True)
class LineReview:
    """The decision on one line: approve all, approve less (``approved``, with a reason), reject.

    A reason is required unless everything asked is approved.
    """

    line_id: int
    decision: LineDecision | str | None
    approved: int | None = None
    reason: str = ""


def holder_of(requisition: Requisition, position: int) -> str:
    """The reservation holder of a line: ``REQ-2026-00001/3``."""
    return f"{requisition.number}/{position}"


def review_requisition(
    *,
    actor: User | SystemActor | None,
    requisition_id: int,
    reviews: Sequence[LineReview],
) -> Requisition:
    """Decide every line of a submitted requisition at once and reserve what is approved.

    Each approved quantity is reserved at the place's supplying warehouse
    (``ledger.reserve``, guarded: never more than is available). The requisition becomes
    *approved*, or *rejected* when nothing is. Logistics only: a technician never reviews.
    Raises LineProblems naming every line's problem (``lines-N-decision|approved|reason``),
    including stock short at the warehouse; ConflictError when already reviewed.
    """
    begin_write()
    requisition = reviewer_requisition(actor, requisition_id)
    by_line = {review.line_id: review for review in reviews}
    problems = ProblemList()
    decided: list[tuple[int, LineDecision, int, str]] = []
    for index, line in enumerate(requisition.lines):
        review = by_line.get(line.id)
        try:
            decision = LineDecision(review.decision) if review and review.decision else None
        except ValueError:
            decision = None
        if review is None or decision is None:
            problems.add(line_field(index, "decision"), _("Approve, approve less or reject."))
            continue
        reason = (review.reason or "").strip()
        if len(reason) > MAX_TEXT:
            problems.add(line_field(index, "reason"), _("At most %(n)d characters.", n=MAX_TEXT))
        approved = line.quantity
        if decision is LineDecision.REJECTED:
            approved = 0
        elif decision is LineDecision.REDUCED:
            approved = review.approved  # type: ignore[assignment]
            if (
                not isinstance(approved, int)
                or isinstance(approved, bool)
                or not 0 < approved < line.quantity
            ):
                problems.add(
                    line_field(index, "approved"),
                    _("A whole number from 1 to %(n)d.", n=line.quantity - 1),
                )
                continue
        if decision is not LineDecision.APPROVED and not reason:
            problems.add(line_field(index, "reason"), _("Say why."))
        decided.append((index, decision, approved, reason))
    problems.raise_if_any()
    approves = any(approved for _i, _d, approved, _r in decided)
    supplier = requisition.location.supplied_by
    if approves and (
        supplier is None or supplier.kind is not LocationKind.WAREHOUSE or not supplier.is_active
    ):
        raise DomainError(
            _(
                "%(place)s has no active supplying warehouse: set one in the place's form first.",
                place=requisition.location.display_name(current_locale()),
            ),
            field="supplier_id",
        )
    transition(
        Requisition,
        requisition.id,
        frm=RequisitionStatus.SUBMITTED,
        to=RequisitionStatus.APPROVED if approves else RequisitionStatus.REJECTED,
        reviewed_at=utcnow(),
        reviewed_by_id=actor.id if actor is not None else None,
        supplier_id=supplier.id if approves and supplier else requisition.supplier_id,
    )
    for index, decision, approved, reason in decided:
        line = requisition.lines[index]
        line.decision = decision
        line.approved = approved
        line.review_reason = reason
        if not approved:
            continue
        try:
            reservation = ledger.reserve(
                actor=actor,
                holder=holder_of(requisition, line.position),
                location_id=supplier.id,  # type: ignore[union-attr]
                item_id=line.item_id,
                quantity=approved,
            )
        except DomainError as error:
            problems.add(line_field(index, "approved"), error.message)
            continue
        line.reservation_id = reservation.id
    problems.raise_if_any()
    db.session.flush()
    record(requisition, actor, RequisitionAction.REVIEWED)
    return requisition
