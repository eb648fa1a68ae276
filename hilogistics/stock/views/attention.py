"""Stock needing attention across places: items below minimum, lots expiring or expired.

The home page's panels link here for the whole list. Readers of every place only (technicians
see their own place's list of items below minimum on its stock pages).
"""

from flask import render_template, request
from flask_babel import gettext as _
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.locations.queries import physical_locations_query
from hilogistics.stock.forms_pages import ExpiringFilterForm, PlaceFilterForm
from hilogistics.stock.queries import RowPage
from hilogistics.stock.queries.attention import (
    EXPIRING_DAYS,
    below_minimum_count_query,
    below_minimum_everywhere_query,
    expiring_count_query,
    expiring_lots_query,
)
from hilogistics.stock.views.blueprint import bp
from hilogistics.views_support import page_args

READERS = frozenset({Role.ADMIN, Role.LOGISTICS, Role.VIEWER})


def _place_choices(form: PlaceFilterForm) -> int | None:
    """Fill the place filter with the physical places; the place chosen, if any."""
    locale = current_locale()
    form.location.choices = [SelectChoice("", _("Any place"))] + [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(physical_locations_query(active_only=False))
    ]
    form.validate_or_default()
    return bounded_int(form.location.data) if form.location.data else None


@bp.get("/stock/below-minimum")
@allow(READERS)
def below_minimum_everywhere() -> str:
    """Items under their reorder minimum at every physical place (or one), by place."""
    acting_user()
    form = PlaceFilterForm(request.args)
    location_id = _place_choices(form)
    page_number, per_page = page_args()
    page = RowPage(
        below_minimum_everywhere_query(location_id=location_id, locale=current_locale()),
        page=page_number,
        per_page=per_page,
        count=below_minimum_count_query(location_id=location_id),
    )
    return render_template(
        "stock/below_minimum_everywhere.html", form=form, page=page, today=business_today()
    )


@bp.get("/stock/expiring")
@allow(READERS)
def expiring() -> str:
    """Lots on a shelf that have expired or expire soon, soonest first, at every place or one."""
    acting_user()
    form = ExpiringFilterForm(request.args)
    location_id = _place_choices(form)
    days = form.days.data if form.days.data is not None else EXPIRING_DAYS
    today = business_today()
    page_number, per_page = page_args()
    page = RowPage(
        expiring_lots_query(
            today=today, days=days, location_id=location_id, locale=current_locale()
        ),
        page=page_number,
        per_page=per_page,
        count=expiring_count_query(today=today, days=days, location_id=location_id),
    )
    return render_template("stock/expiring.html", form=form, page=page, today=today, days=days)
