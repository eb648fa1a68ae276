"""The shape every report shares: its columns, its filter form, its rows, totals and chart.

A report is a ``select()`` of plain rows in column order. The page reads one page of it
(:func:`page_of`: the framework adds LIMIT/OFFSET, PAGE_SIZE rows by default), the exports and
the PDF read all of it, and the totals are summed by the database over the same statement, so
the four can never disagree. A report may count and total its rows more cheaply
(:meth:`Report.summary`, e.g. without joining the names) as long as the figures are the same.
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
) -> tuple[RowPage, dict[str, int]]:
    """One page of the report's rows, and the totals of all of them (the count in the page)."""
    if not report.counted_with_page(form):
        count, sums = report.summary(form, user, locale, stmt, columns)
        return page_of(stmt, page=page, per_page=per_page, total=count), sums
    numeric = [c for c in columns if c.numeric]
    rows = RowPage(stmt, page=page, per_page=per_page, total=0)  # reads nothing yet
    counted = stmt.add_columns(
        func.count().over(),
        *(func.sum(stmt.selected_columns[c.key]).over() for c in numeric),
    )
    found = db.session.execute(counted.limit(rows.per_page).offset(rows.offset)).all()
    if not found:  # past the last page: counted on its own
        count, sums = report.summary(form, user, locale, stmt, columns)
        rows.total = count
        return rows, sums
    extra = len(numeric) + 1
    rows.total = int(found[0][-extra])
    rows.items = [row[:-extra] for row in found]
    return rows, {c.key: int(v or 0) for c, v in zip(numeric, found[0][1 - extra :], strict=True)}
