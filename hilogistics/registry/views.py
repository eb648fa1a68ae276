"""``/d/<number>``: open a document by its number, as a scanned QR code or a typed number does."""

from flask import Blueprint, redirect
from werkzeug.wrappers import Response

from hilogistics.auth.access import ALL_ROLES, acting_user, allow
from hilogistics.registry.queries import resolve

bp = Blueprint("registry", __name__)


@bp.get("/d/<number>")
@allow(ALL_ROLES)
def open_document(number: str) -> Response:
    """Redirect to the document's page; 404 when unknown or not visible to the reader."""
    _document, url = resolve(number, viewer=acting_user())
    return redirect(url)
