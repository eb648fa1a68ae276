"""A page's HTML kept for the next request with the very same inputs (a small LRU per process).

The data is read from the database on every request, as always (DESIGN: lists and pages read
afresh); what a hit skips is rendering identical HTML from identical inputs. The view gives the
key: every value the template shows, the rows read included, with the language, the reader
(id, name, role), the request's path and query, the date and the menu's badges. Never a time:
an entry is reused only while what was read equals what it was rendered from.

Per-session parts stay out of the kept copy: the CSRF token is rendered as a marker and put in
on every response. Pages with flashed messages or form errors are rendered and never kept.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import Flask, current_app, render_template, request, session
from flask_wtf.csrf import generate_csrf

from hilogistics.auth.models import User
from hilogistics.forms import page_errors
from hilogistics.main.navigation import request_badges

_EXTENSION = "hilogistics.pagememo"
# What the template's csrf_token() gives while rendering a copy to keep: no text a page shows
# can hold it unnoticed (the count of markers is checked against the count of calls).
_MARKER = "\x00hilo-csrf-token\x00"


class _Key:
    """A key hashed once: a page's key holds its fifty rows, and the LRU looks it up twice."""

    __slots__ = ("hash", "value")

    def __init__(self, value: Hashable) -> None:
        self.value = value
        self.hash = hash(value)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.hash == other.hash and self.value == other.value


class PageMemo:
    """``key -> the page split around its CSRF tokens``, the least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[_Key, tuple[str, ...]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: _Key) -> tuple[str, ...] | None:
        """The kept parts for ``key``, marked as just used; None when not kept."""
        with self.lock:
            parts = self.entries.get(key)
            if parts is not None:
                self.entries.move_to_end(key)
            return parts

    def put(self, key: _Key, parts: tuple[str, ...]) -> None:
        """Keep ``parts`` under ``key``, dropping the oldest entries beyond ``size``."""
        with self.lock:
            self.entries[key] = parts
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every page."""
        with self.lock:
            self.entries.clear()


def install(app: Flask) -> None:
    """Give ``app`` its memo of ``PAGE_MEMO_ENTRIES`` pages.

    None with 0, in debug or when templates reload (an edited template must show at once).
    """
    size = int(app.config.get("PAGE_MEMO_ENTRIES", 0))
    if size > 0 and not app.debug and not app.config.get("TEMPLATES_AUTO_RELOAD"):
        app.extensions[_EXTENSION] = PageMemo(size)


def memo_for(app: Flask) -> PageMemo | None:
    """``app``'s memo, None when pages are not kept."""
    return app.extensions.get(_EXTENSION)


def reader_key(user: User, locale: str) -> tuple[Hashable, ...]:
    """What the layout shows of the request and the reader: part of every page's key.

    The language, the account (id, name, role: the menu), the address with its query (the
    language switch returns to it; the page's filters), the root path and the menu's badges.
    """
    badges = request_badges(user)
    return (
        locale,
        user.id,
        user.display_name,
        user.role,
        request.script_root,
        request.full_path,
        request.endpoint,
        tuple(sorted(badges.items())),
    )


def _keepable() -> bool:
    """False while the page shows something of this request only: a flash, a form's errors."""
    return not session.get("_flashes") and not page_errors()


def render(template: str, key: Hashable, context: Callable[[], Mapping[str, Any]]) -> str:
    """``render_template(template, **context())``, or the same HTML kept under ``key``.

    ``key`` must hold every input of the page that is not in the request's path and query,
    the reader and the language (callers put those in too). ``context`` is only called to
    render: building it may cost what a hit saves.
    """
    memo = memo_for(current_app)
    if memo is None or not _keepable():
        return render_template(template, **context())
    hashed = _Key(key)
    parts = memo.get(hashed)
    if parts is None:
        calls = 0

        def marker() -> str:
            nonlocal calls
            calls += 1
            return _MARKER

        html = render_template(template, **context(), csrf_token=marker)
        parts = tuple(html.split(_MARKER))
        if len(parts) != calls + 1:
            # The marker in the page's own text (a search for it): render it as it is, unkept.
            return render_template(template, **context())
        memo.put(hashed, parts)
    if len(parts) == 1:
        return parts[0]
    # The template's csrf_token() is Flask-WTF's generate_csrf: this session's token.
    return generate_csrf().join(parts)
