"""Who may act at a place: the location-scoped check every writing service makes.

Pages and services answer alike: a technician acts only at their own place and meets "not
found" anywhere else (as pages give 404 there, not to confirm that a place exists); logistics
staff and administrators act everywhere; viewers nowhere (they only read).
"""

from flask_babel import gettext as _

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.errors import NotFoundError, PermissionDeniedError
from hilogistics.locations.models import Location

_EVERYWHERE = frozenset({Role.ADMIN, Role.LOGISTICS})


def can_act_at(actor: User | SystemActor | None, location: Location | int) -> bool:
    """True when ``actor`` may record operations at ``location`` (``SYSTEM``: everywhere).

    ``None`` may act nowhere: a forgotten actor never means every permission.
    """
    if isinstance(actor, SystemActor):
        return True
    if actor is None or not actor.is_active:
        return False
    if actor.role in _EVERYWHERE:
        return True
    if actor.role is Role.TECHNICIAN:
        return _location_id(location) == actor.location_id
    return False


def require_act_at(actor: User | SystemActor | None, location: Location | int) -> Location:
    """The location, when ``actor`` may act there; otherwise raise as a page would answer.

    Raises NotFoundError for a place that does not exist or that a technician is not bound
    to, PermissionDeniedError for a viewer (or any role without operations).
    """
    found = location if isinstance(location, Location) else db.session.get(Location, location)
    if found is None:
        raise NotFoundError(_("No such location."))
    if can_act_at(actor, found):
        return found
    if isinstance(actor, User) and actor.is_active and actor.role is Role.TECHNICIAN:
        raise NotFoundError(_("No such location."))
    raise PermissionDeniedError(_("Your account may not record operations."))


def _location_id(location: Location | int) -> int:
    return location.id if isinstance(location, Location) else int(location)
