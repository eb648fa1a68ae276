"""Small reads kept between requests: the menu's badge counts, a filter form's choices.

Some reads are the same for many requests and change rarely (how many requisitions wait for
review, the categories in a filter), yet cost each page a statement. ``kept(key, read)`` reuses
a value for up to ``TTL_S`` seconds, in this process, under three rules:

- any commit in this process that wrote empties the cache (a form, a service, a script);
- a request that wrote stamps its browser session, and a value read before that stamp is never
  shown to that session again: the reader's own change shows on the next page, whichever
  worker serves it;
- another person's change made in another worker shows at most ``TTL_S`` seconds late.

Only for values where that lateness is harmless (badges, choices): lists and pages that show
the data itself always read it afresh.
"""

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, session
from sqlalchemy import event

from hilogistics.db import db, written

T = TypeVar("T")

# How long a kept value is reused before it is read again (seconds).
TTL_S = 30.0
# Values kept at most; one per role and place and day for the badges, one per language for
# choices: a bound against a leak, never reached in use.
MAX_ENTRIES = 1000
# The session key holding when this browser session's last write committed (seconds).
_WROTE_AT = "wrote_at"
_EXTENSION = "hilogistics.readcache"


class ReadCache:
    """The values kept by one app in this process: ``key -> (read at, value)``."""

    def __init__(self) -> None:
        self.entries: dict[Hashable, tuple[float, Any]] = {}

    def clear(self) -> None:
        """Forget every value: a write committed in this process."""
        self.entries = {}


def install(app: Flask) -> None:
    """Give ``app`` its cache and the hooks that empty it (call before hilogistics.db's events).

    The "commit" listener must run before the ones ``install_sqlite_events`` and
    ``install_write_tracking`` add: they forget, at the commit, whether the transaction wrote.
    """
    cache = ReadCache()
    app.extensions[_EXTENSION] = cache

    def _on_commit(connection: Any) -> None:
        if written(connection):
            cache.clear()
            if has_request_context():
                g.readcache_wrote = True

    event.listen(db.engine, "commit", _on_commit)

    @app.before_request
    def _started() -> None:
        g.readcache_started = time.time()

    @app.after_request
    def _stamp(response: Response) -> Response:
        if g.get("readcache_wrote"):
            session[_WROTE_AT] = time.time()
        return response


def kept(key: Hashable, read: Callable[[], T], *, fresh: bool = False) -> T:
    """``read()``'s value, reused from an earlier request when recent enough (see the module).

    ``fresh`` reads anew (and keeps the new value): for a page that must show current figures.
    The value is shared between requests: callers never change it.
    """
    cache: ReadCache | None = (
        current_app.extensions.get(_EXTENSION) if has_request_context() else None
    )
    if cache is None:
        return read()
    # A value is stamped with the start of the request that read it, before its transaction
    # began: conservative against the session's own write stamp.
    started = g.get("readcache_started") or time.time()
    entries = cache.entries
    found = entries.get(key)
    if (
        not fresh
        and found is not None
        and started - found[0] < TTL_S
        and found[0] > session.get(_WROTE_AT, 0.0)
    ):
        return found[1]
    value = read()
    if len(entries) >= MAX_ENTRIES:
        entries.clear()
    if cache.entries is entries:  # no write emptied the cache while reading
        entries[key] = (started, value)
    return value
