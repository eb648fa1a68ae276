"""Read-only location queries, and which locations a user may see."""

from typing import NamedTuple

from sqlalchemy import Row, Select, bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from hilogistics import readcache
from hilogistics.auth.models import Role, User
from hilogistics.db import db, matches_text
from hilogistics.errors import NotFoundError
from hilogistics.locations.models import (
    PHYSICAL_KINDS,
    VIRTUAL_KINDS,
    Location,
    LocationKind,
    Province,
)


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


class PlaceHeading(NamedTuple):
    """What a page's heading shows of a place, read as plain columns (no ORM object)."""

    id: int
    code: str
    kind: LocationKind
    name: str
    name_ko: str
    name_fr: str | None
    province_name: str | None
    province_name_ko: str | None
    province_name_fr: str | None


# One statement built once: a busy page reads its place on every request, and loading an ORM
# Location (identity map, joined province) cost twice the plain read.
_PLACE_HEADING = (
    select(
        Location.id,
        Location.code,
        Location.kind,
        Location.name,
        Location.name_ko,
        Location.name_fr,
        Province.name,
        Province.name_ko,
        Province.name_fr,
    )
    .outerjoin(Province, Province.id == Location.province_id)
    .where(Location.id == bindparam("location_id"))
)


def visible_place_heading(user: User, location_id: int) -> PlaceHeading:
    """The place's heading, or NotFoundError when it does not exist or ``user`` may not see it.

    The same answer as ``visible_location`` for the same place and user. Names and kind are
    reference data, kept between requests like a filter's choices (``readcache``: a change
    made in another worker shows at most its TTL late); who may see the place is decided on
    every request.
    """
    heading = readcache.kept(("place heading", location_id), lambda: _place_heading(location_id))
    if heading is None or (user.role is Role.TECHNICIAN and heading.id != user.location_id):
        raise NotFoundError("no such location")
    return heading


def _place_heading(location_id: int) -> PlaceHeading | None:
    row = db.session.connection().execute(_PLACE_HEADING, {"location_id": location_id}).first()
    return None if row is None else PlaceHeading(*row)


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
        stmt = stmt.where(
            matches_text((Location.code, Location.name, Location.name_ko, Location.name_fr), search)
        )
    return stmt


def provinces_query() -> Select[tuple[Province]]:
    """Provinces in list order."""
    return select(Province).order_by(Province.sort_order, Province.name)


def virtual_locations_query() -> Select[tuple[Location]]:
    """The ledger's virtual ends (supplier, transit, recipients, loss, count), as created."""
    return select(Location).where(Location.kind.in_(VIRTUAL_KINDS)).order_by(Location.id)


def supplier_choices_query(location: Location | None) -> Select[tuple[Location]]:
    """Active warehouses that may supply ``location`` (not itself), by code.

    The supplier it has now stays in the list even when deactivated since, so a form shows it.
    """
    stmt = select(Location).where(Location.kind == LocationKind.WAREHOUSE)
    if location is not None:
        stmt = stmt.where(
            Location.id != location.id,
            or_(Location.is_active, Location.id == location.supplied_by_id),
        )
    else:
        stmt = stmt.where(Location.is_active)
    return stmt.order_by(Location.code)


def provinces_with_location_counts() -> list[Row[tuple[Province, int]]]:
    """Every province in list order, each with how many locations it has (one query)."""
    counts = (
        select(Location.province_id, func.count(Location.id).label("locations"))
        .group_by(Location.province_id)
        .subquery()
    )
    return list(
        db.session.execute(
            select(Province, func.coalesce(counts.c.locations, 0))
            .outerjoin(counts, counts.c.province_id == Province.id)
            .order_by(Province.sort_order, Province.name)
        ).all()
    )


def warehouses_query() -> Select[tuple[Location]]:
    """Active warehouses, by English name."""
    return physical_locations_query().where(Location.kind == LocationKind.WAREHOUSE)


def find_visible_location(user: User, location_id: int | None) -> Location | None:
    """The active physical location ``user`` may see with this id, or None."""
    if location_id is None:
        return None
    return db.session.scalar(visible_locations_query(user).where(Location.id == location_id))
