"""The shape every report shares: its columns, its filter form, its rows, totals and chart.

A report is a ``select()`` of plain rows in column order. The page reads one page of it
(:func:`page_of`: the framework adds LIMIT/OFFSET, PAGE_SIZE rows by default), the exports and
the PDF read all of it, and the totals are summed over the same statement (by the database, or
over the rows an export has just read), so the four can never disagree. A report may count and
total its rows more cheaply (:meth:`Report.summary`, e.g. without joining the names) as long as
the figures are the same. A costly statement runs once per request: counted with its page
(window aggregates, :meth:`Report.chart_windows` for the chart) or read whole
(:meth:`Report.reads_whole`) instead of once each for the page, the totals and the chart.
Technicians see only their own place: each report narrows its statement by
:func:`place_scope`, whatever the form says.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import LazyString, gettext
from sqlalchemy import ColumnElement, Select, func, literal, select, true

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from hilogistics.reports.charts import BarChart
from hilogistics.stock.forms_pages import FilterForm
from hilogistics.stock.queries import RowPage

# A PDF of more rows than this is cut short with a note (the export has them all).
PDF_MAX_ROWS = 2000
# Rows on one page of a report (pages are read over slow links; the exports have them all).
PAGE_SIZE = 100


@dataclass(frozen=True)
class Column:
    """A column of a report: its key, heading, whether it is a number to total, PDF width."""

    key: str
    label: LazyString | str
    numeric: bool = False
    width: float = 12.0
    # Stored value → msgid of its words (enum values such as a recipient type), or None.
    labels: Mapping[Any, str] | None = None


class Report:
    """One report: subclasses name it and give its form, columns, statement and chart."""

    name: str = ""
    title: LazyString
    description: LazyString
    form_class: type[FilterForm]
    # Who may open it; technicians see their own place's figures in the reports open to them.
    roles: frozenset[Role] = frozenset(Role)

    def columns(self, form: FilterForm) -> list[Column]:
        """The columns the rows hold, in order."""
        raise NotImplementedError

    def prepare(self, form: FilterForm, user: User, locale: str) -> None:
        """Fill the form's choices (places the user may see, categories, grants)."""

    def statement(self, form: FilterForm, user: User, locale: str) -> Select[Any]:
        """The rows, ordered, in column order, seen by ``user``."""
        raise NotImplementedError

    def chart(self, form: FilterForm, user: User, locale: str) -> BarChart | None:
        """A chart of the same figures, or None for a report read as a table."""
        return None

    def counted_with_page(self, form: FilterForm) -> bool:
        """Whether the page's own statement should count and total the rows (window sums).

        Worth it when every row must be worked out before the first can be given anyway (a
        grouped statement): one pass instead of two. Not when an index hands out the page's rows
        in order, as reading them all to count would undo that.
        """
        return False

    def reads_whole(self, form: FilterForm) -> bool:
        """Whether the page reads every row in one execution and counts, totals and charts them.

        Worth it when the rows are few (a grouped statement) but costly to work out: the
        statement then runs once per request instead of once each for the page, the totals and
        the chart (:meth:`chart_of_rows` must then draw the chart from the rows).
        """
        return False

    def chart_of_rows(self, form: FilterForm, rows: Sequence[Any]) -> BarChart | None:
        """The chart drawn from every row of the statement (reports that read them whole)."""
        raise NotImplementedError

    def chart_windows(self, form: FilterForm, stmt: Select[Any]) -> dict[str, ColumnElement[Any]]:
        """Window aggregates over all the rows that the chart needs, read with a counted page.

        With :meth:`counted_with_page`, the page's statement carries them too, and
        :meth:`chart_of_windows` draws the chart from their values: one execution per request.
        """
        return {}

    def chart_of_windows(self, form: FilterForm, values: Mapping[str, int]) -> BarChart | None:
        """The chart drawn from the values of :meth:`chart_windows` (over all the rows)."""
        raise NotImplementedError

    def summary(
        self, form: FilterForm, user: User, locale: str, stmt: Select[Any], columns: list[Column]
    ) -> tuple[int, dict[str, int]]:
        """How many rows ``stmt`` has and its numeric columns' totals (default: over ``stmt``)."""
        return summary(stmt, columns)

    def facts(self, form: FilterForm) -> list[tuple[str, str]]:
        """What the filters chose, as (label, value) pairs for captions and the PDF."""
        pairs = []
        for field in form:
            value = field.data
            if value in (None, "", False):
                continue
            if hasattr(field, "choices") and field.choices is not None:
                value = dict((str(c[0]), c[1]) for c in _choices(field)).get(str(value), value)
            elif isinstance(value, date):
                value = value.isoformat()
            pairs.append((str(field.label.text), str(value)))
        return pairs


def msgid_of(text: LazyString | str) -> str:
    """The untranslated message of a lazy string (printed documents translate it themselves)."""
    args = getattr(text, "_args", None)
    return str(args[0]) if args else str(text)


def _choices(field: Any) -> list[tuple[Any, Any]]:
    return [(c.value, c.label) if hasattr(c, "value") else (c[0], c[1]) for c in field.choices]


def place_scope(user: User, column: ColumnElement[int]) -> ColumnElement[bool]:
    """The condition that keeps a technician to their place (everyone else: no condition)."""
    if user.role is Role.TECHNICIAN:
        return column == (user.location_id if user.location_id is not None else -1)
    return true()


def summary(stmt: Select[Any], columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """How many rows ``stmt`` has and the sum of every numeric column, in one query."""
    numeric = [c for c in columns if c.numeric]
    rows = stmt.order_by(None).subquery()
    sums = [func.coalesce(func.sum(rows.c[c.key]), literal(0)) for c in numeric]
    count, *values = db.session.execute(select(func.count(), *sums).select_from(rows)).one()
    return int(count), {c.key: int(v) for c, v in zip(numeric, values, strict=True)}


def totals(stmt: Select[Any], columns: Sequence[Column]) -> dict[str, int]:
    """The sum of every numeric column over all the rows of ``stmt`` (one query)."""
    return summary(stmt, columns)[1]


def cell(value: Any, column: Column | None = None) -> Any:
    """A value as a table, export or PDF shows it: dates in ISO form, None as empty, words."""
    if value is None:
        return ""
    if column is not None and column.labels is not None:
        label = column.labels.get(value)
        return gettext(label) if label else value
    if isinstance(value, date):
        return value.isoformat()
    return value


def display(rows: Any, columns: Sequence[Column]) -> list[list[Any]]:
    """Rows of the statement as they are shown, column by column."""
    return [[cell(v, c) for v, c in zip(row, columns, strict=True)] for row in rows]


def page_of(stmt: Select[Any], *, page: int, per_page: int, total: int) -> RowPage:
    """Page ``page`` of the rows of ``stmt`` (LIMIT/OFFSET added here), ``total`` rows in all."""
    return RowPage(stmt, page=page, per_page=per_page, total=total)


def summed(rows: Sequence[Any], columns: Sequence[Column]) -> dict[str, int]:
    """The sum of every numeric column over rows already read (the same as :func:`totals`)."""
    return {
        c.key: sum(int(row[i] or 0) for row in rows) for i, c in enumerate(columns) if c.numeric
    }


def counted_rows(
    report: Report,
    form: FilterForm,
    stmt: Select[Any],
    columns: list[Column],
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[Any], int, dict[str, int], dict[str, int]] | None:
    """Rows ``offset`` to ``offset + limit`` with the count, totals and chart windows of all.

    One execution: the count, the sums and the report's chart windows ride along each row as
    window aggregates. None when there is no row there (nothing to read them from).
    """
    numeric = [c for c in columns if c.numeric]
    windows = report.chart_windows(form, stmt)
    counted = stmt.add_columns(
        func.count().over(),
        *(func.sum(stmt.selected_columns[c.key]).over() for c in numeric),
        *windows.values(),
    )
    found = db.session.execute(counted.limit(limit).offset(offset)).all()
    if not found:
        return None
    width, first = len(columns), found[0]
    after_sums = width + 1 + len(numeric)
    sums = {c.key: int(v or 0) for c, v in zip(numeric, first[width + 1 : after_sums], strict=True)}
    charted = {key: int(v or 0) for key, v in zip(windows, first[after_sums:], strict=True)}
    return [row[:width] for row in found], int(first[width]), sums, charted


def page_and_summary(
    report: Report,
    form: FilterForm,
    user: User,
    locale: str,
    stmt: Select[Any],
    columns: list[Column],
    *,
    page: int,
    per_page: int,
) -> tuple[RowPage, dict[str, int], BarChart | None]:
    """One page of the report's rows, the totals of all of them (the count in the page), chart.

    As few executions of the statement as the report allows: one when it reads its rows whole
    or counts them with the page (and gives its chart windows), otherwise one each.
    """
    if report.reads_whole(form):
        everything = db.session.execute(stmt).all()
        rows = RowPage(stmt, page=page, per_page=per_page, total=0)  # reads nothing
        rows.total = len(everything)
        rows.items = everything[rows.offset : rows.offset + rows.per_page]
        return rows, summed(everything, columns), report.chart_of_rows(form, everything)
    if not report.counted_with_page(form):
        count, sums = report.summary(form, user, locale, stmt, columns)
        chart = report.chart(form, user, locale)
        return page_of(stmt, page=page, per_page=per_page, total=count), sums, chart
    rows = RowPage(stmt, page=page, per_page=per_page, total=0)  # reads nothing yet
    found = counted_rows(report, form, stmt, columns, limit=rows.per_page, offset=rows.offset)
    windows = report.chart_windows(form, stmt)
    if found is None and rows.offset == 0:  # no rows at all: every figure is zero
        sums = {c.key: 0 for c in columns if c.numeric}
        if windows:
            return rows, sums, report.chart_of_windows(form, dict.fromkeys(windows, 0))
        return rows, sums, report.chart(form, user, locale)
    if found is None:  # past the last page: counted on its own
        count, sums = report.summary(form, user, locale, stmt, columns)
        rows.total = count
        return rows, sums, report.chart(form, user, locale)
    rows.items, rows.total, sums, charted = found
    chart = report.chart_of_windows(form, charted) if windows else report.chart(form, user, locale)
    return rows, sums, chart


def printed_rows(
    report: Report,
    form: FilterForm,
    user: User,
    locale: str,
    stmt: Select[Any],
    columns: list[Column],
    *,
    limit: int,
) -> tuple[list[Any], dict[str, int], BarChart | None]:
    """At most ``limit`` rows, the totals of all of them and the chart, for the printed PDF."""
    if report.reads_whole(form):
        everything = db.session.execute(stmt).all()
        return (
            everything[:limit],
            summed(everything, columns),
            report.chart_of_rows(form, everything),
        )
    if report.counted_with_page(form) and report.chart_windows(form, stmt):
        found = counted_rows(report, form, stmt, columns, limit=limit)
        if found is not None:
            rows, _count, sums, charted = found
            return rows, sums, report.chart_of_windows(form, charted)
    rows = db.session.execute(stmt.limit(limit)).all()
    sums = report.summary(form, user, locale, stmt, columns)[1]
    return rows, sums, report.chart(form, user, locale)
