"""Printed documents: what the PDFs say (text read back), their QR codes (decoded), and access."""

import io
import re
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from pypdf import PdfReader

from hilogistics.auth.models import Role
from hilogistics.catalogue.models import Item
from hilogistics.dates import business_today
from hilogistics.db import db
from hilogistics.documents import stock_card as stock_card_module
from hilogistics.documents.layout import Column, Document, MissingGlyphError, Printing, render
from hilogistics.locations.models import Location
from hilogistics.stock.models import Lot
from tests.factories import make_item, make_location, make_long_named, make_warehouse, receive

TODAY = business_today()
PRINTING = Printing(
    organisation="Handicap International",
    partner="조선장애자보호련맹",
    printed_by="Kim Chol",
    printed_at=datetime(2026, 11, 29, 10, 30),
    locale="ko_KP",
)


def pdf_pages(body: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


def pdf_fragments(body: bytes) -> list[str]:
    """Each piece of text the PDF draws: a line of one cell, a heading line, a fact.

    A word cut at a line's end lands in two pieces ("두루 / 마리"), so a word found whole in
    none of them was broken (wrapping between words keeps each word whole in one piece).
    """
    pieces: list[str] = []
    for page in PdfReader(io.BytesIO(body)).pages:
        page.extract_text(visitor_text=lambda text, *_: pieces.append(text))
    return [piece for piece in pieces if piece.strip()]


def broken_words(texts: list[str], fragments: list[str]) -> list[str]:
    """The words of ``texts`` that no fragment holds whole."""
    drawn = "\n".join(fragments)  # a word never holds a line break: it matches in one piece
    return sorted({word for text in texts for word in text.split() if word not in drawn})


def beyond_the_margins(body: bytes) -> list[str]:
    """The drawn pieces of text whose end runs past the right margin (or off the paper)."""
    from fpdf import FPDF

    from hilogistics.documents.layout import BOLD, MARGIN, REGULAR

    measure = FPDF(unit="pt")
    measure.add_font("N", "", str(REGULAR))
    measure.add_font("N", "B", str(BOLD))
    past: list[str] = []
    try:
        for page in PdfReader(io.BytesIO(body)).pages:
            right = float(page.mediabox.width) - MARGIN * 72 / 25.4 + 0.5

            def visit(
                text: str, cm: list, tm: list, font: dict, size: float, right: float = right
            ) -> None:
                if not text.strip():
                    return
                # A drawing (a chart) places and scales its text by the current matrix too.
                scale = cm[0] * tm[0]
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                measure.set_font("N", "B" if "Bold" in str(font.get("/BaseFont")) else "", size)
                if x + measure.get_string_width(text) * scale > right:
                    past.append(text)

            page.extract_text(visitor_text=visit)
    finally:
        for font in measure.fonts.values():  # fpdf2 leaves the font files open
            font.ttfont.close()
    return past


def decode_qr(body: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """Render one page with poppler and read every QR code on it."""
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(body)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), pdf, tmp_path / "p"],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("p*.png")))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def sample(rows: int = 3, **overrides: object) -> Document:
    values: dict[str, object] = {
        "title": "Stock card",
        "number": "STC-PY-ORT-KNEE-01",
        "columns": [Column("Code", 20), Column("Name", 50), Column("Quantity", 15, "R")],
        "rows": [[f"ORT-KNEE-{n:03d}", "무릎관절 · Knee joint", str(n)] for n in range(rows)],
        "facts": [("장소 · Place", "평양중앙창고 · Central warehouse")],
        "signatures": ["Checked by"],
        "organisation": "Handicap International",
        "partner": "조선장애자보호련맹",
        "printed_by": "Kim Chol",
        "printed_at": datetime(2026, 11, 29, 10, 30),
    }
    values.update(overrides)
    return Document(**values)  # type: ignore[arg-type]


def test_a_document_prints_korean_and_english_side_by_side(app: Flask) -> None:
    text = "\n".join(pdf_pages(render(sample(), strict=True)))
    for expected in (
        "재고카드",
        "Stock card",
        "STC-PY-ORT-KNEE-01",
        "무릎관절",
        "Knee joint",
        "평양중앙창고",
        "Handicap International",
        "조선장애자보호련맹",
        "Kim Chol",
    ):
        assert expected in text, expected
    assert "COPY" not in text


def test_narrow_columns_keep_each_heading_word_whole(app: Flask) -> None:
    """Bilingual headings over narrow number columns wrap between words, never inside one."""
    # Each number column is 18 mm: the words fit at 6.5 pt, not at the usual 8.5 pt.
    narrow = [Column("Code", 14), Column("Item", 29)] + [
        Column(f"제안량 · {word}", 8, "R")
        for word in ("Suggested", "Approved", "Distributed", "Differences", "Returned")
    ]
    document = replace(sample(columns=narrow), rows=[["A", "B", "1", "2", "3", "4", "5"]])
    lines = pdf_pages(render(document, strict=True))[0].splitlines()
    for word in ("Suggested", "Approved", "Distributed", "Differences", "Returned"):
        assert any(word in line for line in lines), word


def test_a_long_name_of_who_printed_wraps_in_the_footer_inside_the_page(app: Flask) -> None:
    """The footer says who printed in two languages: a long display name (up to 120
    characters) wrapped onto a second line instead of running off the paper."""
    name = "Ri Myong Chol (logistics officer, central warehouse of the rehabilitation programme)"
    body = render(sample(printed_by=name), strict=True)
    assert beyond_the_margins(body) == []
    fragments = pdf_fragments(body)
    assert broken_words([name], fragments) == []
    assert any("Page 1 of 1" in piece for piece in fragments)


def test_a_reprint_says_copy_n(app: Flask) -> None:
    text = pdf_pages(render(sample(copy=2), strict=True))[0]
    assert "COPY 2" in text and "사본 2" in text


def test_long_documents_number_their_pages_and_repeat_the_table_heading(app: Flask) -> None:
    pages = pdf_pages(render(sample(rows=150), strict=True))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Quantity" in text and "STC-PY-ORT-KNEE-01" in text


def test_the_qr_code_gives_back_the_document_number(app: Flask, tmp_path: Path) -> None:
    assert decode_qr(render(sample(), strict=True), tmp_path) == ["STC-PY-ORT-KNEE-01"]


def test_a_character_the_fonts_cannot_draw_is_never_a_silent_empty_box(app: Flask) -> None:
    strange = sample(rows=0, facts=[("Note", "pain \U0001f600 ok")])
    with pytest.raises(MissingGlyphError, match="U\\+1F600"):
        render(strange, strict=True)
    text = "\n".join(pdf_pages(render(strange)))
    assert "pain ? ok" in text
    assert strange.missing == ["\U0001f600"]


def test_the_stock_card_prints_every_movement_with_its_balance(
    app: Flask, client: FlaskClient, login_as, tmp_path: Path
) -> None:
    warehouse = make_warehouse(code="PY-CW", name="Central warehouse", name_ko="중앙창고")
    item = make_item(code="ORT-KNEE-01", name="Knee joint", name_ko="무릎관절")
    receive(item, 40, warehouse, lot_code="K1")
    receive(item, 2, warehouse, lot_code="K2")
    login_as(Role.LOGISTICS)
    response = client.get(f"/stock/locations/{warehouse.id}/items/{item.id}/card.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = "\n".join(pdf_pages(response.get_data()))
    for expected in (
        "재고카드",
        "STC-PY-CW-ORT-KNEE-01",
        "무릎관절 · Knee joint",
        "중앙창고 · Central warehouse",
        "K1",
        "42",
        "파기하지",
    ):
        assert expected in text, expected
    assert decode_qr(response.get_data(), tmp_path) == ["STC-PY-CW-ORT-KNEE-01"]


def test_a_long_stock_card_carries_the_older_balance_forward(
    app: Flask, client: FlaskClient, login_as, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stock_card_module, "PRINT_LINES", 4)
    monkeypatch.setattr(stock_card_module, "_PAGE", 2)
    warehouse, item = make_warehouse(), make_item()
    for quantity in (1, 2, 3, 4, 5, 6, 7):
        receive(item, quantity, warehouse)
    login_as(Role.LOGISTICS)
    body = client.get(f"/stock/locations/{warehouse.id}/items/{item.id}/card.pdf").data
    text = " ".join("\n".join(pdf_pages(body)).split())
    # Seven movements on pages of two: the last two pages (3 and 4) print; 1+2+3+4 go forward.
    assert "이월잔고 · Balance brought forward 10 " in text
    assert " 5 15 " in text and " 7 28 " in text
    assert " 4 10 " not in text


def test_a_technician_prints_only_their_own_places_card(
    app: Flask, client: FlaskClient, login_as
) -> None:
    centre, other = make_location(), make_location()
    item = make_item()
    login_as(Role.TECHNICIAN, location=centre)
    db.session.commit()
    assert client.get(f"/stock/locations/{centre.id}/items/{item.id}/card.pdf").status_code == 200
    assert client.get(f"/stock/locations/{other.id}/items/{item.id}/card.pdf").status_code == 404


def test_stock_on_hand_prints_the_whole_filtered_list_not_one_screen(
    app: Flask, client: FlaskClient, login_as
) -> None:
    warehouse = make_warehouse(code="PY-CW")
    for n in range(60):  # more than a screen's 50 rows
        receive(
            make_item(code=f"SOH-{n:03d}", name=f"Item {n}", name_ko=f"물자 {n}"), n + 1, warehouse
        )
    receive(make_item(code="OTHER-1"), 1, warehouse)
    login_as(Role.LOGISTICS)
    response = client.get(f"/stock/locations/{warehouse.id}/on-hand.pdf?q=SOH")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pdf_pages(response.get_data())
    text = " ".join("\n".join(pages).split())
    assert all(f"SOH-{n:03d}" in text for n in range(60))
    assert "OTHER-1" not in text  # the filter applies
    assert "현재 재고" in text and "물자 7 · Item 7" in text and "Code or name: SOH" in text
    assert f"Page {len(pages)} of {len(pages)}" in text and "Stock card" not in text


def test_stock_on_hand_prints_the_place_in_korean_beside_the_readers_language(
    app: Flask, client: FlaskClient, login_as
) -> None:
    warehouse = make_warehouse(
        code="PY-FR", name="Central store", name_ko="중앙창고", name_fr="Entrepôt central"
    )
    receive(make_item(code="SOH-FR"), 1, warehouse)
    login_as(Role.LOGISTICS)
    url = f"/stock/locations/{warehouse.id}/on-hand.pdf"
    for language, place in (
        ("fr", "중앙창고 · Entrepôt central"),
        ("en", "중앙창고 · Central store"),
    ):
        response = client.get(url, headers={"Accept-Language": language})
        text = " ".join("\n".join(pdf_pages(response.get_data())).split())
        assert place in text, language


def test_every_transaction_kind_has_printed_and_screen_words() -> None:
    from hilogistics.stock.labels import TRANSACTION_KIND_LABELS
    from hilogistics.stock.models import TransactionKind

    assert set(stock_card_module.KIND_WORDS) == set(TransactionKind)
    assert set(TRANSACTION_KIND_LABELS) == set(TransactionKind)


def test_with_the_apps_address_known_the_qr_code_opens_the_page_itself(
    app: Flask, client: FlaskClient, login_as, tmp_path: Path
) -> None:
    app.config["BASE_URL"] = "https://hilo.example.org/"
    warehouse, item = make_warehouse(), make_item()
    receive(item, 3, warehouse)
    login_as(Role.LOGISTICS)
    body = client.get(f"/stock/locations/{warehouse.id}/items/{item.id}/card.pdf").data
    assert decode_qr(body, tmp_path) == [
        f"https://hilo.example.org/stock/locations/{warehouse.id}/items/{item.id}"
    ]


def _page_sizes(body: bytes) -> list[tuple[float, float]]:
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(io.BytesIO(body)).pages
    ]


def test_a_wide_table_turns_landscape_and_keeps_every_word_whole(app: Flask) -> None:
    """Column widths follow the longest word of each column: a narrow table stays portrait;
    eleven number columns under bilingual headings and a long unit word ("두루마리") do not fit
    a portrait page whole, so it turns landscape. The " · " between two languages stays with
    the word before it, never on a line alone."""
    narrow = render(sample(), strict=True)
    [(width, height)] = _page_sizes(narrow)
    assert width < height

    words = ("Opening", "Received", "Dispatched", "Distributed", "Written off", "Warehouses")
    columns = [Column("번호 · No.", 4, "R"), Column("물품 · Item", 16), Column("단위 · Unit", 5)]
    columns += [Column(f"분배됨 · {word}", 7, "R") for word in words * 2]
    row = ["1", "연마포 80번 (50m 두루마리) · Abrasive cloth", "두루마리 · roll"]
    row += [str(n * 1000) for n in range(12)]
    body = render(replace(sample(columns=columns), rows=[row] * 3), strict=True)
    [(width, height)] = _page_sizes(body)
    assert width > height
    fragments = pdf_fragments(body)
    assert broken_words([c.heading for c in columns] + row, fragments) == []
    assert "·" not in [piece.strip() for piece in fragments]


def _long_named_stock() -> tuple[Location, Location, list[Item], list[Lot]]:
    """The long-named places and items (make_long_named), received at the warehouse."""
    warehouse, centre, items = make_long_named()
    lots = [
        receive(item, 200, warehouse, lot_code="LOT-2026-PYONGYANG-0001").movements[0].lot
        for item in items
    ]
    return warehouse, centre, items, lots


def test_every_printed_document_keeps_each_word_whole_with_long_names(app: Flask) -> None:
    """Slips (keyed and pre-printed), picking list, waybill, goods-received note, count sheet,
    requisition and stock card, printed for a Korean and a French reader: item, unit and
    place names are long, and no word of them, nor of a code, is cut between two lines."""
    from hilogistics.actors import SYSTEM
    from hilogistics.counts.services import open_count, print_count_sheet
    from hilogistics.distributions.models import RecipientType
    from hilogistics.distributions.services import (
        LineInput,
        Recipient,
        print_blank_slips,
        print_slip,
        record_distribution,
        reserve_slips,
    )
    from hilogistics.requisitions.services import (
        RequestLine,
        create_requisition,
        print_requisition,
    )
    from hilogistics.shipments.services import LineReceipt, print_shipment, receive_shipment
    from tests.factories import dispatch, make_dispatch, operation_key

    warehouse, centre, items, lots = _long_named_stock()
    places = [f"{p.name_ko} · {p.name}" for p in (warehouse, centre)]
    names = [f"{i.code} {i.name_ko} · {i.name}" for i in items]
    units = [f"{i.unit.name_ko} · {i.unit.name}" for i in items]
    pairs = list(zip(items, lots, strict=True))
    draft = make_dispatch(warehouse, centre, [(i, lot, 40) for i, lot in pairs])
    printings = [replace(PRINTING, locale=locale) for locale in ("ko_KP", "fr")]
    printed = {
        ("picking list", p.locale): print_shipment(
            actor=SYSTEM, shipment_id=draft.id, printing=p, strict=True, kind="picking-list"
        )[0]
        for p in printings
    }
    dispatch(draft)
    event = receive_shipment(
        actor=SYSTEM,
        shipment_id=draft.id,
        lines=[LineReceipt(line_id=line.id, received=40) for line in draft.lines],
        received_on=TODAY,
        operation_key=operation_key(),
    )
    slip = record_distribution(
        actor=SYSTEM,
        location_id=centre.id,
        distributed_on=TODAY,
        recipient=Recipient(RecipientType.CLASS, reference="CLS-01", headcounts={"girls": 3}),
        lines=[LineInput(i.id, lot.id, 3) for i, lot in pairs],
        operation_key=operation_key(),
    )
    blank = reserve_slips(
        actor=SYSTEM,
        location_id=centre.id,
        planned_on=TODAY,
        count=1,
        operation_key=operation_key(),
    )
    requisition = create_requisition(
        actor=SYSTEM,
        location_id=centre.id,
        lines=[RequestLine(item_id=i.id, quantity=5, reason="monthly") for i in items],
    )
    count = open_count(actor=SYSTEM, location_id=warehouse.id)
    shipment = {"actor": SYSTEM, "shipment_id": draft.id, "strict": True}
    for p in printings:
        printed[("waybill", p.locale)] = print_shipment(**shipment, printing=p, kind="waybill")[0]
        printed[("goods-received note", p.locale)] = print_shipment(
            **shipment, printing=p, kind="goods-received", event_id=event.id
        )[0]
        printed[("slip", p.locale)] = print_slip(
            actor=SYSTEM, distribution_id=slip.id, printing=p, strict=True
        )[0]
        printed[("pre-printed slip", p.locale)] = print_blank_slips(
            actor=SYSTEM, slip_ids=[blank[0].id], printing=p, strict=True
        )[0]
        printed[("requisition", p.locale)] = print_requisition(
            actor=SYSTEM, requisition_id=requisition.id, printing=p, strict=True
        )[0]
        printed[("count sheet", p.locale)] = print_count_sheet(
            actor=SYSTEM, count_id=count.id, printing=p, strict=True
        )[0]
        printed[("stock card", p.locale)] = stock_card_module.stock_card_pdf(
            item=items[0], location=warehouse, as_of=None, printing=p, strict=True
        )
    expected = {
        "picking list": places + names,
        "waybill": places + names + units,
        "goods-received note": places + names,
        "slip": places[1:] + names + units,
        "pre-printed slip": places[1:],
        "requisition": places + names,
        "count sheet": places[:1] + names + units,
        "stock card": places[:1] + names[:1] + units[:1],
    }
    for (name, locale), body in printed.items():
        assert broken_words(expected[name], pdf_fragments(body)) == [], (name, locale)
        assert beyond_the_margins(body) == [], (name, locale)
    db.session.commit()


def test_a_table_heading_never_ends_a_page_without_a_row_under_it(app: Flask) -> None:
    """Whatever fills the page above the table (facts, a chart), its heading goes over to the
    next page with its first row rather than stand alone at the foot of the page."""
    for count in range(70, 88, 2):
        facts = [(f"사실 · Fact {n}", f"값 · Value {n}") for n in range(count)]
        pages = pdf_pages(render(sample(rows=3, facts=facts), strict=True))
        for number, text in enumerate(pages, start=1):
            if "Quantity" in text:  # the heading, on its page or repeated on the next
                assert re.search(r"ORT-KNEE-\d{3} ", text), (count, number)
