"""Choices of the stock-on-hand filters: categories and item families, in the reader's language."""

from functools import lru_cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from hilogistics.catalogue.models import Category, Item
from hilogistics.db import db, localised


def _category_order(parent: Any) -> tuple[Any, ...]:
    """Parents before their children, each in its sort order."""
    return (
        func.coalesce(parent.sort_order, Category.sort_order),
        func.coalesce(parent.id, Category.id),
        Category.parent_id.is_not(None),
        Category.sort_order,
        Category.name,
    )


@lru_cache(maxsize=1)
def _category_names_select() -> Select[Any]:
    parent = aliased(Category)
    return (
        select(
            Category.id,
            Category.name,
            Category.name_ko,
            Category.name_fr,
            parent.name,
            parent.name_ko,
            parent.name_fr,
        )
        .outerjoin(parent, parent.id == Category.parent_id)
        .order_by(*_category_order(parent))
    )


def category_names(locale: str | None) -> list[tuple[int, str]]:
    """Every category as (id, name in the reader's language), parents before their children.

    A sub-category's name shows its parent first, as ``Category.display_name`` does; one query
    of plain columns (no ORM objects).
    """
    names = []
    for row in db.session.execute(_category_names_select()):
        category_id, name, name_ko, name_fr, p_name, p_name_ko, p_name_fr = row
        own = localised(name, name_ko, name_fr, locale)
        if p_name is not None:
            own = f"{localised(p_name, p_name_ko, p_name_fr, locale)} › {own}"
        names.append((category_id, own))
    return names


@lru_cache(maxsize=1)
def families_query() -> Select[tuple[str]]:
    """The distinct item families, sorted (one statement, built once)."""
    return (
        select(Item.family)
        .where(Item.family.is_not(None), Item.family != "")
        .distinct()
        .order_by(Item.family)
    )
