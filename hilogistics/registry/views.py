"""Open a document by its number: ``/d/<number>`` (QR codes) and ``/d?number=`` (search box)."""

from flask import Blueprint, redirect, render_template, request
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.errors import NotFoundError
from hilogistics.registry.queries import MAX_INPUT, resolve

bp = Blueprint("registry", __name__)


@bp.get("/d/<number>")
@allow(ALL_ROLES)
def open_document(number: str) -> Response:
    """Redirect to the document's page; 404 when unknown or not visible to the reader."""
    _document, url = resolve(number, viewer=acting_user())
    return redirect(url)


@bp.get("/d")
@allow(ALL_ROLES)
def find() -> Response | str | tuple[str, int]:
    """The header's search box: open the document numbered as typed or scanned.

    Takes what ``/d/<number>`` takes, and a scanned address ending in ``/d/<number>``. An
    unknown number and a document the reader may not see answer alike: a 404 page saying no
    document has this number, with the box again holding what was typed.
    """
    typed = request.args.get("number", "")[:MAX_INPUT]
    if not typed.strip():
        return render_template("registry/find.html", typed="", not_found=False)
    try:
        _document, url = resolve(typed, viewer=acting_user())
    except NotFoundError:
        return render_template("registry/find.html", typed=typed.strip(), not_found=True), 404
    return redirect(url)
