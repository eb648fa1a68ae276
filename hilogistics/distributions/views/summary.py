"""The monthly distribution summary of a place: a page, CSV/XLSX exports and a PDF.

All three read the same rows (``distributions/summary.py``). A technician's are their own
place's; naming another place answers 404, as their other pages do.
"""

from datetime import date

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hilogistics import exports
from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.distributions.forms import SummaryFilterForm
from hilogistics.distributions.labels import HEADCOUNT_LABELS, RECIPIENT_LABELS, SERVICE_LABELS
from hilogistics.distributions.models import HEADCOUNT_FIELDS
from hilogistics.distributions.summary import (
    MonthlySummary,
    item_rows,
    item_rows_query,
    monthly_summary,
    people_rows,
)
from hilogistics.distributions.views.blueprint import bp
from hilogistics.distributions.views.pages import LABELS, place_choices
from hilogistics.documents.distributions import summary_pdf as summary_document_pdf
from hilogistics.errors import NotFoundError
from hilogistics.i18n import current_locale
from hilogistics.inputs import bounded_int
from hilogistics.locations.models import Location
from hilogistics.locations.queries import visible_location
from hilogistics.stock.queries import MAX_PER_PAGE, RowPage
from hilogistics.stock.views.pages import MAX_ID
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs
from hilogistics.views_support import page_args

TABLES = ("items", "people")


class _ListPage(RowPage):
    """A page of rows already read: the month's groups are aggregated once, not counted again.

    The aggregation is the cost (a busy month holds thousands of lines); its result is small,
    so the page is cut from it rather than asking the database for a count and then a page.
    """

    def __init__(self, rows: list, *, page: int, per_page: int) -> None:  # noqa: D107
        self.page = max(page, 1)
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)
        self.total = len(rows)
        self.items = rows[self.offset : self.offset + self.per_page]


def _filters() -> tuple[SummaryFilterForm, date, Location | None]:
    """The form, the month and the place asked for; another place's for a technician: 404."""
    user = acting_user()
    form = SummaryFilterForm(request.args)
    choices = place_choices(user, _("Every place"))
    form.location.choices = choices[1:] if user.role is Role.TECHNICIAN else choices
    asked = request.args.get("location", "")
    place = None
    if asked:
        location_id = bounded_int(asked, high=MAX_ID)
        if location_id is None:
            raise NotFoundError(_("No such place."))
        place = visible_location(user, location_id)
    elif user.role is Role.TECHNICIAN and user.location is not None:
        place = user.location
    form.validate_or_default()
    if place is not None:
        form.location.data = str(place.id)
    month = form.month.data or business_today().replace(day=1)
    return form, month.replace(day=1), place


def _summary() -> tuple[SummaryFilterForm, MonthlySummary, Location | None]:
    form, month, place = _filters()
    summary = monthly_summary(
        acting_user(), month=month, location_id=place.id if place is not None else None
    )
    return form, summary, place


def _caption(summary: MonthlySummary, place: Location | None) -> list[str]:
    where = place.display_name(current_locale()) if place is not None else _("Every place")
    return [
        _("Distributions of %(month)s", month=summary.month.strftime("%Y-%m")),
        _("Place: %(place)s", place=where),
    ]


def _filename(summary: MonthlySummary, place: Location | None, table: str = "") -> str:
    where = place.code if place is not None else "all"
    suffix = f"-{table}" if table else ""
    return f"distributions-{summary.month.strftime('%Y-%m')}-{where}{suffix}"


@bp.get("/distributions/summary")
@allow(ALL_ROLES)
def summary() -> str:
    """The month's distributions at a place: a page of items, and the people served."""
    form, month, place = _filters()
    user = acting_user()
    location_id = place.id if place is not None else None
    page_number, per_page = page_args()
    grouped = db.session.execute(item_rows_query(user, month=month, location_id=location_id)).all()
    items = _ListPage(grouped, page=page_number, per_page=per_page)
    items.items = item_rows(items.items)
    found = MonthlySummary(
        month=month,
        items=items.items,
        people=people_rows(user, month=month, location_id=location_id),
    )
    return render_template(
        "distributions/summary.html",
        form=form,
        summary=found,
        items_page=items,
        place=place,
        **LABELS,
    )


def _item_table(summary: MonthlySummary) -> tuple[list[str], list[list[object]]]:
    locale = current_locale()
    headings = [
        _("Place"),
        _("Item code"),
        _("Item"),
        _("Who received"),
        _("Service"),
        _("Quantity"),
        _("Unit"),
        _("Slips"),
    ]
    rows = [
        [
            row.location.display_name(locale),
            row.item.code,
            row.item.display_name(locale),
            _(RECIPIENT_LABELS[row.recipient_type]),
            _(SERVICE_LABELS[row.service]) if row.service is not None else "",
            row.quantity,
            row.item.unit.name,
            row.slips,
        ]
        for row in summary.items
    ]
    return headings, rows


def _people_table(summary: MonthlySummary) -> tuple[list[str], list[list[object]]]:
    locale = current_locale()
    headings = [
        _("Place"),
        _("Who received"),
        _("Slips"),
        *(_(HEADCOUNT_LABELS[name]) for name in HEADCOUNT_FIELDS),
        _("Sex and age not recorded"),
        _("People served"),
    ]
    rows = [
        [
            row.location.display_name(locale),
            _(RECIPIENT_LABELS[row.recipient_type]),
            row.slips,
            *(row.headcounts[name] for name in HEADCOUNT_FIELDS),
            row.unrecorded,
            row.total,
        ]
        for row in summary.people
    ]
    return headings, rows


@bp.get("/distributions/summary/export")
@allow(ALL_ROLES)
def summary_export() -> Response:
    """One table of the summary (``table=items`` or ``people``) as CSV or XLSX."""
    table = request.args.get("table", "items")
    if table not in TABLES:
        raise NotFoundError(_("No such table."))
    _form, found, place = _summary()
    headings, rows = _item_table(found) if table == "items" else _people_table(found)
    return exports.download(
        request.args.get("format", "csv"),
        _filename(found, place, table),
        headings,
        rows,
        caption=_caption(found, place),
    )


@bp.get("/distributions/summary.pdf")
@allow(ALL_ROLES)
def summary_pdf() -> Response:
    """The summary on paper: the items, then the people served."""
    _form, found, place = _summary()
    body = summary_document_pdf(
        summary=found, place=place, printing=printing(), strict=strict_glyphs()
    )
    return pdf_response(body, _filename(found, place))
