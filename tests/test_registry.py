"""The registry of documents: numbering, the resolver and /d/<number>, the print log, links."""

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hilogistics.actors import SYSTEM
from hilogistics.auth.models import Role, User
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.errors import DomainError, NotFoundError, PermissionDeniedError
from hilogistics.registry.models import Document, DocumentCounter, DocumentPrint, DocumentType
from hilogistics.registry.queries import (
    find_document,
    normalise_number,
    page_of,
    register_page,
    resolve,
    unregister_page,
)
from hilogistics.registry.services import log_print, register_document
from tests.factories import make_item, make_location, make_user, make_warehouse, receive
from tests.races import race

SHP, DIS, CNT = DocumentType.SHIPMENT, DocumentType.DISTRIBUTION, DocumentType.COUNT


def numbers(*documents: Document) -> list[str]:
    return [document.number for document in documents]


def test_numbers_run_per_type_and_year_with_five_digits(app: Flask) -> None:
    on = date(2026, 3, 1)
    made = [register_document(type=SHP, actor=SYSTEM, on=on) for _ in range(3)]
    made.append(register_document(type=DIS, actor=SYSTEM, on=on))
    made.append(register_document(type=SHP, actor=SYSTEM, on=date(2025, 7, 9)))
    assert numbers(*made) == [
        "SHP-2026-00001",
        "SHP-2026-00002",
        "SHP-2026-00003",
        "DIS-2026-00001",
        "SHP-2025-00001",
    ]
    assert [(d.type, d.year, d.sequence) for d in made[:2]] == [(SHP, 2026, 1), (SHP, 2026, 2)]


def test_a_new_year_starts_again_at_one_and_backdated_documents_continue_their_year(
    app: Flask,
) -> None:
    december = register_document(type=SHP, actor=SYSTEM, on=date(2026, 12, 31))
    january = register_document(type=SHP, actor=SYSTEM, on=date(2027, 1, 1))
    keyed_late = register_document(type=SHP, actor=SYSTEM, on=date(2026, 12, 30))
    assert numbers(december, january, keyed_late) == [
        "SHP-2026-00001",
        "SHP-2027-00001",
        "SHP-2026-00002",
    ]
    counters = db.session.execute(
        select(DocumentCounter.year, DocumentCounter.last).order_by(DocumentCounter.year)
    ).all()
    assert [tuple(row) for row in counters] == [(2026, 2), (2027, 1)]


def test_the_number_takes_the_year_of_the_business_date_and_records_who(app: Flask) -> None:
    clerk = make_user(Role.LOGISTICS)
    document = register_document(type=CNT, actor=clerk)
    assert document.number.startswith(f"CNT-{business_today().year}-")
    assert document.created_by_id == clerk.id
    assert document.print_count == 0


def test_an_unknown_type_is_refused(app: Flask) -> None:
    with pytest.raises(DomainError):
        register_document(type="XYZ", actor=SYSTEM)  # type: ignore[arg-type]


def test_a_rolled_back_number_is_given_again_so_committed_numbers_have_no_gap(
    app: Flask,
) -> None:
    first = register_document(type=SHP, actor=SYSTEM, on=date(2026, 1, 5)).number
    db.session.commit()
    register_document(type=SHP, actor=SYSTEM, on=date(2026, 1, 5))
    db.session.rollback()
    again = register_document(type=SHP, actor=SYSTEM, on=date(2026, 1, 5)).number
    assert (first, again) == ("SHP-2026-00001", "SHP-2026-00002")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SHP-2026-00042", "SHP-2026-00042"),
        ("  shp-2026-00042  ", "SHP-2026-00042"),
        ("SHP-2026-00042\n", "SHP-2026-00042"),  # a scanner's Enter
        ("SHP-2026-00042\r\n", "SHP-2026-00042"),
        ("\tdis-2026-7", "DIS-2026-00007"),  # typed without the zeros
        ("http://hilo.local/d/REQ-2025-00003", "REQ-2025-00003"),  # a scanned address
        ("CNT-2026-123456", "CNT-2026-123456"),  # past 99999
        ("", None),
        ("   ", None),
        (None, None),
        ("SHP-2026-00000", None),
        ("SHP-26-00001", None),
        ("XYZ-2026-00001", None),
        ("SHP2026-00001", None),
        ("SHP-2026-00001; DROP TABLE documents", None),
        ("SHP-2026-" + "1" * 300, None),
    ],
)
def test_numbers_are_normalised_from_what_people_type_and_scanners_send(
    typed: str | None, expected: str | None
) -> None:
    assert normalise_number(typed) == expected


def test_find_document_accepts_a_scanned_number(app: Flask) -> None:
    document = register_document(type=SHP, actor=SYSTEM, on=date(2026, 2, 2))
    assert find_document(" shp-2026-1\n") is document
    assert find_document("SHP-2026-00002") is None


def test_a_forgotten_actor_is_refused_and_the_system_is_recorded_as_nobody(app: Flask) -> None:
    with pytest.raises(PermissionDeniedError):
        register_document(type=SHP, actor=None)
    document = register_document(type=SHP, actor=SYSTEM)
    with pytest.raises(PermissionDeniedError):
        log_print(document, None)
    assert log_print(document, SYSTEM) == 1
    db.session.commit()
    assert db.session.get(Document, document.id).created_by_id is None
    printed = db.session.scalars(
        select(DocumentPrint.printed_by_id).where(DocumentPrint.document_id == document.id)
    ).all()
    assert printed == [None]


def test_prints_are_logged_with_copy_numbers_one_then_two_then_three(app: Flask) -> None:
    first_user, second_user = make_user(Role.LOGISTICS), make_user(Role.TECHNICIAN)
    document = register_document(type=DIS, actor=first_user)
    assert log_print(document, first_user) == 1
    assert document.print_count == 1
    assert log_print(document, second_user) == 2
    assert log_print(document, SYSTEM) == 3
    assert document.print_count == 3
    prints = db.session.scalars(
        select(DocumentPrint)
        .where(DocumentPrint.document_id == document.id)
        .order_by(DocumentPrint.copy_number)
    ).all()
    assert [(p.copy_number, p.printed_by_id) for p in prints] == [
        (1, first_user.id),
        (2, second_user.id),
        (3, None),
    ]
    assert all(p.printed_at is not None for p in prints)


def test_prints_of_two_documents_count_separately(app: Flask) -> None:
    one = register_document(type=DIS, actor=SYSTEM)
    other = register_document(type=DIS, actor=SYSTEM)
    log_print(one, SYSTEM)
    log_print(one, SYSTEM)
    assert log_print(other, SYSTEM) == 1


# --- /d/<number> ------------------------------------------------------------------------------

# The test's own document page: documents belong to a place, technicians see their place's.
PLACES: dict[int, int] = {}


@pytest.fixture
def no_count_page(app: Flask) -> Iterator[None]:
    """Count documents without their page for the test (the counts domain's is put back)."""
    saved = page_of(CNT)
    unregister_page(CNT)
    yield
    unregister_page(CNT)
    if saved is not None:
        register_page(CNT, url=saved.url, can_see=saved.can_see)


@pytest.fixture
def count_pages(no_count_page: None) -> Iterator[None]:
    """The test's own page for count documents, whose place the test decides."""
    register_page(
        CNT,
        url=lambda document: f"/counts-under-test/{document.id}",
        can_see=lambda user, document: (
            user.role is not Role.TECHNICIAN or PLACES.get(document.id) == user.location_id
        ),
    )
    yield
    PLACES.clear()


def count_document_at(location_id: int) -> Document:
    document = register_document(type=CNT, actor=SYSTEM)
    PLACES[document.id] = location_id
    return document


def test_d_route_redirects_to_the_document_page_whatever_the_spelling(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], count_pages: None
) -> None:
    document = count_document_at(make_location().id)
    number, document_id = document.number, document.id
    login_as(Role.VIEWER)
    for spelling in (number, number.lower(), number + "\n", number.replace("-0000", "-")):
        response = client.get(f"/d/{spelling}")
        assert response.status_code == 302, spelling
        assert response.headers["Location"] == f"/counts-under-test/{document_id}"


@pytest.mark.parametrize(
    "number", ["CNT-2026-99999", "not-a-number", "SHP-2026-00001", "CNT-1999-00001"]
)
def test_d_route_answers_404_for_unknown_malformed_or_pageless_documents(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    count_pages: None,
    number: str,
) -> None:
    register_document(type=SHP, actor=SYSTEM, on=date(2026, 1, 1))  # SHP has no page yet
    count_document_at(make_location().id)
    login_as(Role.ADMIN)
    assert client.get(f"/d/{number}").status_code == 404


def test_a_technician_opens_their_place_documents_and_gets_404_for_others(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], count_pages: None
) -> None:
    own_place, other_place = make_location(), make_location()
    own = count_document_at(own_place.id).number
    other = count_document_at(other_place.id).number
    login_as(Role.TECHNICIAN, location=own_place)
    assert client.get(f"/d/{own}").status_code == 302
    assert client.get(f"/d/{other}").status_code == 404


def test_d_route_sends_anonymous_visitors_to_sign_in(app: Flask, client: FlaskClient) -> None:
    response = client.get("/d/CNT-2026-00001")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- the header's search box (/d?number=) -------------------------------------------------------


def test_every_signed_in_page_has_the_document_search_box(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    assert 'role="search"' not in client.get("/login").get_data(as_text=True)
    login_as(Role.TECHNICIAN)
    page = client.get("/").get_data(as_text=True)
    assert 'class="document-search" method="get" action="/d" role="search"' in page
    assert '<label for="document-search-number">' in page


def test_the_search_box_opens_a_document_however_it_was_typed_or_scanned(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], count_pages: None
) -> None:
    document = count_document_at(make_location().id)
    number, document_id = document.number, document.id
    login_as(Role.VIEWER)
    for typed in (
        number,
        f"  {number.lower()}  ",
        number + " ",
        number.replace("-0000", "-"),
        f"https://hilo.example.org/d/{number}",  # a QR code holds the full address
    ):
        response = client.get("/d", query_string={"number": typed})
        assert response.status_code == 302, typed
        assert response.headers["Location"] == f"/counts-under-test/{document_id}"


def test_the_search_box_says_no_document_alike_for_unknown_and_other_places_numbers(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], count_pages: None
) -> None:
    own_place, other_place = make_location(), make_location()
    other = count_document_at(other_place.id).number
    login_as(Role.TECHNICIAN, location=own_place)
    unknown = other.rsplit("-", 1)[0] + "-99999"
    pages = {}
    for typed in (other, unknown, "nonsense <b>", "SHP-2026-00001", "x" * 5000):
        response = client.get("/d", query_string={"number": typed})
        assert response.status_code == 404, typed
        pages[typed] = response.get_data(as_text=True)
        assert "No document found" in pages[typed]
        assert 'id="find-number" name="number"' in pages[typed]
    assert f'value="{other}"' in pages[other] and f'value="{unknown}"' in pages[unknown]
    assert "&lt;b&gt;" in pages["nonsense <b>"]  # echoed, escaped

    # Another place's document and a number nobody issued read the same, but for the number.
    def scrubbed(page: str, typed: str) -> str:
        return re.sub(r'name="csrf_token" value="[^"]*"', "", page).replace(typed, "N")

    assert scrubbed(pages[other], other) == scrubbed(pages[unknown], unknown)
    empty = client.get("/d?number=+")
    assert empty.status_code == 200 and "Find a document" in empty.get_data(as_text=True)


def test_resolve_refuses_what_the_viewer_may_not_see(app: Flask, count_pages: None) -> None:
    place = make_location()
    document = count_document_at(place.id)
    stranger = make_user(Role.TECHNICIAN)
    local = make_user(Role.TECHNICIAN, location=place)
    assert resolve(document.number, viewer=local) == (
        document,
        f"/counts-under-test/{document.id}",
    )
    with pytest.raises(NotFoundError):
        resolve(document.number, viewer=stranger)


def test_a_type_has_one_page(app: Flask, count_pages: None) -> None:
    with pytest.raises(ValueError, match="already has a page"):
        register_page(CNT, url=lambda d: "/elsewhere", can_see=lambda u, d: True)


# --- links from the stock pages ---------------------------------------------------------------


def transaction_with_document() -> tuple[int, int, int, str]:
    """A receipt linked to a count document: (transaction, warehouse, item ids, number)."""
    item, warehouse = make_item(), make_warehouse()
    transaction = receive(item, 5, warehouse)
    document = count_document_at(warehouse.id)
    transaction.document_id = document.id
    db.session.flush()
    ids = (transaction.id, warehouse.id, item.id, document.number)
    db.session.commit()
    return ids


def test_transaction_page_and_stock_card_link_to_the_document(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], count_pages: None
) -> None:
    transaction_id, warehouse_id, item_id, number = transaction_with_document()
    login_as(Role.LOGISTICS)
    link = f'<a href="/d/{number}">{number}</a>'
    page = client.get(f"/stock/transactions/{transaction_id}").get_data(as_text=True)
    assert link in page
    card = client.get(f"/stock/locations/{warehouse_id}/items/{item_id}").get_data(as_text=True)
    assert link in card


def test_a_document_without_a_page_shows_its_number_without_a_link(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], no_count_page: None
) -> None:
    transaction_id, warehouse_id, item_id, number = transaction_with_document()
    login_as(Role.LOGISTICS)
    for url in (
        f"/stock/transactions/{transaction_id}",
        f"/stock/locations/{warehouse_id}/items/{item_id}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert number in page
        assert f"/d/{number}" not in page


def test_a_transaction_without_a_document_shows_no_document(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    item, warehouse = make_item(), make_warehouse()
    transaction_id = receive(item, 5, warehouse).id
    login_as(Role.LOGISTICS)
    page = client.get(f"/stock/transactions/{transaction_id}").get_data(as_text=True)
    assert "<dt>Document</dt>" not in page


# --- numbering under concurrency ---------------------------------------------------------------

REPEATS = 10


@pytest.fixture
def race_app(app_factory: Callable[..., Flask]) -> Flask:
    """An app whose pool gives each of the racing threads its own connection."""
    return app_factory(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 5, "pool_timeout": 60}
    )


@pytest.mark.slow
def test_16_clerks_numbering_at_once_get_1_to_16_without_gap_or_duplicate(
    app: Flask, race_app: Flask
) -> None:
    for repeat in range(REPEATS):
        # A fresh year each time: the first users race to create the counter as well.
        on = date(2001 + repeat, 6, 1)
        db.session.commit()  # end the checks' read (on SQLite: a write lock, outside requests)

        def number(_index: int, on: date = on) -> str:
            return register_document(type=SHP, actor=SYSTEM, on=on).number

        result = race(race_app, 16, number)
        assert result.outcomes == Counter({"ok": 16}), result.outcomes
        expected = {f"SHP-{on.year}-{n:05d}" for n in range(1, 17)}
        assert sorted(result.values) == sorted(expected)
        db.session.expire_all()
        stored = db.session.scalars(
            select(Document.number).where(Document.year == on.year, Document.type == SHP)
        ).all()
        assert sorted(stored) == sorted(expected)
        last = db.session.scalar(
            select(DocumentCounter.last).where(DocumentCounter.year == on.year)
        )
        assert last == 16


@pytest.mark.slow
def test_8_prints_at_once_get_copies_1_to_8(app: Flask, race_app: Flask) -> None:
    for _repeat in range(REPEATS):
        document_id = register_document(type=DIS, actor=SYSTEM).id
        db.session.commit()

        def print_once(_index: int, document_id: int = document_id) -> int:
            return log_print(db.session.get(Document, document_id), SYSTEM)

        result = race(race_app, 8, print_once)
        assert result.outcomes == Counter({"ok": 8}), result.outcomes
        assert sorted(result.values) == list(range(1, 9))
        db.session.expire_all()
        assert db.session.get(Document, document_id).print_count == 8
        copies = db.session.scalar(
            select(func.count())
            .select_from(DocumentPrint)
            .where(DocumentPrint.document_id == document_id)
        )
        assert copies == 8
