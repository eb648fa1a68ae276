"""Camp pages: the list, opening a camp, its page with the closing steps, its report.

The camp page is the registered page of ``CMP`` documents, so ``/d/CMP-2026-00003`` opens it.
Technicians see only the camp they are bound to (404 for others, as for any other place).
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from hilogistics.auth.access import ALL_ROLES, STAFF, acting_user, allow
from hilogistics.auth.models import User
from hilogistics.camps import queries, services
from hilogistics.camps.forms import (
    CampFilterForm,
    CloseCampForm,
    OpenCampForm,
    PrintReportForm,
    ReturnForm,
    StartClosingForm,
)
from hilogistics.camps.labels import STATUS_LABELS
from hilogistics.camps.models import Camp, CampStatus
from hilogistics.counts.labels import STATUS_LABELS as COUNT_STATUS_LABELS
from hilogistics.counts.models import CountStatus
from hilogistics.db import db
from hilogistics.distributions.labels import HEADCOUNT_LABELS, RECIPIENT_LABELS, SERVICE_LABELS
from hilogistics.distributions.models import HEADCOUNT_FIELDS
from hilogistics.errors import DomainError
from hilogistics.i18n import current_locale
from hilogistics.locations.queries import provinces_query, warehouses_query
from hilogistics.registry.models import DocumentType
from hilogistics.shipments.labels import STATUS_LABELS as SHIPMENT_STATUS_LABELS
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import check_ids, page_args, register_record_page, submit

bp = Blueprint("camps", __name__)

# The slips listed on a camp page (all of them are on the distributions list, by place).
PAGE_SLIPS = 50


def _page_url(camp: Camp | int) -> str:
    return url_for("camps.page", camp_id=camp if isinstance(camp, int) else camp.id)


def loaded_camp(camp_id: int) -> Camp:
    """The camp when the reader may see it; a 404 otherwise."""
    check_ids(camp_id)
    return services.visible_camp(acting_user(), camp_id)


@bp.get("/camps")
@allow(ALL_ROLES)
def index() -> str:
    """Camps the reader may see, newest first, by status, a page at a time."""
    form = CampFilterForm(request.args)
    form.validate_or_default()
    status = CampStatus(form.status.data) if form.status.data else None
    page_number, per_page = page_args()
    page = db.paginate(
        queries.camps_query(acting_user(), status),
        page=page_number,
        per_page=per_page,
        error_out=False,
    )
    return render_template("camps/index.html", form=form, page=page, status_labels=STATUS_LABELS)


def _fill_choices(form: OpenCampForm) -> None:
    locale = current_locale()
    form.province_id.choices = [SelectChoice("", _("— choose a province —"))] + [
        SelectChoice(str(p.id), p.display_name(locale))
        for p in db.session.scalars(provinces_query())
    ]
    form.supplied_by_id.choices = [SelectChoice("", _("— choose a warehouse —"))] + [
        SelectChoice(str(w.id), w.display_name(locale))
        for w in db.session.scalars(warehouses_query())
        if w.is_active
    ]


@bp.route("/camps/new", methods=["GET", "POST"])
@allow(STAFF)
def new() -> Response | str:
    """Open a camp: names, province, village or site, dates, team, supplying warehouse."""
    form = OpenCampForm()
    _fill_choices(form)
    if form.validate_on_submit():
        response = submit(
            form,
            lambda: services.open_camp(
                actor=acting_user(),
                name=form.name.data or "",
                name_ko=form.name_ko.data or "",
                province_id=form.province_id.data,
                village=form.village.data or "",
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                supplied_by_id=form.supplied_by_id.data,
                team=form.team.data or "",
                note=form.note.data or "",
                operation_key=form.operation_key.data or None,
            ),
            lambda camp: _("Camp %(number)s opened.", number=camp.number),
            _page_url,
        )
        if response is not None:
            return response
    return render_template("camps/new.html", form=form)


def _step(camp: Camp) -> int:
    """The closing step the camp is at: 0 open, 2 counting, 3 returning, 4 ready, 5 closed."""
    if camp.status is CampStatus.OPEN:
        return 0
    if camp.status is CampStatus.CLOSED:
        return 5
    if camp.count is None or camp.count.status is not CountStatus.POSTED:
        return 2
    if services.remaining_lines(camp):
        return 3
    return 4


@bp.get("/camps/<int:camp_id>")
@allow(ALL_ROLES)
def page(camp_id: int) -> str:
    """One camp: what it is, its stock, loads and returns, slips and people, closing steps."""
    camp = loaded_camp(camp_id)
    slips = db.session.scalars(queries.camp_distributions_query(camp).limit(PAGE_SLIPS)).all()
    return render_template(
        "camps/page.html",
        camp=camp,
        step=_step(camp),
        stock=queries.camp_stock(camp),
        shipments=queries.camp_shipments(camp),
        slips=slips,
        report=queries.camp_report(camp),
        may_act=_may_act(acting_user()),
        start_form=StartClosingForm(),
        return_form=ReturnForm(),
        close_form=CloseCampForm(),
        print_form=PrintReportForm(),
        status_labels=STATUS_LABELS,
        count_status_labels=COUNT_STATUS_LABELS,
        shipment_status_labels=SHIPMENT_STATUS_LABELS,
        recipient_labels=RECIPIENT_LABELS,
        page_slips=PAGE_SLIPS,
    )


def _may_act(user: User) -> bool:
    return user.role in STAFF


def _closing_step(camp_id: int, form_class: type, call: object, success: str) -> Response:
    """One closing step's POST: run the service once, commit, flash, back to the camp page."""
    camp = loaded_camp(camp_id)
    form = form_class()
    if form.validate_on_submit():
        response = submit(
            form,
            call,  # type: ignore[arg-type]
            success,
            _page_url(camp),
            on_error=lambda error: _refused(camp, error),
        )
        if response is not None:
            return response
    return redirect(_page_url(camp))


def _refused(camp: Camp, error: DomainError) -> Response:
    flash(error.message, "error")
    return redirect(_page_url(camp))


@bp.post("/camps/<int:camp_id>/start-closing")
@allow(STAFF)
def start_closing(camp_id: int) -> Response:
    """Step 1: no more distributions; the count of the whole camp opens (once confirmed)."""
    camp = loaded_camp(camp_id)
    if camp.status is CampStatus.OPEN and not StartClosingForm().confirmed.data:
        flash(_("Tick the box to confirm that the camp stops distributing."), "error")
        return redirect(_page_url(camp))
    return _closing_step(
        camp_id,
        StartClosingForm,
        lambda: services.start_closing(actor=acting_user(), camp_id=camp_id),
        _("Closing started: distributions are refused from now on. Count what remains."),
    )


@bp.post("/camps/<int:camp_id>/return")
@allow(STAFF)
def make_return(camp_id: int) -> Response:
    """Step 3: a draft shipment of every lot that remains, back to the camp's warehouse."""
    return _closing_step(
        camp_id,
        ReturnForm,
        lambda: services.create_return(actor=acting_user(), camp_id=camp_id),
        _("The return is drafted: check it and dispatch it from its page."),
    )


@bp.post("/camps/<int:camp_id>/close")
@allow(STAFF)
def close(camp_id: int) -> Response:
    """Step 4: close the camp; its place is deactivated and accepts nothing more."""
    return _closing_step(
        camp_id,
        CloseCampForm,
        lambda: services.close_camp(actor=acting_user(), camp_id=camp_id),
        _("Camp closed: it accepts nothing more. Print its report."),
    )


@bp.get("/camps/<int:camp_id>/report")
@allow(ALL_ROLES)
def report(camp_id: int) -> str:
    """The camp report as a page: per item, per service, people served."""
    camp = loaded_camp(camp_id)
    return render_template(
        "camps/report.html",
        camp=camp,
        report=queries.camp_report(camp),
        print_form=PrintReportForm(),
        status_labels=STATUS_LABELS,
        recipient_labels=RECIPIENT_LABELS,
        service_labels=SERVICE_LABELS,
        headcount_labels=HEADCOUNT_LABELS,
        headcount_fields=HEADCOUNT_FIELDS,
    )


@bp.post("/camps/<int:camp_id>/report.pdf")
@allow(ALL_ROLES)
def print_report(camp_id: int) -> Response:
    """One logged print of the camp report as a PDF ("COPY n" from the second on)."""
    camp = loaded_camp(camp_id)
    form = PrintReportForm()
    if not form.validate_on_submit():
        return redirect(url_for("camps.report", camp_id=camp.id))
    try:
        body, filename = services.print_camp_report(
            actor=acting_user(), camp_id=camp.id, printing=printing(), strict=strict_glyphs()
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("camps.report", camp_id=camp.id))
    db.session.commit()
    return pdf_response(body, filename)


register_record_page(
    DocumentType.CAMP,
    record_of=queries.camp_of_document,
    endpoint="camps.page",
    id_arg="camp_id",
    can_see=services.can_see,
)
