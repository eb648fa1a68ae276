"""One-shot status transitions as guarded updates: two people pressing one button change it once.

``transition()`` is ``UPDATE … SET status = :to WHERE id = :id AND status IN (:from)`` with a
row count of one, in the caller's transaction (DESIGN.md section 2b). The database re-checks
the WHERE clause after any lock wait (PostgreSQL, READ COMMITTED) or serialises the writers
(SQLite, BEGIN IMMEDIATE), so the loser sees a count of zero, never a stale success.
"""

import enum
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.util import identity_key

from hilogistics.db import db
from hilogistics.errors import ConflictError


def transition(
    model: type[Any],
    id: int,
    *,
    frm: enum.Enum | Iterable[enum.Enum],
    to: enum.Enum,
    **values: Any,
) -> None:
    """Move row ``id`` of ``model`` from status ``frm`` (one or several) to ``to``, once.

    ``values`` are other columns set in the same statement (``dispatched_at=utcnow()``).
    Raises ConflictError, saying what the status is now, when the row is not in ``frm`` any
    more (someone else moved it meanwhile) or does not exist. Flushes pending changes first.
    """
    expected = [frm] if isinstance(frm, enum.Enum) else list(frm)
    if not expected:
        raise ValueError("transition() needs at least one status to move from")
    db.session.flush()
    result = db.session.execute(
        update(model)
        .where(model.id == id, model.status.in_(expected))
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        _expire_loaded(model, id, ["status", *values])
        return
    current = db.session.scalar(select(model.status).where(model.id == id))
    if current is None:
        raise ConflictError(_("This record no longer exists. Reload the page."))
    if current == to:
        raise ConflictError(
            _("This was already done (by someone else, or by an earlier click). Nothing changed.")
        )
    raise ConflictError(
        _(
            "Its status changed to “%(status)s” meanwhile, so this step no longer applies. "
            "Reload the page and check.",
            status=getattr(current, "value", current),
        )
    )


def _expire_loaded(model: type[Any], id: int, attributes: list[str]) -> None:
    """Make a loaded copy of the row read the new values on next access."""
    loaded = db.session.identity_map.get(identity_key(model, id))
    if loaded is not None:
        db.session.expire(loaded, attributes)
