"""Light pages for slow links: versioned static URLs cached for a year, and gzip on text.

Every static URL carries a digest of the whole static folder (``/static/<digest>/css/app.css``),
so a browser keeps each file for a year without asking again, and any change to any file, after
an upgrade, moves every URL at once: relative references (fonts from the stylesheet) stay right.
"""

import gzip
import hashlib
from pathlib import Path

from flask import Flask, request
from werkzeug.wrappers import Response

STATIC_FOLDER = Path(__file__).resolve().parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
_COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/csv",
        "text/plain",
        "application/javascript",
        "text/javascript",
        "application/json",
        "image/svg+xml",
    }
)
_MIN_SIZE = 600  # below this, gzip's header costs more than it saves


def static_version(folder: Path = STATIC_FOLDER) -> str:
    """A short digest of every file's path and content under the static folder."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def static_url_path() -> str:
    """The URL prefix the app serves its static folder under."""
    return f"/static/{static_version()}"


def _compress(response: Response) -> Response:
    # SameSite=Lax session cookies are not sent with the cross-site subresource requests a
    # BREACH-style attack on compressed pages needs, so compressing pages is safe here.
    if (
        response.status_code != 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or response.headers.get("Content-Encoding")
        or response.mimetype not in _COMPRESSIBLE
        or (response.is_streamed and not response.direct_passthrough)
    ):
        return response
    source = response.response
    response.direct_passthrough = False  # static files are sent as a file: read them here
    body = response.get_data()
    close = getattr(source, "close", None)
    if close is not None:  # the file wrapper is replaced by the bytes: release the file now
        close()
    if len(body) < _MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:  # the compressed bytes are another representation: another tag
        response.set_etag(f"{etag}-gz", weak=weak)
    response.vary.add("Accept-Encoding")
    return response


def init_web_assets(app: Flask) -> None:
    """Cache versioned static files for a year and compress text responses."""

    @app.after_request
    def _light(response: Response) -> Response:
        if request.endpoint == "static":
            response.headers["Cache-Control"] = IMMUTABLE
        return _compress(response)
