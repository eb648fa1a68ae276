"""Grant list queries."""

from collections.abc import Sequence

from sqlalchemy import Select, func, select

from hilogistics.db import db, matches_text
from hilogistics.stock.models import Grant, Lot


def grants_query(search: str | None = None) -> Select[tuple[Grant]]:
    """Grants, active first, latest start first; optionally matching donor, code or title."""
    stmt = select(Grant).order_by(Grant.is_active.desc(), Grant.starts_on.desc(), Grant.code)
    if search:
        stmt = stmt.where(matches_text((Grant.donor, Grant.code, Grant.title), search))
    return stmt


def lot_counts(grant_ids: Sequence[int]) -> dict[int, int]:
    """How many lots each of these grants paid for, in one grouped query."""
    if not grant_ids:
        return {}
    rows = db.session.execute(
        select(Lot.grant_id, func.count(Lot.id))
        .where(Lot.grant_id.in_(grant_ids))
        .group_by(Lot.grant_id)
    ).all()
    return {grant_id: count for grant_id, count in rows}
