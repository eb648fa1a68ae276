"""Read-only location queries, and which locations a user may see."""

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from hilogistics.auth.models import Role, User
from hilogistics.db import contains_pattern, db
from hilogistics.errors import NotFoundError
from hilogistics.locations.models import PHYSICAL_KINDS, Location, LocationKind, Province


def physical_locations_query(*, active_only: bool = True) -> Select[tuple[Location]]:
    """Warehouses, centres, schools and camps, ordered by kind then English name."""
    stmt = select(Location).where(Location.kind.in_(PHYSICAL_KINDS))
    if active_only:
        stmt = stmt.where(Location.is_active)
    return stmt.order_by(Location.kind, Location.name)


def visible_locations_query(user: User, *, active_only: bool = True) -> Select[tuple[Location]]:
    """The physical locations whose stock ``user`` may see: a technician only their own."""
    stmt = physical_locations_query(active_only=active_only)
    if user.role is Role.TECHNICIAN:
        stmt = stmt.where(Location.id == user.location_id)
    return stmt


def can_see_location(user: User, location: Location) -> bool:
    """True when ``user`` may see stock and history at ``location``."""
    if user.role is Role.TECHNICIAN:
        return location.id == user.location_id
    return True


def visible_location(user: User, location_id: int) -> Location:
    """The location, or NotFoundError (a 404) when it does not exist or ``user`` may not see it.

    Technicians get the same answer for another centre as for a made-up number.
    """
    location = db.session.get(Location, location_id)
    if location is None or not can_see_location(user, location):
        raise NotFoundError("no such location")
    return location


def locations_query(
    *,
    kind: LocationKind | None = None,
    province_id: int | None = None,
    active: bool | None = None,
    search: str | None = None,
) -> Select[tuple[Location]]:
    """Physical locations filtered by kind, province, status and code or name; by code.

    Loads province and supplying warehouse with the rows, so a page of them costs two queries.
    """
    stmt = (
        select(Location)
        .where(Location.kind.in_(PHYSICAL_KINDS))
        .options(selectinload(Location.supplied_by))
        .order_by(Location.code)
    )
    if kind is not None:
        stmt = stmt.where(Location.kind == kind)
    if province_id is not None:
        stmt = stmt.where(Location.province_id == province_id)
    if active is not None:
        stmt = stmt.where(Location.is_active.is_(active))
    if search:
        pattern = contains_pattern(search)
        stmt = stmt.where(
            or_(
                func.lower(Location.code).like(pattern, escape="\\"),
                func.lower(Location.name).like(pattern, escape="\\"),
                func.lower(Location.name_ko).like(pattern, escape="\\"),
            )
        )
    return stmt


def provinces_query() -> Select[tuple[Province]]:
    """Provinces in list order."""
    return select(Province).order_by(Province.sort_order, Province.name)
