"""Shared by the stock queries: pages of aggregate rows, totals per place, bound parameters."""

from collections.abc import Callable, Iterator, Sequence
from math import ceil
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select

from hilogistics.db import db
from hilogistics.locations.models import LocationKind
from hilogistics.stock.models import ItemBalance

MAX_PER_PAGE = 200
# Places shown first to last: stores, then the places they supply, then goods on the road.
KIND_ORDER = {
    LocationKind.WAREHOUSE: 0,
    LocationKind.CENTRE: 1,
    LocationKind.SCHOOL: 2,
    LocationKind.CAMP: 3,
    LocationKind.TRANSIT: 4,
}
# Parameters of the statements that end with LIMIT :page_limit OFFSET :page_offset.
PARAM_LIMIT = "page_limit"
PARAM_OFFSET = "page_offset"


class RowPage:
    """One page of rows from a select that ``db.paginate`` cannot handle (aggregate rows).

    Offers what ``_macros/pagination.html`` uses: page, pages, total, has_prev/has_next,
    prev_num/next_num and iter_pages(). Two queries: a count, then the page with LIMIT/OFFSET.

    ``count`` replaces the generic ``count(*)`` over the whole statement by a cheaper statement
    giving the same number; ``total`` gives the number outright (known from another query).
    ``limited`` is a statement that already ends with LIMIT :page_limit OFFSET :page_offset
    (``stmt`` is then not needed); ``params`` are bound into every statement. The page query
    is skipped when the page is past the end. ``execute`` runs the page's statement (default
    the session's; a plain select of columns may go to the session's connection, which skips
    the ORM's work on the way). ``rows``, with ``total``: the page's rows, already read with
    their count in one statement; nothing more is run.
    """

    def __init__(
        self,
        stmt: Select[Any] | None,
        *,
        page: int,
        per_page: int,
        convert: Callable[[Any], Any] | None = None,
        count: Select[Any] | None = None,
        total: int | None = None,
        limited: Select[Any] | None = None,
        params: dict[str, Any] | None = None,
        execute: Callable[..., Any] | None = None,
        rows: Sequence[Any] | None = None,
    ) -> None:
        if rows is not None and total is None:
            raise ValueError("RowPage needs the total of rows read beforehand")
        if rows is None and stmt is None and (limited is None or (total is None and count is None)):
            raise ValueError("RowPage needs a statement, or a limited one and a count or total")
        self.page = max(page, 1)
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)
        params = params or {}
        if total is None:
            if count is None:
                count = select(func.count()).select_from(
                    stmt.order_by(None).subquery()  # type: ignore[union-attr]
                )
            total = int(db.session.scalar(count, params) or 0)
        self.total: int = total
        self.items: list[Any] = []
        if rows is not None:
            self.items = [convert(row) for row in rows] if convert else list(rows)
        elif self.offset < self.total:
            if limited is not None:
                params = {**params, "page_limit": self.per_page, "page_offset": self.offset}
            else:
                limited = stmt.limit(self.per_page).offset(self.offset)  # type: ignore[union-attr]
            rows = (execute or db.session.execute)(limited, params).all()
            self.items = [convert(row) for row in rows] if convert else list(rows)

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        """Number of pages (0 when there is nothing)."""
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        """True when this is not the first page."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when this is not the last page."""
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        """The previous page number, if any."""
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        """The next page number, if any."""
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """Page numbers for the widget, None for a gap (as Flask-SQLAlchemy's Pagination)."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start - left_end > 0:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start - mid_end > 0:
            yield None
        yield from range(right_start, pages_end)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def item_totals(*, location_id: int | None = None) -> Any:
    """Subquery: on hand and reserved per (location, item), from the item rows."""
    stmt = select(
        ItemBalance.location_id.label("location_id"),
        ItemBalance.item_id.label("item_id"),
        ItemBalance.on_hand.label("on_hand"),
        ItemBalance.reserved.label("reserved"),
    )
    if location_id is not None:
        stmt = stmt.where(ItemBalance.location_id == location_id)
    return stmt.subquery("item_totals")


def param(name: str, type_: Any = Integer) -> Any:
    return bindparam(name, type_=type_)
