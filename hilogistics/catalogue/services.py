"""Catalogue administration: create and edit items, categories and units of issue."""

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from hilogistics.actors import SystemActor
from hilogistics.auth.models import Role, User
from hilogistics.catalogue.models import Category, Item, ItemKind, Unit
from hilogistics.db import begin_write, db
from hilogistics.errors import ConflictError, DomainError, PermissionDeniedError
from hilogistics.history.recording import act_as
from hilogistics.stock.models import Movement

ITEM_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,39}$")
CATEGORY_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
UNIT_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,15}$")
ITEM_NAME_LENGTH = 200
CATEGORY_NAME_LENGTH = 120
UNIT_NAME_LENGTH = 60
FAMILY_LENGTH = 64
MAX_PACK_SIZE = 1_000_000


def require_admin(actor: User | SystemActor | None) -> None:
    """Refuse anyone but an administrator or ``SYSTEM`` (the command line); ``None`` is refused.

    Raises PermissionDeniedError.
    """
    if isinstance(actor, SystemActor):
        return
    if actor is None or actor.role is not Role.ADMIN:
        raise PermissionDeniedError(_("Only an administrator may change the catalogue."))


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _optional(text: str | None) -> str | None:
    return _clean(text) or None


def _check_names(name: str, name_ko: str, name_fr: str | None, limit: int) -> list[DomainError]:
    problems = []
    for field, value, label in (
        ("name", name, _("Enter the English name.")),
        ("name_ko", name_ko, _("Enter the Korean name.")),
    ):
        if not value:
            problems.append(DomainError(label, field=field))
    for field, value in (("name", name), ("name_ko", name_ko), ("name_fr", name_fr)):
        if value and len(value) > limit:
            problems.append(DomainError(_("At most %(n)d characters.", n=limit), field=field))
    return problems


def _code_problems(
    code: str,
    *,
    pattern: re.Pattern[str],
    max_length: int,
    column: InstrumentedAttribute[str],
    normalise: Callable[[Any], Any],
    exclude_id: int | None,
    taken_message: str,
    check_taken: bool = True,
) -> list[DomainError]:
    """Problems with a catalogue code: missing, malformed, or used by another row."""
    if not code:
        return [DomainError(_("Enter a code."), field="code")]
    if not pattern.match(code):
        return [
            DomainError(
                _(
                    "Use at most %(n)d letters, digits, dashes, underscores or dots, "
                    "starting with a letter or digit.",
                    n=max_length,
                ),
                field="code",
            )
        ]
    if check_taken:
        model = column.class_
        other = select(model.id).where(normalise(column) == code)
        if exclude_id is not None:
            other = other.where(model.id != exclude_id)
        if db.session.scalar(other.limit(1)) is not None:
            return [ConflictError(taken_message, field="code")]
    return []


def _raise_first(problems: list[DomainError]) -> None:
    if problems:
        raise problems[0]


def _flush_or_conflict(message: str, field: str) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # a concurrent request took the code first
        raise ConflictError(message, field=field) from error


# Items ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemValues:
    """Every editable attribute of an item, normalised (code upper-case, names stripped)."""

    code: str
    name: str
    name_ko: str
    name_fr: str | None
    category_id: int | None
    unit_id: int | None
    pack_size: int | None
    kind: ItemKind
    tracks_expiry: bool
    tracks_serial: bool
    family: str | None
    is_active: bool

    @classmethod
    def normalised(
        cls,
        *,
        code: str,
        name: str,
        name_ko: str,
        name_fr: str | None = None,
        category_id: int | None,
        unit_id: int | None,
        pack_size: int | None = 1,
        kind: ItemKind | str = ItemKind.CONSUMABLE,
        tracks_expiry: bool = False,
        tracks_serial: bool = False,
        family: str | None = None,
        is_active: bool = True,
    ) -> "ItemValues":
        """Strip text, upper-case the code, turn blank optional text into None."""
        return cls(
            code=_clean(code).upper(),
            name=_clean(name),
            name_ko=_clean(name_ko),
            name_fr=_optional(name_fr),
            category_id=category_id,
            unit_id=unit_id,
            pack_size=pack_size,
            kind=ItemKind(kind),
            tracks_expiry=bool(tracks_expiry),
            tracks_serial=bool(tracks_serial),
            family=_optional(family),
            is_active=bool(is_active),
        )

    def differences(self, item: Item) -> list[str]:
        """Names of the attributes whose value differs from ``item``'s."""
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(item, f.name)]


def item_has_movements(item: Item) -> bool:
    """True when the ledger has recorded any movement of ``item``."""
    found = db.session.scalar(select(Movement.id).where(Movement.item_id == item.id).limit(1))
    return found is not None


def item_problems(
    values: ItemValues,
    item: Item | None = None,
    *,
    check_code_taken: bool = True,
    has_movements: Callable[[Item], bool] = item_has_movements,
) -> list[DomainError]:
    """Every business rule ``values`` break, as DomainErrors naming the field (none: valid).

    :param item: the item being edited, or None for a new one.
    :param check_code_taken: look for another item with the same code (the import, which matches
        rows to items by code, has already done so).
    :param has_movements: whether an item has ledger movements (the import passes a cached answer).
    """
    problems = _code_problems(
        values.code,
        pattern=ITEM_CODE_PATTERN,
        max_length=40,
        column=Item.code,
        normalise=func.upper,
        exclude_id=item.id if item is not None else None,
        taken_message=_("Another item already has the code %(code)s.", code=values.code),
        check_taken=check_code_taken,
    )
    problems += _check_names(values.name, values.name_ko, values.name_fr, ITEM_NAME_LENGTH)
    if values.category_id is None or db.session.get(Category, values.category_id) is None:
        problems.append(DomainError(_("Choose a category."), field="category_id"))
    if values.unit_id is None or db.session.get(Unit, values.unit_id) is None:
        problems.append(DomainError(_("Choose a unit of issue."), field="unit_id"))
    if values.pack_size is None or not 1 <= values.pack_size <= MAX_PACK_SIZE:
        problems.append(
            DomainError(
                _(
                    "Enter the number of units in a carton: a whole number from 1 to %(max)d.",
                    max=MAX_PACK_SIZE,
                ),
                field="pack_size",
            )
        )
    if values.tracks_serial and values.kind is not ItemKind.EQUIPMENT:
        problems.append(
            DomainError(
                _(
                    "Only equipment can be tracked by serial number: each serial is one piece "
                    "kept and followed on its own. Choose the kind equipment, or untick serial "
                    "numbers."
                ),
                field="tracks_serial",
            )
        )
    if values.family and len(values.family) > FAMILY_LENGTH:
        problems.append(
            DomainError(_("At most %(n)d characters.", n=FAMILY_LENGTH), field="family")
        )
    if item is not None and item.id is not None:
        problems += _locked_by_movements(values, item, has_movements)
    return problems


def _locked_by_movements(
    values: ItemValues, item: Item, has_movements: Callable[[Item], bool]
) -> list[DomainError]:
    changed = [
        name
        for name in ("unit_id", "tracks_serial", "tracks_expiry")
        if getattr(values, name) != getattr(item, name)
    ]
    if not changed or not has_movements(item):
        return []
    reasons = {
        "unit_id": _(
            "The unit of issue cannot change: stock of this item has already been recorded, and "
            "every quantity on the books would silently mean something else. Create a new item "
            "for the new unit and deactivate this one: its remaining stock can still be written "
            "off, counted or returned to a warehouse, but no longer received or issued."
        ),
        "tracks_serial": _(
            "Serial tracking cannot change: stock of this item has already been recorded with or "
            "without serial numbers, and its lots would no longer match the rule. Create a new "
            "item and deactivate this one: its remaining stock can still be written off, counted "
            "or returned to a warehouse, but no longer received or issued."
        ),
        "tracks_expiry": _(
            "Expiry tracking cannot change: stock of this item has already been recorded with or "
            "without expiry dates, and its lots would no longer match the rule. Create a new item "
            "and deactivate this one: its remaining stock can still be written off, counted or "
            "returned to a warehouse, but no longer received or issued."
        ),
    }
    return [DomainError(reasons[name], field=name) for name in changed]


def apply_item_values(item: Item, values: ItemValues) -> None:
    """Copy ``values`` onto ``item`` (no checks: call item_problems first)."""
    for f in fields(values):
        setattr(item, f.name, getattr(values, f.name))


def create_item(
    *,
    actor: User | SystemActor,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
    category_id: int | None,
    unit_id: int | None,
    pack_size: int | None = 1,
    kind: ItemKind | str = ItemKind.CONSUMABLE,
    tracks_expiry: bool = False,
    tracks_serial: bool = False,
    family: str | None = None,
    is_active: bool = True,
) -> Item:
    """Add an item to the catalogue. No ledger effect.

    Raises PermissionDeniedError for non-admins, ConflictError for a taken code, DomainError for a
    bad code, missing name, unknown category or unit, pack size below 1, or serial tracking on a
    consumable.
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    values = ItemValues.normalised(
        code=code,
        name=name,
        name_ko=name_ko,
        name_fr=name_fr,
        category_id=category_id,
        unit_id=unit_id,
        pack_size=pack_size,
        kind=kind,
        tracks_expiry=tracks_expiry,
        tracks_serial=tracks_serial,
        family=family,
        is_active=is_active,
    )
    _raise_first(item_problems(values))
    item = Item()
    apply_item_values(item, values)
    db.session.add(item)
    _flush_or_conflict(
        _("Another item already has the code %(code)s.", code=values.code), field="code"
    )
    return item


def update_item(
    *,
    actor: User | SystemActor,
    item: Item,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
    category_id: int | None,
    unit_id: int | None,
    pack_size: int | None = 1,
    kind: ItemKind | str = ItemKind.CONSUMABLE,
    tracks_expiry: bool = False,
    tracks_serial: bool = False,
    family: str | None = None,
    is_active: bool = True,
) -> Item:
    """Change an item. No ledger effect; past movements keep pointing at it.

    Raises the same errors as create_item, and DomainError when the unit, serial or expiry
    tracking would change although the item already has stock movements.
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    values = ItemValues.normalised(
        code=code,
        name=name,
        name_ko=name_ko,
        name_fr=name_fr,
        category_id=category_id,
        unit_id=unit_id,
        pack_size=pack_size,
        kind=kind,
        tracks_expiry=tracks_expiry,
        tracks_serial=tracks_serial,
        family=family,
        is_active=is_active,
    )
    _raise_first(item_problems(values, item))
    apply_item_values(item, values)
    _flush_or_conflict(
        _("Another item already has the code %(code)s.", code=values.code), field="code"
    )
    return item


# Categories -------------------------------------------------------------------------------------


def _category_problems(
    *,
    category: Category | None,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None,
    parent_id: int | None,
) -> list[DomainError]:
    problems = _code_problems(
        code,
        pattern=CATEGORY_CODE_PATTERN,
        max_length=32,
        column=Category.code,
        normalise=func.upper,
        exclude_id=category.id if category is not None else None,
        taken_message=_("Another category already has the code %(code)s.", code=code),
    )
    problems += _check_names(name, name_ko, name_fr, CATEGORY_NAME_LENGTH)
    if parent_id is not None:
        problems += _parent_problems(category, parent_id)
    return problems


def _parent_problems(category: Category | None, parent_id: int) -> list[DomainError]:
    # The tree has at most two levels: reports and filters group by top-level category.
    parent = db.session.get(Category, parent_id)
    if parent is None:
        return [DomainError(_("Choose a parent category."), field="parent_id")]
    if category is not None and parent.id == category.id:
        return [DomainError(_("A category cannot be its own parent."), field="parent_id")]
    if parent.parent_id is not None:
        return [
            DomainError(
                _(
                    "Only a top-level category can be a parent: categories have at most two "
                    "levels. Choose %(name)s instead.",
                    name=parent.parent.name if parent.parent else "",
                ),
                field="parent_id",
            )
        ]
    if category is not None and category.id is not None:
        has_children = db.session.scalar(
            select(Category.id).where(Category.parent_id == category.id).limit(1)
        )
        if has_children is not None:
            return [
                DomainError(
                    _(
                        "This category has sub-categories, so it must stay at the top level: "
                        "categories have at most two levels. Move its sub-categories first."
                    ),
                    field="parent_id",
                )
            ]
    return []


def create_category(
    *,
    actor: User | SystemActor,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
    parent_id: int | None = None,
    sort_order: int = 0,
) -> Category:
    """Add a category, top-level or under a top-level one.

    Raises PermissionDeniedError, ConflictError for a taken code, DomainError for a bad code,
    missing names, or a parent that is itself a sub-category.
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    code = _clean(code).upper()
    name, name_ko, name_fr = _clean(name), _clean(name_ko), _optional(name_fr)
    _raise_first(
        _category_problems(
            category=None,
            code=code,
            name=name,
            name_ko=name_ko,
            name_fr=name_fr,
            parent_id=parent_id,
        )
    )
    category = Category(
        code=code,
        name=name,
        name_ko=name_ko,
        name_fr=name_fr,
        parent_id=parent_id,
        sort_order=sort_order or 0,
    )
    db.session.add(category)
    _flush_or_conflict(_("Another category already has the code %(code)s.", code=code), "code")
    return category


def update_category(
    *,
    actor: User | SystemActor,
    category: Category,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
    parent_id: int | None = None,
    sort_order: int = 0,
) -> Category:
    """Change a category; its items follow it.

    Raises the same errors as create_category, and DomainError when a category that has
    sub-categories would get a parent (three levels).
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    code = _clean(code).upper()
    name, name_ko, name_fr = _clean(name), _clean(name_ko), _optional(name_fr)
    _raise_first(
        _category_problems(
            category=category,
            code=code,
            name=name,
            name_ko=name_ko,
            name_fr=name_fr,
            parent_id=parent_id,
        )
    )
    category.code = code
    category.name = name
    category.name_ko = name_ko
    category.name_fr = name_fr
    category.parent = db.session.get(Category, parent_id) if parent_id is not None else None
    category.sort_order = sort_order or 0
    _flush_or_conflict(_("Another category already has the code %(code)s.", code=code), "code")
    return category


# Units of issue ---------------------------------------------------------------------------------


def _unit_problems(
    *, unit: Unit | None, code: str, name: str, name_ko: str, name_fr: str | None
) -> list[DomainError]:
    problems = _code_problems(
        code,
        pattern=UNIT_CODE_PATTERN,
        max_length=16,
        column=Unit.code,
        normalise=func.lower,
        exclude_id=unit.id if unit is not None else None,
        taken_message=_("Another unit already has the code %(code)s.", code=code),
    )
    problems += _check_names(name, name_ko, name_fr, UNIT_NAME_LENGTH)
    return problems


def create_unit(
    *, actor: User | SystemActor, code: str, name: str, name_ko: str, name_fr: str | None = None
) -> Unit:
    """Add a unit of issue; its code is stored in lower case (piece, pair, kg).

    Raises PermissionDeniedError, ConflictError for a taken code, DomainError for a bad code or
    missing names.
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    code = _clean(code).lower()
    name, name_ko, name_fr = _clean(name), _clean(name_ko), _optional(name_fr)
    _raise_first(_unit_problems(unit=None, code=code, name=name, name_ko=name_ko, name_fr=name_fr))
    unit = Unit(code=code, name=name, name_ko=name_ko, name_fr=name_fr)
    db.session.add(unit)
    _flush_or_conflict(_("Another unit already has the code %(code)s.", code=code), "code")
    return unit


def update_unit(
    *,
    actor: User | SystemActor,
    unit: Unit,
    code: str,
    name: str,
    name_ko: str,
    name_fr: str | None = None,
) -> Unit:
    """Rename a unit of issue or change its code; items counted in it are unaffected.

    Raises the same errors as create_unit.
    """
    begin_write()
    require_admin(actor)
    act_as(actor)
    code = _clean(code).lower()
    name, name_ko, name_fr = _clean(name), _clean(name_ko), _optional(name_fr)
    _raise_first(_unit_problems(unit=unit, code=code, name=name, name_ko=name_ko, name_fr=name_fr))
    unit.code = code
    unit.name = name
    unit.name_ko = name_ko
    unit.name_fr = name_fr
    _flush_or_conflict(_("Another unit already has the code %(code)s.", code=code), "code")
    return unit
