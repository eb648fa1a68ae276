"""Interface language: choose the locale per request, and helpers for templates."""

from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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
    user = current_user._get_current_object() if current_user else None  # one proxy lookup
    if user and user.is_authenticated and user.locale in languages:
        return user.locale
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


def bound_gettext() -> dict[str, Callable[..., Any]]:
    """Jinja's ``gettext``, ``ngettext``, ``pgettext``, ``npgettext`` on this render's catalogue.

    Flask-Babel's own (global on the Jinja environment) find the locale and the translations
    again through ``g`` on every ``_()``, about forty times a page. These are bound to the
    translations Flask-Babel gives when the template starts rendering (a context processor: a
    ``force_locale`` around the render still applies); what they return is what Jinja's
    newstyle gettext returns (Markup under autoescape, then ``%`` with the keyword arguments).
    Macros imported without context keep the global ones: same words, the longer way.
    """
    translations = get_translations()
    ugettext, ungettext = translations.ugettext, translations.ungettext
    upgettext, unpgettext = translations.upgettext, translations.unpgettext

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        return _formatted(__context, ugettext(__string), variables)

    @pass_context
    def ngettext(
        __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", __num)
        return _formatted(__context, ungettext(__singular, __plural, __num), variables)

    @pass_context
    def pgettext(__context: Context, __string_ctx: str, __string: str, **variables: Any) -> str:
        variables.setdefault("context", __string_ctx)
        return _formatted(__context, upgettext(__string_ctx, __string), variables)

    @pass_context
    def npgettext(
        __context: Context,
        __string_ctx: str,
        __singular: str,
        __plural: str,
        __num: int,
        **variables: Any,
    ) -> str:
        variables.setdefault("context", __string_ctx)
        variables.setdefault("num", __num)
        text = unpgettext(__string_ctx, __singular, __plural, __num)
        return _formatted(__context, text, variables)

    return {"gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def _formatted(context: Context, text: str, variables: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        # As Jinja: the catalogue's text is trusted markup; the variables get escaped by %.
        text = Markup(text)  # noqa: S704
    # Always a format string, even without variables, as Jinja's newstyle gettext.
    return text % variables
