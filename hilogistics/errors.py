"""DomainError hierarchy, and the HTML/JSON error pages (which always roll the session back)."""

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from hilogistics.db import db


class DomainError(Exception):
    """A business rule refused the operation; the message is shown to the user as it is."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(DomainError):
    """The thing asked for does not exist or is not visible to the actor."""

    status_code = 404


class PermissionDeniedError(DomainError):
    """The actor may not perform this operation."""

    status_code = 403


class ConflictError(DomainError):
    """The operation clashes with the current state (a duplicate, a stale version)."""

    status_code = 409


_TITLES = {
    400: _l("Bad request"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("The operation was refused"),
    413: _l("Too much data sent"),
    422: _l("The operation was refused"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}
_EXPLANATIONS = {
    400: _l("The request could not be understood. Go back, reload the page and try again."),
    403: _l("Your account is not allowed to open this page."),
    404: _l("There is no page at this address. Check the address or use the menu."),
    405: _l("This address does not accept that kind of request."),
    409: _l("It clashes with what was recorded meanwhile. Nothing was changed."),
    413: _l(
        "The file or form you sent is larger than the allowed size, or has too many fields. "
        "Nothing was saved."
    ),
    422: _l("A rule does not allow it. Nothing was changed."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("The server could not finish your request. Nothing was saved. Try again later."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, detail: str | None = None) -> tuple[Response | str, int]:
    # Whatever failed, never leave a half-done transaction for the next use of the session.
    db.session.rollback()
    if _wants_json():
        body = {
            "error": str(_TITLES.get(code, code)),
            "message": detail or str(_EXPLANATIONS[code]),
        }
        return jsonify(body), code
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=_TITLES.get(code, _TITLES[500]),
            explanation=detail or _EXPLANATIONS.get(code, _EXPLANATIONS[500]),
        ),
        code,
    )


def register_error_handlers(app: Flask) -> None:
    """Attach the error pages to the app."""

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[Response | str, int]:
        return _render(
            400, str(_l("The form expired or was sent twice. Reload the page and try again."))
        )

    @app.errorhandler(NotFoundError)
    def _not_found(_error: NotFoundError) -> tuple[Response | str, int]:
        return _render(404)

    @app.errorhandler(PermissionDeniedError)
    def _denied(_error: PermissionDeniedError) -> tuple[Response | str, int]:
        return _render(403)

    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> tuple[Response | str, int]:
        # A rule refused an operation that the view did not handle itself: say why, change nothing.
        return _render(error.status_code, error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response | tuple[Response | str, int]:
        code = error.code or 500
        if code not in _EXPLANATIONS:
            return error.get_response()
        return _render(code)

    @app.errorhandler(InternalServerError)
    def _internal(_error: InternalServerError) -> tuple[Response | str, int]:
        return _render(500)
