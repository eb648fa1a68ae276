"""Templates translate with gettext bound once per render (i18n.bound_gettext): same words."""

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

pytestmark = pytest.mark.backends("sqlite")  # no database involved

SOURCE = (
    "{{ _('Sign out') }}|"
    "{{ _('Page %(page)d of %(pages)d (%(total)d in all)', page=2, pages=3, total=41) }}|"
    "{{ _('Stock on hand at %(place)s', place=place) }}|"
    "{{ ngettext('%(num)d line waits for a recount: the count cannot be posted before.',"
    " '%(num)d lines wait for a recount: the count cannot be posted before.', 1) }}|"
    "{{ ngettext('%(num)d line waits for a recount: the count cannot be posted before.',"
    " '%(num)d lines wait for a recount: the count cannot be posted before.', 3) }}|"
    "{{ gettext('100%% sure') }}|{{ pgettext('ctx', 'Open') }}|"
    "{% trans n=2 %}{{ n }} thing{% pluralize %}{{ n }} things{% endtrans %}"
)
PLACE = '<Depot> & "Co"'


def _flask_babel_render(app: Flask) -> str:
    """The same source through the environment's globals: Flask-Babel's own callables."""
    return app.jinja_env.from_string(SOURCE).render(place=PLACE)


@pytest.mark.parametrize("locale", ["en", "fr", "ko_KP"])
def test_bound_gettext_says_what_flask_babel_says(app: Flask, locale: str) -> None:
    """Each language's words, plurals, escaped %-variables and trans blocks are unchanged."""
    with app.test_request_context(headers={"Accept-Language": locale.replace("_", "-")}):
        bound = render_template_string(SOURCE, place=PLACE)
        assert bound == _flask_babel_render(app)
        assert "&lt;Depot&gt; &amp; &#34;Co&#34;" in bound
        # The bound callables are the ones rendering (not Flask-Babel's globals).
        assert render_template_string("{{ gettext.__module__ }}") == "hilogistics.i18n"
    if locale == "fr":
        assert "Se déconnecter|Page 2 sur 3 (41 au total)" in bound
    if locale == "en":
        assert bound.startswith("Sign out|Page 2 of 3 (41 in all)|")
        assert "1 line waits" in bound
        assert "3 lines wait" in bound


def test_bound_gettext_follows_force_locale_and_the_session(app: Flask) -> None:
    """A render inside force_locale, and after the session's choice changes, uses that language."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
        with force_locale("fr"):
            assert render_template_string("{{ _('Sign out') }}") == "Se déconnecter"
        assert render_template_string("{{ _('Sign out') }}") == "Sign out"
    # A new app context: g (where Flask-Babel keeps the locale) belongs to it.
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "fr"}):
        assert render_template_string("{{ _('Sign out') }}") == "Se déconnecter"
