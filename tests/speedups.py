"""Test-only shortcuts for costs the suite would otherwise pay once per test, not per process.

Every test builds its own app (``create_app``), and most of that time went into Werkzeug
compiling a URL builder for each of the app's ~330 rules: Python source generated, parsed and
compiled, identical for every app in the process. The compiled builder is a pure function of
the rule's parsed parts, so it is kept and reused here.

Each app also has its own Jinja environment, which compiled every template it rendered again
(a fifth of a page test's time): the compiled code is kept per process here too, through
Jinja's own bytecode cache, keyed by the template's source and the environment's settings.
Nothing else about an app is shared.
"""

import hashlib
from collections.abc import Callable
from types import CodeType
from typing import Any

from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
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


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates kept in memory for every app of the process.

    Jinja checks the source's checksum itself (a changed template is compiled again); the key
    adds what the compiled code depends on in the environment, so an app with other settings
    never gets another's code.
    """

    def __init__(self) -> None:
        # Code objects are immutable: kept as they are, not marshalled to bytes and back.
        self._code: dict[str, tuple[str, CodeType]] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:  # noqa: D102
        raise NotImplementedError("keys depend on the environment: see get_bucket")

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """The bucket of ``name`` for an environment configured like ``environment``."""
        key = hashlib.sha1(  # noqa: S324 (a cache key, not security)
            repr((name, filename, _settings(environment))).encode()
        ).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:  # noqa: D102
        checksum, code = self._code.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: Bucket) -> None:  # noqa: D102
        if bucket.code is not None:
            self._code[bucket.key] = (bucket.checksum, bucket.code)


def _settings(environment: Environment) -> tuple[Any, ...]:
    """The environment's settings that change the code a template compiles to."""
    return (
        environment.block_start_string,
        environment.block_end_string,
        environment.variable_start_string,
        environment.variable_end_string,
        environment.comment_start_string,
        environment.comment_end_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        environment.trim_blocks,
        environment.lstrip_blocks,
        environment.newline_sequence,
        environment.keep_trailing_newline,
        environment.optimized,
        environment.is_async,
        environment.finalize is not None,
        tuple(sorted(environment.extensions)),
        # An unknown filter or test fails at compile time: the same names compile alike.
        tuple(sorted(environment.filters)),
        tuple(sorted(environment.tests)),
    )


def reuse_compiled_templates() -> None:
    """Give every Flask app's Jinja environment the shared compiled templates (idempotent)."""
    if isinstance(Flask.jinja_options.get("bytecode_cache"), _SharedTemplateCode):
        return
    Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedTemplateCode()}
