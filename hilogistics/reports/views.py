"""Report pages: the index, each report's page, its CSV/XLSX export and its printed PDF."""

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from hilogistics import exports
from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.auth.models import Role
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.documents.layout import render
from hilogistics.documents.reports import report_document
from hilogistics.i18n import current_locale
from hilogistics.inputs import MAX_PAGE, link_args
from hilogistics.reports.charts import bar_chart_svg, worth_drawing
from hilogistics.reports.framework import (
    PAGE_SIZE,
    PDF_MAX_ROWS,
    Report,
    display,
    page_and_summary,
    printed_rows,
    summed,
)
from hilogistics.reports.registry import REPORTS
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.queries import MAX_PER_PAGE
from hilogistics.stock.views.printing import pdf_response, printing, strict_glyphs

bp = Blueprint("reports", __name__)


def _report(name: str) -> Report:
    report = REPORTS.get(name)
    if report is None or acting_user().role not in report.roles:
        abort(404)
    return report


def _form(report: Report) -> FilterForm:
    """The report's filters from the query string, choices filled for the reader."""
    user = acting_user()
    form = report.form_class(request.args)
    report.prepare(form, user, current_locale())
    form.validate_or_default()
    if user.role is Role.TECHNICIAN and hasattr(form, "location"):
        form.location.data = str(user.location_id)
    return form


@bp.get("/reports")
@allow(ALL_ROLES)
def index() -> str:
    """The reports, each with what it answers."""
    role = acting_user().role
    reports = [report for report in REPORTS.values() if role in report.roles]
    return render_template("reports/index.html", reports=reports)


@bp.get("/reports/<report_name>")
@allow(ALL_ROLES)
def page(report_name: str) -> str:
    """One report: filters, a chart where one helps, a page of its rows and the totals."""
    report = _report(report_name)
    form = _form(report)
    user, locale = acting_user(), current_locale()
    columns = report.columns(form)
    stmt = report.statement(form, user, locale)
    page_number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    per_page = min(max(request.args.get("per_page", PAGE_SIZE, type=int), 1), MAX_PER_PAGE)
    rows, sums, chart = page_and_summary(
        report, form, user, locale, stmt, columns, page=page_number, per_page=per_page
    )
    chart = worth_drawing(chart)
    return render_template(
        "reports/report.html",
        report=report,
        form=form,
        columns=columns,
        page=rows,
        rows=display(rows.items, columns),
        sums=sums,
        chart=chart,
        # Every text in the drawing is escaped by bar_chart_svg.
        chart_svg=Markup(bar_chart_svg(chart, element_id="report-chart")) if chart else None,  # noqa: S704
        filter_args=link_args("page", "per_page", "format"),
    )


def _caption(report: Report, form: FilterForm) -> list[str]:
    facts = "; ".join(f"{label}: {value}" for label, value in report.facts(form))
    return [
        str(report.title),
        _(
            "As recorded on %(date)s, exported by %(name)s",
            date=business_today().isoformat(),
            name=acting_user().display_name,
        ),
        *([facts] if facts else []),
    ]


@bp.get("/reports/<report_name>/export")
@allow(ALL_ROLES)
def report_export(report_name: str) -> Response:
    """Every row of the report with these filters, as CSV or XLSX, with a totals row."""
    report = _report(report_name)
    form = _form(report)
    columns = report.columns(form)
    user, locale = acting_user(), current_locale()
    stmt = report.statement(form, user, locale)
    found = db.session.execute(stmt).all()
    # Totals of the rows just read: the same figures without running the statement again.
    sums = summed(found, columns)
    rows = display(found, columns)
    if sums:
        rows.append([_("Total") if i == 0 else sums.get(c.key, "") for i, c in enumerate(columns)])
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    filename = f"report-{report.name}-{business_today().isoformat()}"
    headers = [str(c.label) for c in columns]
    return exports.download(fmt, filename, headers, rows, caption=_caption(report, form))


@bp.get("/reports/<report_name>/print.pdf")
@allow(ALL_ROLES)
def report_pdf(report_name: str) -> Response:
    """The report on A4: its filters, chart, rows (at most PDF_MAX_ROWS) and totals."""
    report = _report(report_name)
    form = _form(report)
    user, locale = acting_user(), current_locale()
    columns = report.columns(form)
    stmt = report.statement(form, user, locale)
    found, sums, chart = printed_rows(
        report, form, user, locale, stmt, columns, limit=PDF_MAX_ROWS + 1
    )
    document = report_document(
        report=report,
        facts=report.facts(form),
        columns=columns,
        rows=display(found, columns),
        sums=sums,
        chart=worth_drawing(chart),
        today=business_today(),
        printing=printing(),
    )
    filename = f"report-{report.name}-{business_today().isoformat()}"
    return pdf_response(render(document, strict=strict_glyphs()), filename)
