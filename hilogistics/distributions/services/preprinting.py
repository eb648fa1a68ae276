"""Slips printed in advance for a planned session: numbers reserved, printed blank, keyed later.

A camp session or a clinic day is planned; logistics (or the place's technician) print N blank
slips whose numbers are reserved in the registry, like numbered forms controlled as cheques.
The slips are filled in by hand. When one is keyed, ``record_distribution`` takes over its
number (``take_preprinted``) so that the paper and the database carry the same number. A number
never used is voided with a reason: the series then has no unexplained gap.
"""

from collections.abc import Sequence
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.dates import planning_date_problem
from hilogistics.db import begin_write, db, utcnow
from hilogistics.distributions.models import PreprintedSlip, PreprintedStatus
from hilogistics.distributions.services._common import may_distribute_at, require_distributor
from hilogistics.documents import distributions as slip_documents
from hilogistics.documents.layout import Printing
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.i18n import current_locale
from hilogistics.locations.models import Location
from hilogistics.registry.models import Document, DocumentType
from hilogistics.registry.queries import normalise_number
from hilogistics.registry.services import log_print, register_document
from hilogistics.registry.transitions import transition

MAX_PREPRINTED = 100


def reserve_slips(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    planned_on: date,
    count: int,
    operation_key: str,
) -> list[PreprintedSlip]:
    """Reserve ``count`` slip numbers for a session planned at a place on a day.

    The numbers come from the registry's ``DIS`` series of the planned day's year, so a keyed
    slip keeps its number. The same form sent again (``operation_key``) returns the batch it
    reserved. Raises PermissionDeniedError (viewers; technicians elsewhere) and DomainError
    naming the field (place, date, count), or when the key came with other content.
    """
    begin_write()
    require_distributor(actor, location_id)
    if not operation_key or len(operation_key) > 64:
        raise DomainError(_("The form is missing its one-time key. Reload the page."))
    earlier = list(
        db.session.scalars(
            select(PreprintedSlip)
            .where(PreprintedSlip.batch_key == operation_key)
            .order_by(PreprintedSlip.position)
        )
    )
    if earlier:
        same = (
            earlier[0].created_by_id == actor.id  # type: ignore[union-attr]
            and earlier[0].location_id == location_id
            and earlier[0].planned_on == planned_on
            and len(earlier) == count
        )
        if not same:
            raise DomainError(
                _("This form was already sent with other values. Reload the page and try again.")
            )
        return earlier
    location = db.session.get(Location, location_id)
    if location is None or not location.kind.is_physical or not location.is_active:
        raise DomainError(
            _("Choose an active centre, school, camp or warehouse."), field="location_id"
        )
    problem = planning_date_problem(planned_on)
    if problem is not None:
        raise DomainError(problem, field="planned_on")
    if not isinstance(count, int) or not 1 <= count <= MAX_PREPRINTED:
        raise DomainError(_("A whole number from 1 to %(n)d.", n=MAX_PREPRINTED), field="count")
    slips = []
    for position in range(1, count + 1):
        document = register_document(
            type=DocumentType.DISTRIBUTION,
            actor=actor,  # type: ignore[arg-type]
            on=planned_on,
        )
        slip = PreprintedSlip(
            document_id=document.id,
            location_id=location.id,
            planned_on=planned_on,
            batch_key=operation_key,
            position=position,
            status=PreprintedStatus.RESERVED,
            created_by_id=actor.id,  # type: ignore[union-attr]
        )
        db.session.add(slip)
        slips.append(slip)
    db.session.flush()
    return slips


def visible_preprinted(actor: User | SystemActor | None, slip_id: int) -> PreprintedSlip:
    """The pre-printed slip when ``actor`` may see it; NotFoundError otherwise (a 404)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    slip = db.session.get(PreprintedSlip, slip_id)
    if slip is None or not can_see_preprinted(actor, slip):
        raise NotFoundError(_("No such pre-printed slip."))
    return slip


def can_see_preprinted(actor: User | SystemActor | None, slip: PreprintedSlip) -> bool:
    """Everyone signed in, but a technician only their own place's."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    return actor.location_id == slip.location_id if actor.role is Role.TECHNICIAN else True


def void_slips(
    *,
    actor: User | SystemActor | None,
    slip_ids: Sequence[int],
    note: str,
) -> list[PreprintedSlip]:
    """Void unused pre-printed numbers (reserved → voided, once each), with the reason why.

    Raises DomainError when nothing is chosen or the reason is missing, NotFoundError for a
    slip the actor may not see, PermissionDeniedError elsewhere, ConflictError when a number
    was keyed or voided meanwhile (nothing is voided then).
    """
    begin_write()
    note = (note or "").strip()
    if not slip_ids:
        raise DomainError(_("Choose the numbers to void."), field="slip_ids")
    if not note:
        raise DomainError(_("Say why these numbers are not used."), field="note")
    if len(note) > 500:
        raise DomainError(_("At most %(n)d characters.", n=500), field="note")
    slips = [visible_preprinted(actor, slip_id) for slip_id in sorted(set(slip_ids))]
    for slip in slips:
        require_distributor(actor, slip.location_id)
        transition(
            PreprintedSlip,
            slip.id,
            frm=PreprintedStatus.RESERVED,
            to=PreprintedStatus.VOIDED,
            closed_at=utcnow(),
            closed_by_id=actor.id,  # type: ignore[union-attr]
            note=note,
        )
    return slips


def take_preprinted(
    actor: User | SystemActor, *, number: str, location_id: int
) -> tuple[Document | None, str | None]:
    """The registry document of a reserved pre-printed slip, marked used: (document, problem).

    Called inside ``record_distribution``'s transaction. The problem (a message for the slip
    number field) says why the number cannot be taken: not a reserved number of this place,
    already keyed, or voided.
    """
    canonical = normalise_number(number)
    slip = (
        db.session.scalar(
            select(PreprintedSlip)
            .join(Document, Document.id == PreprintedSlip.document_id)
            .where(Document.number == canonical)
        )
        if canonical
        else None
    )
    if slip is None or (
        not isinstance(actor, SystemActor) and not may_distribute_at(actor, slip.location_id)
    ):
        return None, _("%(number)s is not a pre-printed slip number.", number=number.strip())
    if slip.location_id != location_id:
        return None, _(
            "Slip %(number)s was printed for %(place)s.",
            number=slip.number,
            place=slip.location.display_name(current_locale()),
        )
    if slip.status is PreprintedStatus.USED:
        return None, _("Slip %(number)s is already keyed.", number=slip.number)
    if slip.status is PreprintedStatus.VOIDED:
        return None, _("Slip %(number)s was voided.", number=slip.number)
    transition(
        PreprintedSlip,
        slip.id,
        frm=PreprintedStatus.RESERVED,
        to=PreprintedStatus.USED,
        closed_at=utcnow(),
        closed_by_id=actor.id,
    )
    return slip.document, None


def print_blank_slips(
    *,
    actor: User | SystemActor | None,
    slip_ids: Sequence[int],
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Blank slips of reserved numbers as one PDF, one per page, each print logged."""
    begin_write()
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    if not slip_ids:
        raise DomainError(_("Choose the numbers to print."), field="slip_ids")
    slips = list(
        db.session.scalars(
            select(PreprintedSlip)
            .where(
                PreprintedSlip.id.in_(sorted(set(slip_ids))),
                PreprintedSlip.status == PreprintedStatus.RESERVED,
            )
            .options(selectinload(PreprintedSlip.location))
            .order_by(PreprintedSlip.id)
        )
    )
    if not slips or any(not can_see_preprinted(actor, slip) for slip in slips):
        raise NotFoundError(_("No such pre-printed slip."))
    pages = [(slip, log_print(slip.document, actor)) for slip in slips]  # type: ignore[arg-type]
    body = slip_documents.blank_slips_pdf(pages, printing=printing, strict=strict)
    return body, f"blank-slips-{slips[0].planned_on.isoformat()}"
