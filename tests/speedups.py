"""Test-only shortcuts for costs the suite would otherwise pay once per test, not per process.

Every test builds its own app (``create_app``), and most of that time went into Werkzeug
compiling a URL builder for each of the app's ~330 rules: Python source generated, parsed and
compiled, identical for every app in the process. The compiled builder is a pure function of
the rule's parsed parts, so it is kept and reused here. Nothing else about an app is shared.
"""

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _builder_key(rule: Rule, append_unknown: bool) -> tuple[Any, ...] | None:
    """What the generated builder depends on, or None when it cannot be cached safely."""
    defaults = rule.defaults or {}
    # A default for a part of the URL is converted by that rule's converter into the code:
    # rare, and then not worth describing in the key.
    if any(is_dynamic and data in defaults for is_dynamic, data in rule._trace):
        return None
    try:
        hash(tuple(defaults))
    except TypeError:
        return None
    return (rule.rule, append_unknown, tuple(rule._trace), tuple(defaults))


def reuse_url_builders() -> None:
    """Make Werkzeug reuse the builder compiled for an identical rule (idempotent)."""
    original = Rule._compile_builder
    if getattr(original, "_reused", False):
        return

    def _compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        key = _builder_key(self, append_unknown)
        if key is None:
            return original(self, append_unknown)
        builder = _builders.get(key)
        if builder is None:
            builder = _builders[key] = original(self, append_unknown)
        return builder

    _compile_builder._reused = True  # type: ignore[attr-defined]
    Rule._compile_builder = _compile_builder  # type: ignore[method-assign]
