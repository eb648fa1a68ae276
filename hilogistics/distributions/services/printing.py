"""Printing slips: each print is logged in the registry ("COPY n"), the PDF drawn by documents/."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.db import begin_write, db
from hilogistics.distributions.models import Distribution
from hilogistics.distributions.services._common import can_see, visible_distribution
from hilogistics.documents import distributions as slip_documents
from hilogistics.documents.layout import Printing
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.registry.services import log_print

MAX_BATCH = 500


def print_slip(
    *,
    actor: User | SystemActor | None,
    distribution_id: int,
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Log one print of a slip and render it: (PDF bytes, file name). NotFoundError elsewhere."""
    begin_write()
    distribution = visible_distribution(actor, distribution_id)
    copy = log_print(distribution.document, actor)  # type: ignore[arg-type]
    body = slip_documents.slips_pdf([(distribution, copy)], printing=printing, strict=strict)
    return body, distribution.number


def print_day(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    day: date,
    printing: Printing,
    strict: bool = False,
) -> tuple[bytes, str]:
    """Every slip of a place on a day as one PDF, one slip per page, each print logged.

    Raises NotFoundError for a place the actor may not see, DomainError when there is none.
    """
    begin_write()
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    distributions = list(
        db.session.scalars(
            select(Distribution)
            .where(Distribution.location_id == location_id, Distribution.distributed_on == day)
            .options(selectinload(Distribution.all_lines), selectinload(Distribution.location))
            .order_by(Distribution.id)
            .limit(MAX_BATCH + 1)
        )
    )
    if distributions and not can_see(actor, distributions[0]):
        raise NotFoundError(_("No such place."))
    if not distributions:
        raise DomainError(_("No slips were recorded at this place on this day."), field="day")
    if len(distributions) > MAX_BATCH:
        raise DomainError(_("At most %(n)d slips print at once.", n=MAX_BATCH), field="day")
    slips = [(d, log_print(d.document, actor)) for d in distributions]  # type: ignore[arg-type]
    body = slip_documents.slips_pdf(slips, printing=printing, strict=strict)
    return body, f"slips-{day.isoformat()}"
