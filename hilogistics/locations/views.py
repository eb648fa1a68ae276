"""Location and province administration views."""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.db import db
from hilogistics.history.queries import record_history
from hilogistics.i18n import current_locale
from hilogistics.inputs import page_number
from hilogistics.locations import services
from hilogistics.locations.forms import (
    PHYSICAL_KIND_ORDER,
    LocationFilterForm,
    LocationForm,
    ProvinceForm,
)
from hilogistics.locations.labels import KIND_LABELS, VIRTUAL_PURPOSES
from hilogistics.locations.models import Location, LocationKind, Province
from hilogistics.locations.queries import (
    locations_query,
    provinces_query,
    provinces_with_location_counts,
    supplier_choices_query,
    virtual_locations_query,
)
from hilogistics.views_support import submit

bp = Blueprint("locations", __name__)


def _province_choices(first: str) -> list[SelectChoice]:
    locale = current_locale()
    return [SelectChoice("", first)] + [
        SelectChoice(str(province.id), province.display_name(locale))
        for province in db.session.scalars(provinces_query())
    ]


def _fill_choices(form: LocationForm, location: Location | None) -> None:
    """Provinces, and the active warehouses that may supply this location (itself excluded).

    A supplier deactivated since stays in the list so that the form shows what is recorded.
    """
    locale = current_locale()
    form.province_id.choices = _province_choices(_("— choose a province —"))
    choices = [SelectChoice("", _("— none —"))]
    for warehouse in db.session.scalars(supplier_choices_query(location)):
        label = f"{warehouse.display_name(locale)} ({warehouse.code})"
        if not warehouse.is_active:
            label = _("%(name)s — inactive", name=label)
        choices.append(SelectChoice(str(warehouse.id), label))
    form.supplied_by_id.choices = choices


@bp.get("/locations")
@allow(Role.ADMIN)
def index() -> str:
    """List physical locations with filters and pages; the virtual ones below, read-only."""
    filters = LocationFilterForm(formdata=request.args)
    filters.kind.choices = [SelectChoice("", _("All kinds"))] + [
        SelectChoice(kind.value, KIND_LABELS[kind]) for kind in PHYSICAL_KIND_ORDER
    ]
    filters.province.choices = _province_choices(_("All provinces"))
    filters.validate()
    # A value that does not fit (an old bookmark, a hand-edited address) filters nothing.
    kinds = {kind.value for kind in PHYSICAL_KIND_ORDER}
    kind = filters.kind.data if filters.kind.data in kinds and not filters.kind.errors else None
    province_id = filters.province.data if not filters.province.errors else None
    status = filters.status.data if not filters.status.errors else None
    search = (filters.q.data or "").strip() if not filters.q.errors else ""
    active = {"active": True, "inactive": False}.get(status or "")
    page = db.paginate(
        locations_query(
            kind=LocationKind(kind) if kind else None,
            province_id=province_id,
            active=active,
            search=search,
        ),
        page=page_number(),
        per_page=current_app.config["PER_PAGE"],
        max_per_page=200,
    )
    virtual = db.session.scalars(virtual_locations_query()).all()
    return render_template(
        "locations/index.html",
        page=page,
        filters=filters,
        filtered=bool(kind or province_id or active is not None or search),
        virtual=virtual,
        kind_labels=KIND_LABELS,
        virtual_purposes=VIRTUAL_PURPOSES,
    )


@bp.route("/locations/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new() -> Response | str:
    """Add a warehouse, centre, school or camp."""
    form = LocationForm()
    _fill_choices(form, None)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.save_location(
                actor=acting_user(),
                code=form.code.data,
                kind=LocationKind(form.kind.data),
                name=form.name.data,
                name_ko=form.name_ko.data,
                name_fr=form.name_fr.data,
                province_id=form.province_id.data,
                supplied_by_id=form.supplied_by_id.data,
                is_active=form.is_active.data,
                target_months=form.target_months.data,
            ),
            lambda location: _("Location %(code)s added.", code=location.code),
            url_for("locations.index"),
        )
        if response is not None:
            return response
    return render_template("locations/location_form.html", form=form, location=None)


@bp.route("/locations/<int:location_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit(location_id: int) -> Response | str:
    """Edit a physical location, or deactivate it once it holds no stock and no one works there."""
    location = db.get_or_404(Location, location_id)
    if location.is_virtual:
        abort(404)  # the ledger's ends are not places to edit; they have no edit page
    form = LocationForm(obj=location if request.method == "GET" else None)
    if request.method == "GET":
        form.kind.data = location.kind.value
    _fill_choices(form, location)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.save_location(
                actor=acting_user(),
                location=location,
                code=form.code.data,
                kind=LocationKind(form.kind.data),
                name=form.name.data,
                name_ko=form.name_ko.data,
                name_fr=form.name_fr.data,
                province_id=form.province_id.data,
                supplied_by_id=form.supplied_by_id.data,
                is_active=form.is_active.data,
                target_months=form.target_months.data,
            ),
            lambda saved: _("Location %(code)s saved.", code=saved.code),
            url_for("locations.index"),
        )
        if response is not None:
            return response
    return render_template(
        "locations/location_form.html",
        form=form,
        location=location,
        history=record_history("location", location.id, page=page_number()),
    )


@bp.get("/provinces")
@allow(Role.ADMIN)
def provinces() -> str:
    """List the capital and the provinces, with how many locations each has."""
    return render_template("locations/provinces.html", rows=provinces_with_location_counts())


@bp.route("/provinces/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def province_new() -> Response | str:
    """Add a province."""
    form = ProvinceForm()
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.save_province(
                actor=acting_user(),
                code=form.code.data,
                name=form.name.data,
                name_ko=form.name_ko.data,
                name_fr=form.name_fr.data,
                sort_order=form.sort_order.data,
            ),
            lambda province: _("Province %(code)s added.", code=province.code),
            url_for("locations.provinces"),
        )
        if response is not None:
            return response
    return render_template("locations/province_form.html", form=form, province=None)


@bp.route("/provinces/<int:province_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def province_edit(province_id: int) -> Response | str:
    """Edit a province's code, names and position in lists."""
    province = db.get_or_404(Province, province_id)
    form = ProvinceForm(obj=province if request.method == "GET" else None)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.save_province(
                actor=acting_user(),
                province=province,
                code=form.code.data,
                name=form.name.data,
                name_ko=form.name_ko.data,
                name_fr=form.name_fr.data,
                sort_order=form.sort_order.data,
            ),
            lambda saved: _("Province %(code)s saved.", code=saved.code),
            url_for("locations.provinces"),
        )
        if response is not None:
            return response
    return render_template(
        "locations/province_form.html",
        form=form,
        province=province,
        history=record_history("province", province.id, page=page_number()),
    )
