"""Record every change of reference data in the same flush that writes it.

Why a ``after_flush`` listener rather than a call in each service: the catalogue import, the
command line, the demo loader and the forms all change these rows, some without going through
one service function; a listener over the models sees every one of them, in the same
transaction (a rollback drops the history with the change). The listener cannot know who
acts, so writing services declare it with :func:`act_as` beside ``begin_write()``; inside a
request an undeclared change raises RuntimeError (a forgotten declaration fails loudly), and
outside one (command line, seeding, tests' factories) it is filed under the system.

Cost: one INSERT (all rows of the flush in one executemany) per flush that changes tracked
rows; nothing for any other flush. Password hashes are never stored: a new hash is recorded
as "changed" without a value.
"""

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from hilogistics.actors import SystemActor
from hilogistics.auth.models import User
from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import db, utcnow
from hilogistics.history.models import ChangeRecord
from hilogistics.locations.models import Location, Province
from hilogistics.stock.models import Grant, ReorderLevel

_ACTOR = "hilogistics.history.actor"
CHANGED = "changed"  # the value recorded for a secret (a password hash): never its content


@dataclass(frozen=True)
class Tracked:
    """How one model is filed: its record type, the fields kept, and the secret fields."""

    record_type: str
    fields: tuple[str, ...]
    secrets: frozenset[str] = frozenset()


_NAMES = ("code", "name", "name_ko", "name_fr")
TRACKED: dict[type, Tracked] = {
    Item: Tracked(
        "item",
        (
            *_NAMES,
            "category_id",
            "unit_id",
            "pack_size",
            "kind",
            "tracks_expiry",
            "tracks_serial",
            "family",
            "is_active",
        ),
    ),
    Category: Tracked("category", (*_NAMES, "parent_id", "sort_order")),
    Unit: Tracked("unit", _NAMES),
    Location: Tracked(
        "location",
        (
            "code",
            "kind",
            "name",
            "name_ko",
            "name_fr",
            "is_active",
            "province_id",
            "supplied_by_id",
            "target_months",
        ),
    ),
    Province: Tracked("province", (*_NAMES, "sort_order")),
    Grant: Tracked("grant", ("code", "donor", "title", "starts_on", "ends_on", "is_active")),
    ReorderLevel: Tracked("reorder_level", ("minimum", "maximum")),
    # Session versions, last sign-in and the chosen language change on every sign-in: noise.
    User: Tracked(
        "account",
        ("username", "display_name", "role", "location_id", "is_active", "password_hash"),
        secrets=frozenset({"password_hash"}),
    ),
}
RECORD_TYPES = tuple(tracked.record_type for tracked in TRACKED.values())


def act_as(actor: User | SystemActor | None) -> None:
    """Declare who makes the changes the session flushes from now on (services call it).

    None (a forgotten actor, which the service's permission check refuses) declares nobody.
    """
    if actor is None:
        db.session.info.pop(_ACTOR, None)
    else:
        db.session.info[_ACTOR] = actor.id if isinstance(actor, User) else None


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: enums by value, dates as ISO text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _field_name(tracked: Tracked, key: str) -> str:
    return "password" if key == "password_hash" else key


def _created(obj: object, tracked: Tracked) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes = {}
    for key in tracked.fields:
        value = state.dict.get(key)
        if key in tracked.secrets:
            changes[_field_name(tracked, key)] = [None, CHANGED]
        elif value is not None:
            changes[key] = [None, _plain(value)]
    return changes


def _deleted(obj: object, tracked: Tracked) -> dict[str, list[Any]]:
    state = inspect(obj)
    return {
        key: [_plain(state.dict.get(key)), None]
        for key in tracked.fields
        if key not in tracked.secrets and state.dict.get(key) is not None
    }


def _updated(obj: object, tracked: Tracked) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes = {}
    for key in tracked.fields:
        history = state.attrs[key].history
        if not history.added:
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0]
        if _plain(old) == _plain(new):
            continue
        if key in tracked.secrets:
            changes[_field_name(tracked, key)] = [CHANGED, CHANGED]
        else:
            changes[key] = [_plain(old), _plain(new)]
    return changes


def _record_key(obj: object, tracked: Tracked) -> tuple[int, int | None]:
    if isinstance(obj, ReorderLevel):
        return obj.item_id, obj.location_id
    return obj.id, None  # type: ignore[attr-defined]


def _rows(session: Session) -> list[dict[str, Any]]:
    """What the flush changed in tracked models, as rows of change_records."""
    found: list[tuple[str, object, Tracked]] = []
    for action, objects in (
        ("created", session.new),
        ("changed", session.dirty),
        ("deleted", session.deleted),
    ):
        found.extend((action, obj, TRACKED[type(obj)]) for obj in objects if type(obj) in TRACKED)
    if not found:
        return []
    rows = []
    for action, obj, tracked in found:
        if action == "created":
            changes = _created(obj, tracked)
        elif action == "deleted":
            changes = _deleted(obj, tracked)
        else:
            changes = _updated(obj, tracked)
        if not changes:
            continue
        record_id, location_id = _record_key(obj, tracked)
        rows.append(
            {
                "record_type": tracked.record_type,
                "record_id": record_id,
                "location_id": location_id,
                "action": action,
                "changes": json.dumps(changes, ensure_ascii=False, sort_keys=True),
            }
        )
    return rows


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    rows = _rows(session)
    if not rows:
        return
    if _ACTOR not in session.info:
        if has_request_context():
            raise RuntimeError(
                "a change of reference data without a declared actor: call act_as(actor)"
            )
        actor_id = None  # command line, seeding, factories: the system
    else:
        actor_id = session.info[_ACTOR]
    now = utcnow()
    for row in rows:
        row["actor_id"] = actor_id
        row["changed_at"] = now
    session.connection().execute(insert(ChangeRecord.__table__), rows)


def _no_op(*_args: object) -> None:
    """Set listener whose only job is ``active_history``: the old value is loaded before a set."""


def _tracked_attributes() -> Iterable[Any]:
    for model, tracked in TRACKED.items():
        for key in tracked.fields:
            if key not in tracked.secrets:
                yield getattr(model, key)


def install() -> None:
    """Listen to every session's flushes (once per process, however many apps are made).

    ``active_history`` makes a set on an expired attribute (``begin_write()`` expires what
    was read before it on SQLite) load the old value first, so "from what" is never lost.
    """
    if event.contains(Session, "after_flush", _after_flush):
        return
    for attribute in _tracked_attributes():
        event.listen(attribute, "set", _no_op, active_history=True)
    event.listen(Session, "after_flush", _after_flush)
