"""Test data factories: plain functions that build valid rows with unique defaults."""

import itertools
from functools import cache

from werkzeug.security import generate_password_hash

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.locations.models import Location, LocationKind

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    # Hashing costs ~70 ms; tests that make many users share one hash per password.
    return generate_password_hash(password, method="scrypt")


def make_location(**overrides: object) -> Location:
    """A physical centre unless told otherwise."""
    n = next(_sequence)
    values: dict[str, object] = {
        "code": f"LOC-{n}",
        "kind": LocationKind.CENTRE,
        "name": f"Test centre {n}",
        "name_ko": f"시험쎈터 {n}",
        "is_active": True,
    }
    values.update(overrides)
    location = Location(**values)
    db.session.add(location)
    db.session.flush()
    return location


def make_user(role: Role = Role.LOGISTICS, password: str = PASSWORD, **overrides: object) -> User:
    """An active user of ``role``; a technician gets a new centre when none is given."""
    n = next(_sequence)
    values: dict[str, object] = {
        "username": f"{role.value}{n}",
        "display_name": f"Test {role.value} {n}",
        "role": role,
        "is_active": True,
        "session_version": 1,
        "password_hash": _password_hash(password),
    }
    if role is Role.TECHNICIAN and "location" not in overrides and "location_id" not in overrides:
        values["location"] = make_location()
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user
