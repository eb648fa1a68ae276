"""Read-only catalogue queries: item search and filters, the category tree, units, counts."""

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, func, or_, select, text

from hilogistics.catalogue.models import Category, Item, Unit
from hilogistics.db import LIKE_ESCAPE, db, localised_name, matches_text, prefix_pattern


class ItemStatus(StrEnum):
    """The active/inactive filter of the item list ("" shows both)."""

    ALL = ""
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class ItemFilters:
    """What the item list and its export are narrowed to."""

    search: str = ""
    category_id: int | None = None
    family: str = ""
    status: ItemStatus = ItemStatus.ALL


def items_query(filters: ItemFilters | None = None) -> Select[tuple[Item]]:
    """Items matching ``filters``, by code; category and unit are eager-loaded (joined).

    The search matches code and every name (English, Korean, French) anywhere in the text,
    ignoring case for Latin letters. A top-level category includes its sub-categories.
    """
    filters = filters or ItemFilters()
    stmt = select(Item).order_by(Item.code)
    search = filters.search.strip()
    if search:
        stmt = stmt.where(matches_text((Item.code, Item.name, Item.name_ko, Item.name_fr), search))
    if filters.category_id is not None:
        in_tree = select(Category.id).where(
            or_(Category.id == filters.category_id, Category.parent_id == filters.category_id)
        )
        stmt = stmt.where(Item.category_id.in_(in_tree))
    family = filters.family.strip().lower()
    if family:
        stmt = stmt.where(func.lower(Item.family) == family)
    if filters.status is ItemStatus.ACTIVE:
        stmt = stmt.where(Item.is_active)
    elif filters.status is ItemStatus.INACTIVE:
        stmt = stmt.where(~Item.is_active)
    return stmt


def families_query() -> Select[tuple[str]]:
    """The distinct item families, alphabetically."""
    return select(Item.family).where(Item.family.is_not(None)).distinct().order_by(Item.family)


def categories_query() -> Select[tuple[Category]]:
    """Every category; callers put them in tree order with :func:`category_tree`."""
    return select(Category).order_by(Category.sort_order, Category.name, Category.id)


def top_level_categories_query() -> Select[tuple[Category]]:
    """Categories without a parent: the only ones that may be parents."""
    return categories_query().where(Category.parent_id.is_(None))


def category_tree(categories: list[Category]) -> list[Category]:
    """Order categories as a tree: each top-level category followed by its sub-categories."""
    children: dict[int, list[Category]] = {}
    roots = []
    for category in categories:
        if category.parent_id is None:
            roots.append(category)
        else:
            children.setdefault(category.parent_id, []).append(category)
    ordered = []
    for root in roots:
        ordered.append(root)
        ordered.extend(children.pop(root.id, []))
    for orphans in children.values():  # a parent outside ``categories``: keep them visible
        ordered.extend(orphans)
    return ordered


def item_counts_by_category() -> dict[int, int]:
    """Number of items directly in each category, in one grouped query."""
    rows = db.session.execute(
        select(Item.category_id, func.count(Item.id)).group_by(Item.category_id)
    )
    return {category_id: count for category_id, count in rows}


def units_query() -> Select[tuple[Unit]]:
    """Every unit of issue, by code."""
    return select(Unit).order_by(Unit.code)


def item_counts_by_unit() -> dict[int, int]:
    """Number of items counted in each unit, in one grouped query."""
    rows = db.session.execute(select(Item.unit_id, func.count(Item.id)).group_by(Item.unit_id))
    return {unit_id: count for unit_id, count in rows}


# The item lookup behind the code inputs: a few rows, whatever the catalogue's size.
LOOKUP_LIMIT = 10
LOOKUP_MAX_TEXT = 40  # the longest item code; a longer name fragment narrows nothing useful
_BINARY_COLLATIONS = frozenset({"c", "posix", "c.utf-8", "c.utf8", "ucs_basic"})
_binary_order: dict[str, bool] = {}


def _codes_sort_bytewise() -> bool:
    """Whether text sorts by code point, so a prefix is a range of the lower(code) index.

    Always so on SQLite; on PostgreSQL it depends on the database's collation (read once).
    """
    engine = db.session.get_bind()
    key = str(engine.url)
    if key not in _binary_order:
        if engine.dialect.name == "sqlite":
            _binary_order[key] = True
        else:
            collation = db.session.scalar(
                text("SELECT datcollate FROM pg_database WHERE datname = current_database()")
            )
            _binary_order[key] = (collation or "").lower() in _BINARY_COLLATIONS
    return _binary_order[key]


def lookup_items(search: str, locale: str, limit: int = LOOKUP_LIMIT) -> list[Item]:
    """Active items whose code starts with ``search``, then those whose name contains it.

    Case is ignored; names are read in ``locale``; at most ``limit``, each group by code.
    The code part reads the lower(code) index as a range; unit and category come joined.
    """
    search = search.strip()[:LOOKUP_MAX_TEXT]
    if not search:
        return []
    lowered = search.lower()
    code = func.lower(Item.code)
    by_code = select(Item).where(
        Item.is_active, code.like(prefix_pattern(lowered), escape=LIKE_ESCAPE)
    )
    # ASCII only: there SQL's lower() and Python's agree on every engine.
    if lowered.isascii() and _codes_sort_bytewise():
        # LIKE alone cannot use the index (SQLite's rule; PostgreSQL's outside the C locale);
        # the same prefix as a range can, and in byte order it selects exactly the same rows.
        by_code = by_code.where(code >= lowered, code < lowered[:-1] + chr(ord(lowered[-1]) + 1))
    found = list(db.session.scalars(by_code.order_by(code).limit(limit)))
    exact = bool(found) and found[0].code.lower() == lowered
    # A whole code was typed: its item is the answer, and no name holds a code, so the name
    # search (a scan of every name) is spared.
    if len(found) < limit and not exact:
        seen = [item.id for item in found]
        by_name = (
            select(Item)
            .where(Item.is_active, matches_text([localised_name(Item, locale)], search))
            .order_by(Item.code)
            .limit(limit - len(found))
        )
        if seen:
            by_name = by_name.where(Item.id.not_in(seen))
        found.extend(db.session.scalars(by_name))
    return found
