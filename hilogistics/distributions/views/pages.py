"""Distribution pages: the list, one slip (lines, transactions, prints), slips not returned.

The slip page is the registered page of ``DIS`` documents, so ``/d/DIS-2026-00042`` (a scanned
QR code, the header's search box) opens it; technicians see only their own place's.
"""

from datetime import timedelta

from flask import render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.auth.models import Role, User
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions import queries
from hilogistics.distributions.forms import (
    DistributionFilterForm,
    PrintDayForm,
    PrintForm,
    ReturnedForm,
    UnreturnedFilterForm,
    enum_or_none,
)
from hilogistics.distributions.labels import (
    ACTION_LABELS,
    HEADCOUNT_LABELS,
    RECIPIENT_LABELS,
    SERVICE_LABELS,
    SIDE_LABELS,
    STATUS_LABELS,
)
from hilogistics.distributions.models import (
    HEADCOUNT_FIELDS,
    Distribution,
    DistributionStatus,
    RecipientType,
)
from hilogistics.distributions.services import can_see, can_see_preprinted, may_distribute_at
from hilogistics.distributions.views.blueprint import bp
from hilogistics.errors import NotFoundError
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.locations.queries import visible_locations_query
from hilogistics.registry.models import Document, DocumentType
from hilogistics.registry.queries import prints_of, register_page
from hilogistics.stock.labels import TRANSACTION_KIND_LABELS
from hilogistics.stock.queries import RowPage
from hilogistics.stock.views.pages import MAX_ID
from hilogistics.views_support import check_ids, page_args

LABELS = {
    "recipient_labels": RECIPIENT_LABELS,
    "service_labels": SERVICE_LABELS,
    "side_labels": SIDE_LABELS,
    "status_labels": STATUS_LABELS,
    "action_labels": ACTION_LABELS,
    "headcount_labels": HEADCOUNT_LABELS,
    "headcount_fields": HEADCOUNT_FIELDS,
}


def place_choices(user: User, blank: str) -> list[SelectChoice]:
    """The physical places ``user`` may see, for a filter (a blank choice first)."""
    locale = current_locale()
    return [SelectChoice("", blank)] + [
        SelectChoice(str(place.id), place.display_name(locale))
        for place in db.session.scalars(visible_locations_query(user, active_only=False))
        if place.kind.is_physical
    ]


def _place_id(value: str | None) -> int | None:
    return bounded_int(value, high=MAX_ID) if value else None


def print_day_form(user: User) -> PrintDayForm:
    """The "print a day's slips" form with the places ``user`` may print for."""
    form = PrintDayForm(formdata=None)
    choices = place_choices(user, _("— choose a place —"))
    form.location_id.choices = choices[1:] if user.role is Role.TECHNICIAN else choices
    return form


@bp.get("/distributions")
@allow(ALL_ROLES)
def index() -> str:
    """Distributions the reader may see, newest first, with filters and pages."""
    user = acting_user()
    form = DistributionFilterForm(request.args)
    form.location.choices = place_choices(user, _("Any place"))
    form.validate_or_default()
    filters = queries.DistributionFilters(
        location_id=_place_id(form.location.data),
        recipient_type=enum_or_none(RecipientType, form.recipient_type.data),  # type: ignore[arg-type]
        status=enum_or_none(DistributionStatus, form.status.data),  # type: ignore[arg-type]
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        text=form.q.data or "",
    )
    page_number, per_page = page_args()
    page = RowPage(
        queries.distributions_query(user, filters),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row[0],
    )
    return render_template(
        "distributions/index.html",
        form=form,
        page=page,
        print_form=print_day_form(user),
        can_record=user.role is not Role.VIEWER,
        **LABELS,
    )


def loaded_distribution(distribution_id: int) -> Distribution:
    """The distribution with its lines and history, or a 404 when the reader may not see it."""
    check_ids(distribution_id)
    distribution = queries.distribution_with_lines(distribution_id)
    if distribution is None or not can_see(acting_user(), distribution):
        raise NotFoundError(_("No such distribution."))
    return distribution


@bp.get("/distributions/<int:distribution_id>")
@allow(ALL_ROLES)
def page(distribution_id: int) -> str:
    """One slip: who, where, lines, status of the paper, transactions, history and prints."""
    user = acting_user()
    distribution = loaded_distribution(distribution_id)
    prints = prints_of(distribution.document_id)
    may_act = user.role is not Role.VIEWER and may_distribute_at(user, distribution.location_id)
    returned_form = ReturnedForm(formdata=None)
    return render_template(
        "distributions/page.html",
        distribution=distribution,
        transactions=queries.distribution_transactions(distribution),
        prints=prints,
        may_act=may_act,
        returned_form=returned_form,
        print_form=PrintForm(formdata=None),
        kind_labels=TRANSACTION_KIND_LABELS,
        **LABELS,
    )


@bp.get("/distributions/unreturned")
@allow(ALL_ROLES)
def unreturned() -> str:
    """Slips not signed and returned yet, oldest first, with their age in days."""
    user = acting_user()
    form = UnreturnedFilterForm(request.args)
    form.location.choices = place_choices(user, _("Any place"))
    form.validate_or_default()
    today = business_today()
    # "More than 30 days": dated before today less 30 days.
    before = today - timedelta(days=form.days.data) if form.days.data is not None else None
    location_id = _place_id(form.location.data)
    page_number, per_page = page_args()
    page = RowPage(
        queries.unreturned_query(user, location_id=location_id, issued_before=before),
        page=page_number,
        per_page=per_page,
        convert=lambda row: row[0],
        count=queries.unreturned_count_query(user, location_id=location_id, issued_before=before),
    )
    return render_template(
        "distributions/unreturned.html",
        form=form,
        page=page,
        today=today,
        **LABELS,
    )


def _document_url(document: Document) -> str:
    distribution = queries.distribution_of_document(document.id)
    if distribution is None:
        # A number printed in advance and not keyed yet opens its own page.
        slip = queries.preprinted_of_document(document.id)
        if slip is not None:
            return url_for("distributions.preprinted_slip", slip_id=slip.id)
    return url_for("distributions.page", distribution_id=distribution.id if distribution else 0)


def _document_visible(user: User, document: Document) -> bool:
    distribution = queries.distribution_of_document(document.id)
    if distribution is None:
        slip = queries.preprinted_of_document(document.id)
        return slip is not None and can_see_preprinted(user, slip)
    return can_see(user, distribution)


register_page(DocumentType.DISTRIBUTION, url=_document_url, can_see=_document_visible)
