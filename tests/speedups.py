"""Test-only shortcuts for costs the suite would otherwise pay once per test, not per process.

Every test builds its own app (``create_app``), and most of that time went into Werkzeug
compiling a URL builder for each of the app's ~330 rules: Python source generated, parsed and
compiled, identical for every app in the process. The compiled builder is a pure function of
the rule's parsed parts, so it is kept and reused here.

Each app also has its own Jinja environment, which compiled every template it rendered again
(a fifth of a page test's time): the compiled code is kept per process here too, through
Jinja's own bytecode cache, keyed by the template's source and the environment's settings.

And each app has its own SQLAlchemy engine, whose statement cache starts empty: every test
compiled every statement again (among them the ledger audit after each test). SQLAlchemy keys
that cache by the dialect object; here engines whose dialects are configured alike (same class,
same server version and settings) look their statements up in one cache per process. Each
engine keeps its own dialect, pool, connections and events. Nothing else about an app is shared.
"""

import hashlib
from collections.abc import Callable
from functools import partial
from io import BytesIO
from pathlib import Path
from types import BuiltinFunctionType, CodeType, FunctionType, MethodType
from typing import Any

import flask_sqlalchemy
from flask import Flask
from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Mapper
from sqlalchemy.util import LRUCache
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


# Statements compiled by any engine of the process, under the fingerprint of their dialect.
_statements: LRUCache = LRUCache(5000)


def _dialect_fingerprint(dialect: Dialect) -> tuple[Any, ...]:
    """The dialect's class and its settings (server version, paramstyle, serializers, ...).

    Two dialects with equal fingerprints compile a statement alike. The other objects on a
    dialect (its DBAPI module, identifier preparer, type compiler) follow from the class and
    these settings; a function set on it (a JSON serializer) counts by identity.
    """
    settings = []
    for name, value in sorted(vars(dialect).items()):
        if isinstance(value, str | int | float | bool | type(None) | tuple):
            settings.append((name, value))
        elif isinstance(value, FunctionType | MethodType | BuiltinFunctionType | partial):
            settings.append((name, id(value)))
    return (type(dialect), tuple(settings))


class _SharedStatementCache:
    """An engine's compiled cache that stores into the process-wide one by fingerprint.

    The fingerprint is taken at every look-up, not once: a dialect's settings change when it
    first connects (server version and what follows from it).
    """

    def _key(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        return (_dialect_fingerprint(key[0]), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:  # noqa: D102
        return _statements.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        _statements[self._key(key)] = value

    def __len__(self) -> int:
        return len(_statements)

    def clear(self) -> None:  # noqa: D102
        _statements.clear()


def share_compiled_statements() -> None:
    """Make every Flask-SQLAlchemy engine use the process-wide statement cache (idempotent)."""
    original = flask_sqlalchemy.SQLAlchemy._make_engine
    if getattr(original, "_shared", False):
        return

    def _make_engine(
        self: Any, bind_key: str | None, options: dict[str, Any], app: Flask
    ) -> Engine:
        engine = original(self, bind_key, options, app)
        if engine._compiled_cache is not None:  # query_cache_size=0 keeps caching off
            engine._compiled_cache = _SharedStatementCache()  # type: ignore[assignment]
        return engine

    _make_engine._shared = True  # type: ignore[attr-defined]
    flask_sqlalchemy.SQLAlchemy._make_engine = _make_engine  # type: ignore[method-assign]
    # The ORM's flushes (INSERT, UPDATE, DELETE) use a cache of the mapper's, keyed alike.
    mapper_cache = _SharedStatementCache()
    Mapper._compiled_cache = property(lambda _mapper: mapper_cache)  # type: ignore[assignment]


# The static folder's version, by the name, size and modification time of each of its files.
_static_versions: dict[tuple[Any, ...], str] = {}


def reuse_static_version() -> None:
    """Hash the static folder (9 MB of fonts) again only when one of its files changed.

    ``create_app`` names its static URL after a digest of every static file's content, read
    afresh for each app: a fortieth of a second per test. ``static_version`` itself (which
    tests/test_web_assets.py checks on folders of its own) is left as it is.
    """
    import hilogistics
    from hilogistics import web_assets

    if getattr(hilogistics.static_url_path, "_reused", False):
        return

    def static_url_path() -> str:
        folder = web_assets.STATIC_FOLDER
        key = tuple(
            (path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns)
            for path in sorted(folder.rglob("*"))
            if path.is_file() and (stat := path.stat())
        )
        if key not in _static_versions:
            _static_versions.clear()
            _static_versions[key] = web_assets.static_url_path()
        return _static_versions[key]

    static_url_path._reused = True  # type: ignore[attr-defined]
    hilogistics.static_url_path = static_url_path  # type: ignore[attr-defined]


# Font subsets fpdf2 made, by font file, glyph names and subsetting options: the subset font.
_font_subsets: dict[tuple[Any, ...], bytes] = {}


def reuse_font_subsets() -> None:
    """Make fpdf2 subset a font for a set of glyphs once per process (idempotent).

    Every PDF has fontTools cut the two embedded fonts down to the glyphs it uses: about half
    a second per document, most of the time of the tests that print (test_fuzz fetches 300
    documents per database). The cut is a pure function of the font file, the glyph names
    and the options, so its result is kept and loaded again for a document that uses the same
    glyphs; a new set of glyphs is still cut by fontTools. Only fpdf2's own use is affected
    (its ``fpdf.output.ftsubset``), not fontTools for anything else.
    """
    import types

    import fpdf.output
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    if getattr(fpdf.output.ftsubset, "_reused", False):
        return

    class Subsetter(ftsubset.Subsetter):
        """fontTools' subsetter, answering from the kept subsets where it can."""

        def populate(self, *args: Any, **kwargs: Any) -> None:
            self._asked = repr((args, sorted((k, sorted(v)) for k, v in kwargs.items())))
            super().populate(*args, **kwargs)

        def subset(self, font: TTFont) -> None:
            name = getattr(font.reader, "file", None) and font.reader.file.name
            if not isinstance(name, str):
                super().subset(font)
                return
            stat = Path(name).stat()
            key = (
                name,
                stat.st_size,
                stat.st_mtime_ns,
                font.recalcBBoxes,
                font.recalcTimestamp,
                self._asked,
                repr(sorted(vars(self.options).items())),
            )
            kept = _font_subsets.get(key)
            if kept is None:
                super().subset(font)
                output = BytesIO()
                font.save(output)
                _font_subsets[key] = output.getvalue()
                return
            recalc = {"recalcBBoxes": font.recalcBBoxes, "recalcTimestamp": font.recalcTimestamp}
            font.close()  # the original file, which the kept subset replaces
            cut = TTFont(BytesIO(kept), lazy=font.lazy, **recalc)
            font.__dict__.clear()
            font.__dict__.update(cut.__dict__)

    shim = types.ModuleType(ftsubset.__name__)
    shim.__dict__.update(ftsubset.__dict__)
    shim.Subsetter = Subsetter  # type: ignore[attr-defined]
    shim._reused = True  # type: ignore[attr-defined]
    fpdf.output.ftsubset = shim  # type: ignore[attr-defined]


def cheaper_unknown_user_check() -> None:
    """Check an unknown username's password against a test-strength hash (idempotent).

    The app checks the password of an unknown username against a dummy scrypt hash, so that
    it costs what a wrong password costs. Test users carry a cheaper scrypt hash
    (tests/factories.py), and so does the dummy here: the two still cost the same, at ~3 ms
    instead of ~100 per sign-in (the throttle tests sign in wrongly dozens of times). The
    production dummy stays reachable as ``_dummy_hash.production`` for tests/test_speedups.py.
    """
    from functools import cache

    from werkzeug.security import generate_password_hash

    from hilogistics.auth import services
    from tests.factories import TEST_HASH_METHOD

    if hasattr(services._dummy_hash, "production"):
        return
    production = services._dummy_hash

    @cache
    def _dummy_hash() -> str:
        return generate_password_hash("not a real password", method=TEST_HASH_METHOD)

    _dummy_hash.production = production  # type: ignore[attr-defined]
    services._dummy_hash = _dummy_hash
