"""Reads of the change history: a record's own page, the administrators' search, readable rows."""

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_, select

from hilogistics.auth.labels import ROLE_LABELS
from hilogistics.auth.models import User
from hilogistics.catalogue.labels import KIND_LABELS as ITEM_KIND_LABELS
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import db, localised_name
from hilogistics.history.labels import ACTION_LABELS, FIELD_LABELS, RECORD_TYPE_LABELS
from hilogistics.history.models import ChangeRecord
from hilogistics.history.recording import CHANGED
from hilogistics.i18n import current_locale
from hilogistics.locations.labels import KIND_LABELS as LOCATION_KIND_LABELS
from hilogistics.locations.models import Location, Province
from hilogistics.stock.models import Grant

# Fields holding the id of another record, and the record type it names.
REFERENCES = {
    "category_id": "category",
    "parent_id": "category",
    "unit_id": "unit",
    "province_id": "province",
    "supplied_by_id": "location",
    "location_id": "location",
}
# Stored choices (enum values) and how they are named; item and place kinds never share a value.
_CHOICES: dict[str, dict[str, Any]] = {
    "role": {role.value: label for role, label in ROLE_LABELS.items()},
    "kind": {kind.value: label for kind, label in ITEM_KIND_LABELS.items()}
    | {kind.value: label for kind, label in LOCATION_KIND_LABELS.items()},
}
_NAME_COLUMNS: dict[str, tuple[Any, Any]] = {
    "item": (Item.id, Item.code),
    "category": (Category.id, Category.code),
    "unit": (Unit.id, Unit.code),
    "location": (Location.id, Location.name),
    "province": (Province.id, Province.name),
    "grant": (Grant.id, Grant.code),
    "account": (User.id, User.username),
}
# Records named in the reader's language rather than by one column.
_LOCALISED_NAMES: dict[str, Any] = {"location": Location, "province": Province}


def _newest_first(statement: Select) -> Select:
    return statement.order_by(ChangeRecord.changed_at.desc(), ChangeRecord.id.desc())


def record_history_query(record_type: str, record_id: int) -> Select:
    """The changes of one record, newest first; an item's and a place's include reorder levels."""
    statement = select(ChangeRecord)
    if record_type == "item":
        condition = and_(
            ChangeRecord.record_type.in_(("item", "reorder_level")),
            ChangeRecord.record_id == record_id,
        )
    elif record_type == "location":
        condition = or_(
            and_(ChangeRecord.record_type == "location", ChangeRecord.record_id == record_id),
            ChangeRecord.location_id == record_id,
        )
    else:
        condition = and_(
            ChangeRecord.record_type == record_type, ChangeRecord.record_id == record_id
        )
    return _newest_first(statement.where(condition))


@dataclass(frozen=True)
class HistoryFilters:
    """What the administrators' search asks for; None means any."""

    record_type: str | None = None
    record_id: int | None = None
    actor_id: int | None = None
    system_only: bool = False
    changed_from: date | None = None
    changed_to: date | None = None


def search_query(filters: HistoryFilters) -> Select:
    """Changes matching ``filters``, newest first; dates are whole UTC days, both included."""
    statement = select(ChangeRecord)
    if filters.record_type is not None:
        statement = statement.where(ChangeRecord.record_type == filters.record_type)
        if filters.record_id is not None:
            statement = statement.where(ChangeRecord.record_id == filters.record_id)
    if filters.system_only:
        statement = statement.where(ChangeRecord.actor_id.is_(None))
    elif filters.actor_id is not None:
        statement = statement.where(ChangeRecord.actor_id == filters.actor_id)
    if filters.changed_from is not None:
        start = datetime.combine(filters.changed_from, time.min, tzinfo=UTC)
        statement = statement.where(ChangeRecord.changed_at >= start)
    if filters.changed_to is not None:
        end = datetime.combine(filters.changed_to + timedelta(days=1), time.min, tzinfo=UTC)
        statement = statement.where(ChangeRecord.changed_at < end)
    return _newest_first(statement)


@dataclass(frozen=True)
class FieldChange:
    """One field of a change, its values as readers see them."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    """One change, ready to show or export."""

    changed_at: datetime
    actor: str
    action: str
    record_type: str
    record_type_label: str
    record_id: int
    record: str
    fields: list[FieldChange]


def _names(wanted: dict[str, set[int]]) -> dict[str, dict[int, str]]:
    """Names of the records named, one query per record type."""
    found: dict[str, dict[int, str]] = {}
    for record_type, ids in wanted.items():
        if not ids or record_type not in _NAME_COLUMNS:
            continue
        id_column, name_column = _NAME_COLUMNS[record_type]
        if record_type in _LOCALISED_NAMES:
            name_column = localised_name(_LOCALISED_NAMES[record_type], current_locale())
        rows = db.session.execute(select(id_column, name_column).where(id_column.in_(ids)))
        found[record_type] = {row[0]: row[1] for row in rows}
    return found


def _text(field: str, value: Any, names: dict[str, dict[int, str]]) -> str:
    """A stored value as a reader understands it: a name for an id, a label for a choice."""
    if value is None:
        return "—"
    if field == "password":
        return _("changed") if value == CHANGED else "—"
    if field in REFERENCES:
        name = names.get(REFERENCES[field], {}).get(value)
        return name if name is not None else f"#{value}"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field in _CHOICES and value in _CHOICES[field]:
        return str(_CHOICES[field][value])
    return str(value)


def describe(records: Sequence[ChangeRecord]) -> list[Entry]:
    """The records as readable entries: names for ids, labels for fields and choices."""
    parsed = [json.loads(record.changes) for record in records]
    wanted: dict[str, set[int]] = defaultdict(set)
    for record, changes in zip(records, parsed, strict=True):
        if record.actor_id is not None:
            wanted["account"].add(record.actor_id)
        owner = "item" if record.record_type == "reorder_level" else record.record_type
        wanted[owner].add(record.record_id)
        if record.location_id is not None:
            wanted["location"].add(record.location_id)
        for field, values in changes.items():
            if field in REFERENCES:
                wanted[REFERENCES[field]].update(v for v in values if isinstance(v, int))
    names = _names(wanted)
    entries = []
    for record, changes in zip(records, parsed, strict=True):
        owner = "item" if record.record_type == "reorder_level" else record.record_type
        label = names.get(owner, {}).get(record.record_id, f"#{record.record_id}")
        if record.location_id is not None:
            place = names.get("location", {}).get(record.location_id, f"#{record.location_id}")
            label = f"{label} @ {place}"
        actor = (
            _("System")
            if record.actor_id is None
            else names.get("account", {}).get(record.actor_id, f"#{record.actor_id}")
        )
        fields = [
            FieldChange(
                str(FIELD_LABELS.get(field, field)),
                _text(field, values[0], names),
                _text(field, values[1], names),
            )
            for field, values in sorted(changes.items())
        ]
        entries.append(
            Entry(
                changed_at=record.changed_at,
                actor=actor,
                action=str(ACTION_LABELS.get(record.action, record.action)),
                record_type=record.record_type,
                record_type_label=str(RECORD_TYPE_LABELS.get(record.record_type, "")),
                record_id=record.record_id,
                record=label,
                fields=fields,
            )
        )
    return entries


def actor_choices() -> list[tuple[int, str]]:
    """Accounts that may have changed something, for the search form: id and username."""
    return [
        (row.id, row.username)
        for row in db.session.execute(select(User.id, User.username).order_by(User.username))
    ]


@dataclass(frozen=True)
class HistoryPage:
    """One page of a record's history: the pagination and its readable entries."""

    page: Any
    entries: list[Entry]


# A record's page shows its history in short pages below the form.
RECORD_PAGE_SIZE = 20


def record_history(record_type: str, record_id: int, *, page: int = 1) -> HistoryPage:
    """A page of one record's changes (an item's and a place's with their reorder levels)."""
    pagination = db.paginate(
        record_history_query(record_type, record_id),
        page=page,
        per_page=RECORD_PAGE_SIZE,
        error_out=False,
        count=True,
    )
    return HistoryPage(pagination, describe(pagination.items))
