"""Read-only location queries."""

from sqlalchemy import Select, select

from hilogistics.locations.models import PHYSICAL_KINDS, Location


def physical_locations_query(*, active_only: bool = True) -> Select[tuple[Location]]:
    """Warehouses, centres, schools and camps, ordered by kind then English name."""
    stmt = select(Location).where(Location.kind.in_(PHYSICAL_KINDS))
    if active_only:
        stmt = stmt.where(Location.is_active)
    return stmt.order_by(Location.kind, Location.name)
