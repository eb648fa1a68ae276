"""Interface language: choose the locale per request, and helpers for templates."""

from collections.abc import Mapping

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

# Browsers send "ko" or "ko-KR"; the interface's Korean is the North's standard, ko_KP.
_PRIMARY_TO_LOCALE = {"en": "en", "ko": "ko_KP", "fr": "fr"}


def select_locale() -> str:
    """Session choice, then the account's preference, then the browser's languages, then English."""
    if not has_request_context():  # command line, background work
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    for tag, _quality in request.accept_languages:
        locale = _PRIMARY_TO_LOCALE.get(tag.replace("_", "-").split("-")[0].lower())
        if locale:
            return locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def localised_setting(value: str | Mapping[str, str], locale: str) -> str:
    """A configured name: the string itself, or its entry for ``locale`` (else English)."""
    if isinstance(value, str):
        return value
    return value.get(locale) or value.get("en") or next(iter(value.values()), "")


def current_locale() -> str:
    """The interface language of this request as a string (ko_KP, fr, en)."""
    locale = get_locale()
    return str(locale) if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang(locale: str) -> str:
    """The BCP 47 tag for the html lang attribute (ko_KP → ko-KP)."""
    return locale.replace("_", "-")
