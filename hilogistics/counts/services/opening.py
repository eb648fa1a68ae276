"""Open a count of a place, whole or by category; abandon one without effect."""

from collections.abc import Sequence
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category
from hilogistics.counts.models import CountStatus, StockCount
from hilogistics.counts.services._common import actor_id, visible_count
from hilogistics.dates import business_date_problem, business_today
from hilogistics.db import begin_write, db, utcnow
from hilogistics.errors import DomainError, PermissionDeniedError
from hilogistics.locations.permissions import require_act_at
from hilogistics.registry.models import DocumentType
from hilogistics.registry.services import register_document
from hilogistics.registry.transitions import transition

MAX_THRESHOLD = 1_000_000


def open_count(
    *,
    actor: User | SystemActor | None,
    location_id: int,
    category_ids: Sequence[int] = (),
    note: str = "",
    recount_quantity: int | None = None,
    recount_percent: int | None = None,
    opened_on: date | None = None,
) -> StockCount:
    """Open a count of a physical place (every category, or those given): a numbered document.

    Nothing is frozen or copied: lines take the balance when they are keyed. The recount
    thresholds default to the configuration (COUNT_RECOUNT_QUANTITY, COUNT_RECOUNT_PERCENT).
    Logistics anywhere, a technician at their own place (NotFoundError elsewhere), viewers
    never (PermissionDeniedError). Raises DomainError for an unknown category or a bad value.
    """
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    begin_write()
    location = require_act_at(actor, location_id)
    if not location.kind.is_physical or not location.is_active:
        raise DomainError(
            _("Choose an active warehouse, centre, school or camp."), field="location_id"
        )
    categories = []
    if category_ids:
        wanted = set(category_ids)
        categories = list(db.session.scalars(select(Category).where(Category.id.in_(wanted))))
        if len(categories) != len(wanted):
            raise DomainError(_("Choose categories from the list."), field="category_ids")
    config = current_app.config
    quantity = config["COUNT_RECOUNT_QUANTITY"] if recount_quantity is None else recount_quantity
    percent = config["COUNT_RECOUNT_PERCENT"] if recount_percent is None else recount_percent
    for name, value in (("recount_quantity", quantity), ("recount_percent", percent)):
        if not isinstance(value, int) or not 0 <= value <= MAX_THRESHOLD:
            raise DomainError(_("Enter a whole number of at least 0."), field=name)
    if len(note) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="note")
    on = opened_on or business_today()
    problem = business_date_problem(on)
    if problem is not None:
        raise DomainError(problem, field="opened_on")
    document = register_document(type=DocumentType.COUNT, actor=actor, on=on)
    count = StockCount(
        document=document,
        location_id=location.id,
        status=CountStatus.OPEN,
        recount_quantity=quantity,
        recount_percent=percent,
        note=note.strip(),
        opened_on=on,
        opened_by_id=actor_id(actor),
        categories=categories,
    )
    db.session.add(count)
    db.session.flush()
    return count


def abandon_count(*, actor: User | SystemActor | None, count_id: int, reason: str) -> StockCount:
    """Abandon an open count: its lines stay for the record, nothing is posted.

    Who may key the count may abandon it. Raises ConflictError when it was posted or
    abandoned meanwhile, DomainError without a reason.
    """
    begin_write()
    count = visible_count(actor, count_id)
    require_act_at(actor, count.location_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the count is abandoned."), field="reason")
    if len(reason) > 2000:
        raise DomainError(_("At most %(n)d characters.", n=2000), field="reason")
    transition(
        StockCount,
        count.id,
        frm=CountStatus.OPEN,
        to=CountStatus.ABANDONED,
        abandoned_at=utcnow(),
        abandoned_by_id=actor_id(actor),  # type: ignore[arg-type]
        reason=reason,
    )
    return count
