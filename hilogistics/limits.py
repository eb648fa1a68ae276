"""Request size limits, applied before a body is parsed, and the trusted reverse proxies."""

from io import BytesIO
from typing import IO, Any

from flask import Flask, Request, current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.middleware.proxy_fix import ProxyFix

# Endpoints that accept file uploads, and the setting that holds their larger body limit.
UPLOAD_LIMITS = {"catalogue.items_import": "IMPORT_MAX_CONTENT_LENGTH"}


class _CountingFormDataParser(FormDataParser):
    """Werkzeug applies MAX_FORM_PARTS to multipart bodies only; apply it to urlencoded ones.

    Counting separators in the raw body is cheap; parsing 50 000 fields, then building a form
    row for each, is what pinned a worker for 30 s.
    """

    def _parse_urlencoded(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> Any:
        body = stream.read()
        if self.max_form_parts is not None and body.count(b"&") >= self.max_form_parts:
            raise RequestEntityTooLarge()
        return super()._parse_urlencoded(BytesIO(body), mimetype, content_length, options)


class LimitedRequest(Request):
    """The app's request: form-part limit on every body, a larger size limit for uploads."""

    form_data_parser_class = _CountingFormDataParser

    @property
    def max_content_length(self) -> int | None:  # type: ignore[override]
        """MAX_CONTENT_LENGTH, or the upload limit on an endpoint listed in UPLOAD_LIMITS."""
        setting = UPLOAD_LIMITS.get(self.endpoint or "")
        if self._max_content_length is None and setting is not None and current_app:
            return current_app.config[setting]  # type: ignore[no-any-return]
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def install(app: Flask) -> None:
    """Use LimitedRequest, and believe ``TRUSTED_PROXIES`` hops of X-Forwarded-For/-Proto."""
    app.request_class = LimitedRequest
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise RuntimeError("TRUSTED_PROXIES must be 0 or a positive number of proxies.")
    if hops:
        # X-Forwarded-Host is not believed: the proxy passes the Host header through (README).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
