"""Light pages: versioned static URLs cached for a year, gzip on text, small web fonts."""

import gzip
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from hilogistics.web_assets import STATIC_FOLDER, static_version

CSS_LINK = re.compile(r'href="(/static/[0-9a-f]{12}/css/app\.css)"')


def static_href(client: FlaskClient) -> str:
    body = client.get("/login").get_data(as_text=True)
    match = CSS_LINK.search(body)
    assert match, "the page links no versioned stylesheet"
    return match[1]


def test_pages_link_static_files_under_the_folders_digest(app: Flask, client: FlaskClient) -> None:
    assert static_href(client) == f"/static/{static_version()}/css/app.css"


def test_static_files_are_cached_for_a_year_without_revalidation(client: FlaskClient) -> None:
    with client.get(static_href(client)) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_pages_are_never_cached(client: FlaskClient) -> None:
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_an_old_version_of_a_static_url_is_not_served(client: FlaskClient) -> None:
    assert client.get("/static/000000000000/css/app.css").status_code == 404


def test_any_change_in_the_static_folder_changes_the_digest(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a{}")
    before = static_version(tmp_path)
    (tmp_path / "css" / "a.css").write_text("b{}")
    assert static_version(tmp_path) != before


def test_html_and_css_are_gzipped_when_the_browser_accepts_it(client: FlaskClient) -> None:
    plain = client.get("/login")
    packed = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    # Same page but for the one-time form key and CSRF token, which differ on every view.
    assert len(gzip.decompress(packed.get_data())) > 2 * len(packed.get_data())
    css = client.get(static_href(client), headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.get_data()) == (STATIC_FOLDER / "css" / "app.css").read_bytes()


def test_fonts_are_small_woff2_slices_never_the_full_ttf(client: FlaskClient) -> None:
    css = (STATIC_FOLDER / "css" / "fonts.css").read_text(encoding="utf-8")
    sources = re.findall(r'url\("\.\./fonts/([^"]+)"\)', css)
    assert sources and all(s.startswith("web/") and s.endswith(".woff2") for s in sources)
    assert all("unicode-range" in rule for rule in css.split("@font-face")[1:])
    for source in sources:
        assert (STATIC_FOLDER / "fonts" / source).stat().st_size < 60_000, source
    url = f"/static/{static_version()}/fonts/{sources[0]}"
    with client.get(url, headers={"Accept-Encoding": "gzip"}) as woff2:
        assert woff2.status_code == 200
        assert "Content-Encoding" not in woff2.headers  # already compressed


def test_every_korean_syllable_of_the_interface_is_in_the_core_slice() -> None:
    po = STATIC_FOLDER.parent / "translations" / "ko_KP" / "LC_MESSAGES" / "messages.po"
    used = {c for c in po.read_text(encoding="utf-8") if 0xAC00 <= ord(c) <= 0xD7A3}
    css = (STATIC_FOLDER / "css" / "fonts.css").read_text(encoding="utf-8")
    core = next(rule for rule in css.split("@font-face") if "400-hangul-core" in rule)
    declared: set[int] = set()
    for part in re.search(r"unicode-range: ([^;]+);", core)[1].split(", "):
        start, _, end = part.removeprefix("U+").partition("-")
        declared.update(range(int(start, 16), int(end or start, 16) + 1))
    missing = sorted(c for c in used if ord(c) not in declared)
    assert not missing, f"run scripts/subset-fonts.py: {''.join(missing[:40])}"


def test_buttons_wrap_their_words_on_a_narrow_screen() -> None:
    # At 320 px (400 % zoom) French labels such as "Afficher les rangées collées comme lignes"
    # are wider than the screen; an <input type=submit> keeps one line unless told otherwise.
    css = (Path(__file__).parent.parent / "hilogistics/static/css/app.css").read_text()
    rule = re.search(r"\n\.button \{(.*?)\}", css, re.S)
    assert rule is not None
    assert "white-space: normal" in rule[1] and "max-width: 100%" in rule[1]
