"""Rules every text input obeys, wherever it comes from: forms, query strings, imported cells.

PostgreSQL refuses NUL in text and SQLite stores it silently; other control characters are
invisible, break CSV and XLSX exports, and make a code look like another. None of them has a
place in the programme's data: they are refused with a message naming the field.
"""

import re

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from hilogistics.errors import DomainError

# C0 controls, DEL, C1 controls and lone surrogates (which no UTF-8 text can carry).
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Multi-line text (notes, serial number lists) keeps tabs and line breaks.
_CONTROL_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# Integer columns are 32-bit on PostgreSQL (and ids everywhere): nothing larger reaches a query.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
# The highest page number a list accepts; beyond it a list would only be empty.
MAX_PAGE = 100_000
# Query parameters checked by their own rules: a bad redirect target simply goes home.
_UNCHECKED_ARGS = frozenset({"next"})


class BadInputError(DomainError):
    """A request carries a value no page can use (answered with 400 and the message)."""

    status_code = 400


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when ``text`` holds a character no text input accepts (see the module docstring)."""
    pattern = _CONTROL_MULTI_LINE if multiline else _CONTROL_SINGLE_LINE
    return pattern.search(text) is not None


def control_character_message(field: str) -> str:
    """The message for a field or column ``field`` that holds a control character."""
    return _(
        "%(field)s contains an invisible control character (such as NUL) that cannot be "
        "saved. Remove it and try again.",
        field=field,
    )


def bounded_int(text: str | None, *, low: int = 1, high: int = DB_INT_MAX) -> int | None:
    """``text`` as a whole number within [low, high] (ASCII digits only), else None."""
    if not text or len(text) > 12:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if low <= number <= high else None


def page_number() -> int:
    """The ``page`` query argument for a paginated list: 1 when missing or absurd, at most MAX_PAGE.

    Flask-SQLAlchemy's paginate would pass 2**63 on to the database, which refuses it.
    """
    raw = request.args.get("page", "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return 1
    number = int(raw) if len(raw) <= 7 else MAX_PAGE
    return min(max(number, 1), MAX_PAGE)


def link_args(*drop: str) -> dict[str, str]:
    """The query arguments to carry into links to the same page, minus ``drop``.

    Leaves out the route's own path arguments and url_for's keywords (``_scheme``,
    ``_external``…): a hand-made address must not make url_for fail.
    """
    skip = set(drop) | set(request.view_args or {})
    return {k: v for k, v in request.args.items() if k not in skip and not k.startswith("_")}


def check_query_string() -> None:
    """before_request hook: refuse a query string whose names or values hold control characters.

    Raises BadInputError (400) naming the parameter.
    """
    for name, value in request.args.items(multi=True):
        if name in _UNCHECKED_ARGS:
            continue
        if has_control_characters(name) or has_control_characters(value):
            shown = name if not has_control_characters(name) else repr(name)
            raise BadInputError(
                _(
                    "The address parameter %(name)s contains an invisible control character "
                    "(such as NUL). Remove it from the address and try again.",
                    name=shown,
                )
            )


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, no larger than a database id: a larger one is a 404.

    SQLite cannot even bind a number past 2**63, so /items/99999999999999999999 answered 500.
    """

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def install_converters(app: Flask) -> None:
    """Bound the ``int`` URL converter; call before any route is added."""
    app.url_map.converters["int"] = DatabaseIdConverter


def register(app: Flask) -> None:
    """Install the query-string check on every request but static files, and ``link_args``."""
    app.add_template_global(link_args)

    @app.before_request
    def _check_input() -> None:
        if request.endpoint != "static":
            check_query_string()
