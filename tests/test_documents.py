"""Printed documents: what the PDFs say (text read back), their QR codes (decoded), and access."""

import io
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
from hilogistics.db import db
from hilogistics.documents import stock_card as stock_card_module
from hilogistics.documents.layout import Column, Document, MissingGlyphError, render
from tests.factories import make_item, make_location, make_warehouse, receive


def pdf_pages(body: bytes) -> list[str]:
    """The text of each page."""
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


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
