"""Raise a requisition: draft it with its suggestion figures, edit, submit, cancel."""

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Item
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.inputs import DB_INT_MAX
from hilogistics.lines.problems import ProblemList, line_field
from hilogistics.locations.models import Location
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.registry.transitions import transition
from hilogistics.requisitions.models import (
    Requisition,
    RequisitionAction,
    RequisitionLine,
    RequisitionStatus,
)
from hilogistics.requisitions.services._common import (
    MAX_TEXT,
    is_logistics,
    may_request_for,
    reason_text,
    record,
    requester_requisition,
)
from hilogistics.requisitions.suggestions import Suggestion, suggestions_for
from hilogistics.stock.errors import ReplayConflictError
from hilogistics.stock.ledger import MAX_QUANTITY

MAX_LINES = 500


@dataclass(frozen=True)
class RequestLine:
    """One line as keyed: an item, how many, and why."""

    item_id: int
    quantity: int
    reason: str = ""


def create_requisition(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    lines: Sequence[RequestLine],
    note: str = "",
    from_paper: bool = False,
    operation_key: str | None = None,
) -> Requisition:
    """Save a new draft for a place, each line with the place's figures; posts nothing.

    Technicians raise for their own place, logistics for any (``from_paper``: keyed from the
    paper form the place sent; logistics only). With ``operation_key`` a form sent twice
    makes one draft. Raises PermissionDeniedError, DomainError or LineProblems (every line).
    """
    begin_write()
    location = (
        db.session.get(Location, location_id)
        if isinstance(location_id, int) and 0 < location_id <= DB_INT_MAX
        else None
    )
    if location is None or not location.kind.is_physical or not location.is_active:
        raise DomainError(_("Choose an active centre, school or camp."), field="location_id")
    if not may_request_for(actor, location.id):
        raise PermissionDeniedError(_("You may raise requisitions only for your own place."))
    if from_paper and not is_logistics(actor):
        raise PermissionDeniedError(_("Only logistics staff key a paper requisition."))
    key = _created_key(actor, operation_key)
    if key is not None:
        earlier = db.session.scalar(select(Requisition).where(Requisition.created_key == key))
        if earlier is not None:
            # A replay asks for the same place and lines; other content under a used key is
            # a second form reusing a key (DESIGN §2b), refused rather than silently dropped.
            asked = [(line.item_id, line.quantity) for line in lines]
            made = [(line.item_id, line.quantity) for line in earlier.lines]
            if earlier.location_id != location.id or asked != made:
                raise ReplayConflictError(
                    _(
                        "This form was already sent as %(number)s with other lines. Open "
                        "%(number)s to change it, or reload the page for a new requisition.",
                        number=earlier.number,
                    )
                )
            return earlier
    note = _note(note)
    new_lines = _lines(location, lines)
    document = register_document(type=DocumentType.REQUISITION, actor=actor)  # type: ignore[arg-type]
    requisition = Requisition(
        document_id=document.id,
        status=RequisitionStatus.DRAFT,
        location_id=location.id,
        supplier_id=location.supplied_by_id,
        target_months=location.target_months,
        note=note,
        is_from_paper=from_paper,
        created_by_id=actor.id if actor is not None else None,
        created_key=key,
        lines=new_lines,
    )
    db.session.add(requisition)
    db.session.flush()
    record(requisition, actor, RequisitionAction.CREATED)
    return requisition


def update_requisition(
    *,
    actor: User | SystemActor | None,
    requisition_id: int,
    lines: Sequence[RequestLine],
    note: str = "",
) -> Requisition:
    """Replace a draft's lines (figures computed again) and note; ConflictError once submitted."""
    begin_write()
    requisition = requester_requisition(actor, requisition_id)
    # The guarded no-op transition locks the row: a submission waits for this edit, or wins.
    transition(Requisition, requisition.id, frm=RequisitionStatus.DRAFT, to=RequisitionStatus.DRAFT)
    note = _note(note)
    new_lines = _lines(requisition.location, lines)
    requisition.note = note
    requisition.target_months = requisition.location.target_months
    requisition.lines.clear()
    db.session.flush()
    requisition.lines.extend(new_lines)
    record(requisition, actor, RequisitionAction.EDITED)
    return requisition


def submit_requisition(*, actor: User | SystemActor | None, requisition_id: int) -> Requisition:
    """Submit a draft for review; its lines and figures (computed once more now) are frozen."""
    begin_write()
    requisition = requester_requisition(actor, requisition_id)
    transition(
        Requisition,
        requisition.id,
        frm=RequisitionStatus.DRAFT,
        to=RequisitionStatus.SUBMITTED,
        submitted_at=utcnow(),
        submitted_by_id=actor.id if actor is not None else None,
    )
    db.session.refresh(requisition)
    if not requisition.lines:
        raise DomainError(_("Enter at least one line."), field="lines")
    requisition.target_months = requisition.location.target_months
    figures = suggestions_for(
        requisition.location_id,
        target_months=requisition.target_months,
        item_ids={line.item_id for line in requisition.lines},
    )
    for line in requisition.lines:
        _set_figures(line, figures[line.item_id])
    record(requisition, actor, RequisitionAction.SUBMITTED)
    return requisition


def cancel_requisition(
    *, actor: User | SystemActor | None, requisition_id: int, reason: str = ""
) -> Requisition:
    """Cancel a draft, or a submitted requisition nobody has reviewed yet; nothing was reserved."""
    begin_write()
    requisition = requester_requisition(actor, requisition_id)
    text = reason_text(reason, field="reason", required=False)
    transition(
        Requisition,
        requisition.id,
        frm=(RequisitionStatus.DRAFT, RequisitionStatus.SUBMITTED),
        to=RequisitionStatus.CANCELLED,
        reason=text,
    )
    record(requisition, actor, RequisitionAction.CANCELLED, note=text)
    return requisition


def _created_key(actor: User | SystemActor | None, operation_key: str | None) -> str | None:
    if operation_key is None:
        return None
    if not operation_key or len(operation_key) > 64:
        raise DomainError(_("The form is missing its one-time key. Reload the page."))
    actor_key = actor.id if actor is not None and actor.id is not None else 0
    return f"{actor_key}:{operation_key}"


def _note(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > MAX_TEXT:
        raise DomainError(_("At most %(n)d characters.", n=MAX_TEXT), field="note")
    return text


def _lines(location: Location, lines: Sequence[RequestLine]) -> list[RequisitionLine]:
    """Check every line in one pass (LineProblems names each), then attach the figures."""
    problems = ProblemList()
    if not lines:
        problems.add("lines", _("Enter at least one line."))
    elif len(lines) > MAX_LINES:
        problems.add("lines", _("At most %(n)d lines.", n=MAX_LINES))
    problems.raise_if_any()
    items = {
        item.id: item
        for item in db.session.scalars(select(Item).where(Item.id.in_({x.item_id for x in lines})))
    }
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            problems.add(line_field(index, "item"), _("No active item has this code."))
        elif item.id in seen:
            problems.add(
                line_field(index, "item"),
                _("%(item)s is already on line %(n)d.", item=item.code, n=seen[item.id] + 1),
            )
        else:
            seen[item.id] = index
        quantity = line.quantity
        if (
            not isinstance(quantity, int)
            or isinstance(quantity, bool)
            or not 0 < quantity <= MAX_QUANTITY
        ):
            problems.add(
                line_field(index, "quantity"), _("A whole number from 1 to %(n)d.", n=MAX_QUANTITY)
            )
        if len((line.reason or "").strip()) > MAX_TEXT:
            problems.add(line_field(index, "reason"), _("At most %(n)d characters.", n=MAX_TEXT))
    problems.raise_if_any()
    figures = suggestions_for(location.id, target_months=location.target_months, item_ids=set(seen))
    made = []
    for index, line in enumerate(lines):
        new = RequisitionLine(
            position=index + 1,
            item_id=line.item_id,
            quantity=line.quantity,
            reason=(line.reason or "").strip(),
        )
        _set_figures(new, figures[line.item_id])
        made.append(new)
    return made


def _set_figures(line: RequisitionLine, figures: Suggestion) -> None:
    line.on_hand = figures.on_hand
    line.on_the_way = figures.on_the_way
    line.consumption_total = figures.consumption_total
    line.consumption_months = figures.consumption_months
    line.suggested = figures.suggested
    line.minimum = figures.minimum
