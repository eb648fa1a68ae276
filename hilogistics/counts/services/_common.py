"""What every count operation shares: visibility, the open-count guard, the recount rule."""

from flask_babel import gettext as _
from sqlalchemy import update

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.counts.models import CountStatus, StockCount
from hilogistics.db import db
from hilogistics.errors import ConflictError, NotFoundError, PermissionDeniedError


def can_see(actor: User | SystemActor | None, count: StockCount) -> bool:
    """Whether ``actor`` may see ``count``: technicians only their own place's."""
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role is Role.TECHNICIAN:
        return actor.location_id == count.location_id
    return True


def visible_count(actor: User | SystemActor | None, count_id: int) -> StockCount:
    """The count when ``actor`` may see it; NotFoundError otherwise (as a 404 page says)."""
    if actor is None:
        raise PermissionDeniedError(_("No one is signed in to record this."))
    count = db.session.get(StockCount, count_id)
    if count is None or not can_see(actor, count):
        raise NotFoundError(_("No such count."))
    return count


def hold_open(count: StockCount) -> None:
    """Lock the count row while it is open, or raise ConflictError when it is not any more.

    A guarded UPDATE (``WHERE status = 'open'``) in the caller's transaction: keying waits for
    a post or abandon that holds the row, then sees it closed, so no line lands after posting.
    """
    db.session.flush()
    result = db.session.execute(
        update(StockCount)
        .where(StockCount.id == count.id, StockCount.status == CountStatus.OPEN)
        .values(status=CountStatus.OPEN)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(count, ["status"])
        raise ConflictError(
            _("This count was posted or abandoned meanwhile: nothing more can be keyed.")
        )


def above_threshold(count: StockCount, *, counted: int, expected: int) -> bool:
    """True when the difference asks for a recount: above the count's units or percentage.

    The percentage is of the system balance; with none (a lot found), the units alone decide.
    """
    difference = abs(counted - expected)
    if difference > count.recount_quantity:
        return True
    return expected > 0 and difference * 100 > count.recount_percent * expected


def actor_id(actor: User | SystemActor) -> int | None:
    """The user's id, None for the system."""
    return actor.id
