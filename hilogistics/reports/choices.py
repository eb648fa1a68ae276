"""Choices shared by the report forms: places the reader may see, categories, grants."""

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice, SelectField

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.locations.queries import visible_locations_query
from hilogistics.stock.models import Grant
from hilogistics.stock.queries import category_names


def fill_places(field: SelectField, user: User, locale: str) -> None:
    """Places ``user`` may see; a technician's own place only, without "all places"."""
    places = [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(visible_locations_query(user, active_only=False))
    ]
    if user.role is Role.TECHNICIAN:
        field.choices = places
        field.default = str(user.location_id)
    else:
        field.choices = [SelectChoice("", _("All places")), *places]


def fill_categories(field: SelectField, locale: str) -> None:
    """Every category, parents before children, after "all categories"."""
    field.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(str(category_id), name) for category_id, name in category_names(locale)
    ]


def fill_grants(field: SelectField) -> None:
    """Every grant by code, after "all grants"."""
    grants = db.session.execute(select(Grant.id, Grant.code, Grant.donor).order_by(Grant.code))
    field.choices = [SelectChoice("", _("All grants"))] + [
        SelectChoice(str(grant_id), f"{code} · {donor}") for grant_id, code, donor in grants
    ]


def chosen_id(field: SelectField) -> int | None:
    """The id chosen in a select of ids, or None for "all"."""
    return int(field.data) if field.data else None
