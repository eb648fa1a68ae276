"""Translations: every string translated and compiled, and the language each page is shown in."""

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from hilogistics.auth.models import Role, User
from hilogistics.db import db
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "hilogistics" / "translations"
GLOSSARY = TRANSLATIONS / "GLOSSARY.md"
LOCALES = ["ko_KP", "fr"]
# The keywords scripts/translations.sh gives pybabel besides the defaults.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    # Printed documents say their words in two languages (hilogistics/documents/layout.py).
    "both": None,
    "words": None,
    "msg": None,
}
# A %-format directive: %(name)s, %d, %%.
DIRECTIVE = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[a-zA-Z%]")

SIGN_IN = {"en": "Sign in", "ko_KP": "들어가기", "fr": "Se connecter"}
# South Korean spellings, and the North Korean standard (문화어) the interface uses instead.
SOUTH_KOREAN_FORMS = {
    "이용자": "리용자",
    "사용자": "리용자",
    "오류": "오유",
    "페이지": "페지",
    "센터": "쎈터",
    "로그인": "들어가기",
    "로그아웃": "나가기",
    "비밀번호": "암호",
    "컴퓨터": "콤퓨터",
    "메뉴": "차림표",
    "서버": "봉사기",
    "파일": "화일",
}


def source_msgids() -> set[str]:
    """Every msgid in the code right now, found the way scripts/translations.sh finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)

    def wanted(path: str) -> bool:
        # As --ignore-dirs='.* __pycache__': Babel's default would skip templates/_macros/.
        name = Path(path).name
        return not name.startswith(".") and name != "__pycache__"

    extracted = extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    )
    return {msgid if isinstance(msgid, str) else msgid[0] for _f, _l, msgid, *_ in extracted}


def load_po(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def load_mo(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as handle:
        return read_mo(handle)


def as_texts(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message id or string, singular or plural, as a tuple of texts."""
    return (value,) if isinstance(value, str) else tuple(value)


def translations(catalog: Catalog) -> dict[tuple[str, ...], tuple[str, ...]]:
    """msgid → msgstr for every message but the header."""
    return {as_texts(m.id): as_texts(m.string) for m in catalog if m.id}


def test_the_source_has_strings_to_translate_in_templates_macros_and_python() -> None:
    msgids = source_msgids()
    assert {"Sign in", "Previous page", "Logistics staff", "Page not found"} <= msgids


@pytest.mark.parametrize("locale", LOCALES)
def test_every_interface_string_is_translated_in_every_language(locale: str) -> None:
    catalog = load_po(locale)
    missing = sorted(msgid for msgid in source_msgids() if catalog.get(msgid) is None)
    assert missing == [], f"run scripts/translations.sh; not in {locale}: {missing}"
    untranslated = sorted(
        message.id for message in catalog if message.id and not all(as_texts(message.string))
    )
    assert untranslated == [], f"empty msgstr in {locale}: {untranslated}"
    fuzzy = sorted(message.id for message in catalog if message.id and message.fuzzy)
    assert fuzzy == [], f"fuzzy (unchecked) translations in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_compiled_catalogue_matches_its_po_file(locale: str) -> None:
    po, mo = translations(load_po(locale)), translations(load_mo(locale))
    stale = sorted(
        msgids[0] for msgids in po.keys() | mo.keys() if po.get(msgids) != mo.get(msgids)
    )
    assert stale == [], f"{locale} messages.mo is stale, run scripts/translations.sh: {stale}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_the_placeholders_of_the_english_text(locale: str) -> None:
    wrong = {}
    for msgids, msgstrs in translations(load_po(locale)).items():
        expected = Counter(DIRECTIVE.findall(msgids[-1]))
        for msgstr in msgstrs:
            if Counter(DIRECTIVE.findall(msgstr)) != expected:
                wrong[msgids[0]] = msgstr
    assert wrong == {}


def test_korean_uses_the_north_korean_standard_forms() -> None:
    found = {
        message.id: f"{south} → {north}"
        for message in load_po("ko_KP")
        if message.id
        for south, north in SOUTH_KOREAN_FORMS.items()
        if any(south in text for text in as_texts(message.string))
    }
    assert found == {}


def glossary_rejections() -> dict[str, dict[str, str]]:
    """locale → {rejected word: the glossary's word}, read from the table in GLOSSARY.md."""
    columns = {"ko_KP": ("조선어", "Rejected 조선어"), "fr": ("Français", "Rejected français")}
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]
    header, body = rows[0], rows[1:]
    rejections: dict[str, dict[str, str]] = {locale: {} for locale in columns}
    for locale, (word_column, rejected_column) in columns.items():
        word_at, rejected_at = header.index(word_column), header.index(rejected_column)
        for row in body:
            for rejected in filter(None, (form.strip() for form in row[rejected_at].split(","))):
                rejections[locale][rejected] = row[word_at]
    return rejections


def rejected_form_in(locale: str, rejected: str, text: str) -> bool:
    """Korean words carry their particles, so any occurrence counts; French ones are whole words."""
    if locale == "ko_KP":
        return rejected in text
    return re.search(rf"(?<!\w){re.escape(rejected)}(?!\w)", text, re.IGNORECASE) is not None


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_use_the_glossary_words_not_the_rejected_variants(locale: str) -> None:
    rejections = glossary_rejections()[locale]
    assert len(rejections) >= 5, "the glossary table lost its Rejected columns"
    found = {
        message.id: f"{rejected} → {word}"
        for message in load_po(locale)
        if message.id
        for rejected, word in rejections.items()
        if any(rejected_form_in(locale, rejected, text) for text in as_texts(message.string))
    }
    assert found == {}, "see hilogistics/translations/GLOSSARY.md"


@pytest.mark.parametrize(
    ("locale", "pattern", "advice"),
    [
        ("fr", r"(?<=\w)'(?=\w)", "write ’ (as in « l’article »), not '"),
        ("ko_KP", r'[“”"]', "quote with 《 》"),
    ],
    ids=["french typographic apostrophe", "korean double angle brackets"],
)
def test_translations_use_the_house_punctuation(locale: str, pattern: str, advice: str) -> None:
    wrong = {
        message.id: text
        for message in load_po(locale)
        if message.id
        for text in as_texts(message.string)
        if re.search(pattern, text)
    }
    assert wrong == {}, advice


def login_page(client: FlaskClient, accept_language: str | None = None) -> str:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = client.get("/login", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept_language", "locale"),
    [
        ("ko-KP", "ko_KP"),
        ("ko-KR", "ko_KP"),
        ("ko", "ko_KP"),
        ("fr-FR", "fr"),
        ("de-DE, fr;q=0.8, en;q=0.5", "fr"),
        ("en-GB", "en"),
        (None, "en"),
    ],
)
def test_the_login_page_follows_the_browser_language(
    client, accept_language: str | None, locale: str
) -> None:
    page = login_page(client, accept_language)
    assert f'<html lang="{locale.replace("_", "-")}">' in page
    assert SIGN_IN[locale] in page
    if locale != "en":
        assert SIGN_IN["en"] not in page


def test_the_language_switch_applies_to_the_following_pages(client) -> None:
    response = client.post("/language", data={"locale": "fr", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    page = login_page(client, accept_language="ko-KP")  # the choice beats the browser's
    assert '<html lang="fr">' in page and "Se connecter" in page
    assert "Nom d’utilisateur" in page and "Mot de passe" in page


def test_an_unknown_language_is_ignored(client) -> None:
    response = client.post("/language", data={"locale": "de", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in login_page(client)


def test_a_signed_in_user_keeps_the_chosen_language_on_the_account(app, client, login_as) -> None:
    user = login_as(Role.VIEWER)
    response = client.post("/language", data={"locale": "ko_KP", "next": "/"})
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="ko-KP">' in page
    assert "나가기" in page and "열람자 (읽기만)" in page
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "ko_KP"

    elsewhere = app.test_client()  # another computer: no session choice, an English browser
    sign_in(elsewhere, user)
    page = elsewhere.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko-KP">' in page and "나가기" in page


def test_built_in_form_messages_use_the_interfaces_korean(client, login_as) -> None:
    login_as(Role.VIEWER)
    client.post("/language", data={"locale": "ko_KP", "next": "/"})
    body = client.post("/account/password", data={}).get_data(as_text=True)
    assert "반드시 입력하여야 합니다." in body
    assert "This field is required." not in body


def test_the_partner_name_follows_the_language(client) -> None:
    assert "Korean Federation for the Protection of the Disabled" in client.get("/login").get_data(
        as_text=True
    )
    client.post("/language", data={"locale": "ko_KP", "next": "/login"})
    assert "조선장애자보호련맹" in client.get("/login").get_data(as_text=True)
