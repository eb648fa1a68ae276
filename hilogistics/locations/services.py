"""Location and province administration: create, edit, deactivate (administrators only).

Plain functions with keyword arguments and the acting user first (``SYSTEM``: the command line).
They check the rules, flush, and never commit.
"""

import re

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.db import begin_write, db
from hilogistics.errors import ConflictError, DomainError, PermissionDeniedError
from hilogistics.history.recording import act_as
from hilogistics.locations.models import (
    DEFAULT_TARGET_MONTHS,
    MAX_TARGET_MONTHS,
    PHYSICAL_KINDS,
    Location,
    LocationKind,
    Province,
)
from hilogistics.stock.models import Balance

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/-]*$")
# How many names a refusal lists before it says "and N more".
_NAMES_SHOWN = 5


def _require_admin(actor: User | SystemActor | None) -> None:
    # SYSTEM (the command line, seeding) may; None is a forgotten actor and is refused.
    if isinstance(actor, SystemActor):
        return
    if actor is None or actor.role is not Role.ADMIN:
        raise PermissionDeniedError(_("Only administrators manage locations and provinces."))


def _clean_code(code: str, *, max_length: int) -> str:
    code = (code or "").strip().upper()
    if not code:
        raise DomainError(_("Enter a code."), field="code")
    if len(code) > max_length:
        raise DomainError(
            _("The code must have at most %(n)d characters.", n=max_length), field="code"
        )
    if not CODE_PATTERN.match(code):
        raise DomainError(
            _("Use only letters, digits, dots, dashes, slashes or underscores in the code."),
            field="code",
        )
    return code


def _clean_name(value: str, *, field: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        korean = field == "name_ko"
        message = _("Enter the name in Korean.") if korean else _("Enter the name in English.")
        raise DomainError(message, field=field)
    if len(value) > max_length:
        raise DomainError(
            _("The name must have at most %(n)d characters.", n=max_length), field=field
        )
    return value


def _clean_french_name(value: str | None, *, max_length: int) -> str | None:
    """The French name, optional: blank is none (the English name is shown instead)."""
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(
            _("The name in French must have at most %(n)d characters.", n=max_length),
            field="name_fr",
        )
    return value or None


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    if len(names) > _NAMES_SHOWN:
        return _("%(names)s and %(n)d more", names=shown, n=len(names) - _NAMES_SHOWN)
    return shown


def _flush_unique(message: str) -> None:
    """Flush; a concurrent insert of the same code (past the check above) is a ConflictError.

    The caller rolls back on any DomainError, as after every refused operation.
    """
    try:
        db.session.flush()
    except IntegrityError as error:
        raise ConflictError(message, field="code") from error


def _name(place: Location) -> str:
    # Messages are in the reader's language; so is the place's name.
    return place.display_name(str(get_locale() or "en"))


def save_location(
    *,
    actor: User | SystemActor,
    code: str,
    kind: LocationKind,
    name: str,
    name_ko: str,
    province_id: int | None,
    name_fr: str | None = None,
    supplied_by_id: int | None = None,
    is_active: bool = True,
    location: Location | None = None,
    target_months: int | None = None,
) -> Location:
    """Create a warehouse, centre, school or camp, or update ``location``; no stock moves.

    ``name_fr`` is optional (blank: none). Raises PermissionDeniedError for non-administrators;
    DomainError when the location is virtual, the code is taken (ConflictError) or malformed,
    a name is too long, the English or Korean name or the province is missing,
    the supplier is not another active warehouse, or the location is being deactivated while
    it still holds stock, has active technicians, or supplies active locations.
    """
    begin_write()
    _require_admin(actor)
    act_as(actor)
    if location is not None and location.is_virtual:
        raise DomainError(_("Virtual locations are part of the ledger and cannot be changed."))
    if kind not in PHYSICAL_KINDS:
        raise DomainError(
            _("Choose a warehouse, centre, school or camp: virtual locations cannot be added."),
            field="kind",
        )
    kind = LocationKind(kind)
    code = _clean_code(code, max_length=32)
    name = _clean_name(name, field="name", max_length=200)
    name_ko = _clean_name(name_ko, field="name_ko", max_length=200)
    name_fr = _clean_french_name(name_fr, max_length=200)
    taken = _("The code %(code)s is already used by another location.", code=code)
    clash = db.session.scalar(select(Location).where(Location.code == code))
    if clash is not None and clash is not location:
        raise ConflictError(taken, field="code")
    province = db.session.get(Province, province_id) if province_id is not None else None
    if province is None:
        raise DomainError(_("Choose a province from the list."), field="province_id")
    supplier = _check_supplier(location, supplied_by_id, is_active=is_active)
    if target_months is not None and (
        not isinstance(target_months, int)
        or isinstance(target_months, bool)
        or not 1 <= target_months <= MAX_TARGET_MONTHS
    ):
        raise DomainError(
            _("A whole number from 1 to %(n)d.", n=MAX_TARGET_MONTHS), field="target_months"
        )
    if location is not None:
        if kind is not LocationKind.WAREHOUSE:
            _check_not_supplying(location, field="kind")
        if location.is_active and not is_active:
            _check_can_deactivate(location)
    if location is None:
        location = Location()
        db.session.add(location)
    location.code, location.kind, location.name, location.name_ko = code, kind, name, name_ko
    location.name_fr = name_fr
    location.province, location.supplied_by, location.is_active = province, supplier, is_active
    if target_months is not None:
        location.target_months = target_months
    elif location.target_months is None:
        location.target_months = DEFAULT_TARGET_MONTHS
    _flush_unique(taken)
    return location


def _check_supplier(
    location: Location | None, supplied_by_id: int | None, *, is_active: bool
) -> Location | None:
    """The supplying warehouse: another warehouse, and an active one for an active location.

    An inactive location may keep the link to a warehouse deactivated since.
    """
    if supplied_by_id is None:
        return None
    supplier = db.session.get(Location, supplied_by_id)
    kept = location is not None and location.supplied_by_id == supplied_by_id and not is_active
    if (
        supplier is None
        or supplier.kind is not LocationKind.WAREHOUSE
        or not (supplier.is_active or kept)
    ):
        raise DomainError(_("Choose an active warehouse."), field="supplied_by_id")
    if location is not None:
        # Walk up the chain: a location may not end up supplying itself, directly or not.
        seen: set[int] = set()
        step: Location | None = supplier
        while step is not None and step.id not in seen:
            if step.id == location.id:
                raise DomainError(
                    _("A location cannot be supplied by itself, directly or through others."),
                    field="supplied_by_id",
                )
            seen.add(step.id)
            step = step.supplied_by
    return supplier


def _supplied_names(location: Location) -> list[str]:
    """Names of the active locations that ``location`` supplies."""
    supplied = db.session.scalars(
        select(Location)
        .where(Location.supplied_by_id == location.id, Location.is_active)
        .order_by(Location.code)
    ).all()
    return [_name(place) for place in supplied]


def _check_not_supplying(location: Location, *, field: str) -> None:
    supplied = _supplied_names(location)
    if supplied:
        raise DomainError(
            ngettext(
                "%(place)s supplies %(num)d active location (%(names)s), so it must stay a "
                "warehouse. Choose another supplier for it first.",
                "%(place)s supplies %(num)d active locations (%(names)s), so it must stay a "
                "warehouse. Choose another supplier for them first.",
                len(supplied),
                place=_name(location),
                names=_listed(supplied),
            ),
            field=field,
        )


def _check_can_deactivate(location: Location) -> None:
    on_hand = db.session.scalar(
        select(func.coalesce(func.sum(Balance.quantity), 0)).where(
            Balance.location_id == location.id, Balance.quantity > 0
        )
    )
    if on_hand:
        raise DomainError(
            ngettext(
                "%(place)s still holds %(num)d unit of stock. Move or adjust it to zero "
                "before deactivating the location.",
                "%(place)s still holds %(num)d units of stock. Move or adjust them to zero "
                "before deactivating the location.",
                on_hand,
                place=_name(location),
            ),
            field="is_active",
        )
    technicians = db.session.scalars(
        select(User)
        .where(User.location_id == location.id, User.role == Role.TECHNICIAN, User.is_active)
        .order_by(User.display_name)
    ).all()
    if technicians:
        raise DomainError(
            ngettext(
                "%(num)d active technician belongs to %(place)s: %(names)s. Move the account "
                "to another location or deactivate it first.",
                "%(num)d active technicians belong to %(place)s: %(names)s. Move the accounts "
                "to other locations or deactivate them first.",
                len(technicians),
                place=_name(location),
                names=_listed([f"{t.display_name} ({t.username})" for t in technicians]),
            ),
            field="is_active",
        )
    supplied = _supplied_names(location)
    if supplied:
        raise DomainError(
            ngettext(
                "%(place)s supplies %(num)d active location (%(names)s). Choose another "
                "supplier for it before deactivating this warehouse.",
                "%(place)s supplies %(num)d active locations (%(names)s). Choose another "
                "supplier for them before deactivating this warehouse.",
                len(supplied),
                place=_name(location),
                names=_listed(supplied),
            ),
            field="is_active",
        )


def save_province(
    *,
    actor: User | SystemActor,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
    sort_order: int = 0,
    province: Province | None = None,
) -> Province:
    """Create a province (or the capital), or update ``province``.

    ``name_fr`` is optional (blank: none). Raises PermissionDeniedError for non-administrators;
    DomainError on a missing English or Korean name, a name too long or a malformed code,
    ConflictError when the code is taken.
    """
    begin_write()
    _require_admin(actor)
    act_as(actor)
    code = _clean_code(code, max_length=16)
    name = _clean_name(name, field="name", max_length=120)
    name_ko = _clean_name(name_ko, field="name_ko", max_length=120)
    name_fr = _clean_french_name(name_fr, max_length=120)
    if sort_order < 0:
        raise DomainError(_("The position cannot be negative."), field="sort_order")
    taken = _("The code %(code)s is already used by another province.", code=code)
    clash = db.session.scalar(select(Province).where(Province.code == code))
    if clash is not None and clash is not province:
        raise ConflictError(taken, field="code")
    if province is None:
        province = Province()
        db.session.add(province)
    province.code, province.name, province.name_ko, province.name_fr = code, name, name_ko, name_fr
    province.sort_order = sort_order
    _flush_unique(taken)
    return province
