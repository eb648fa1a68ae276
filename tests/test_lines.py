"""The line-entry pattern's pure parts: dates, quantities, serial ranges, pasted rows, files."""

import io
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from openpyxl import Workbook, load_workbook
from werkzeug.datastructures import MultiDict

from hilogistics.lines.files import read_lines_file, template_download
from hilogistics.lines.formdata import carry_down, line_values, with_lines
from hilogistics.lines.parsing import (
    InputError,
    check_row,
    expand_serials,
    parse_date,
    parse_quantity,
    read_rows,
)
from hilogistics.lines.problems import LineProblems, ProblemList

FIELDS = ("item", "units", "lot_code", "expires_on")


@pytest.fixture(autouse=True)
def request_context() -> Iterator[None]:
    """Translations need an app: a bare one with the project's catalogues, no database."""
    app = Flask("hilogistics")
    Babel(app)
    with app.test_request_context():
        yield


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-05-31", date(2027, 5, 31)),
        (" 2027/5/3 ", date(2027, 5, 3)),
        ("2027.05.31.", date(2027, 5, 31)),
        ("31/05/2027", date(2027, 5, 31)),
        ("31.05.2027", date(2027, 5, 31)),
        ("05/31/2027", date(2027, 5, 31)),
        ("07/07/2027", date(2027, 7, 7)),
        ("2027-02", date(2027, 2, 28)),
        ("02/2028", date(2028, 2, 29)),
        ("2027-05-31T00:00:00", date(2027, 5, 31)),
        ("2027-05-31 00:00:00", date(2027, 5, 31)),
    ],
)
def test_dates_are_read_in_every_unambiguous_form(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text", ["03/04/2027", "2027-02-30", "2027-13", "tomorrow", "27-05-31", ""]
)
def test_ambiguous_or_impossible_dates_are_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_date(text)
    assert "YYYY-MM-DD" in raised.value.message


def test_quantities_are_whole_numbers() -> None:
    assert parse_quantity("1 200") == 1200
    assert parse_quantity("12.0") == 12
    for text in ("1,5", "-3", "abc", "1.5", "9" * 13):
        with pytest.raises(InputError):
            parse_quantity(text)


def test_serial_lists_and_ranges_expand_in_order() -> None:
    assert expand_serials("A-1\r\nA-2, A-3;A-4  A-5") == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert expand_serials("KN-0001..KN-0025") == [f"KN-{n:04d}" for n in range(1, 26)]
    assert expand_serials("X9, KN-0998..KN-1000") == ["X9", "KN-0998", "KN-0999", "KN-1000"]
    assert expand_serials("") == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("KN-0001..KM-0005", "same prefix"),
        ("KN-001..KN-0005", "same prefix"),
        ("KN-0005..KN-0001", "ends before it starts"),
        ("KN-A..KN-B", "both ending in a number"),
        ("..KN-5", "both ending in a number"),
        ("KN-00001..KN-99999", "at most 5000"),
    ],
)
def test_a_bad_range_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(InputError) as raised:
        expand_serials(text)
    assert words in raised.value.message
    assert text in raised.value.message


def test_a_line_holds_a_bounded_number_of_serials() -> None:
    with pytest.raises(InputError, match="At most 10 serial numbers"):
        expand_serials("A-01..A-08 B-1 B-2 B-3", limit=10)


def test_pasted_rows_without_a_header_follow_the_fixed_columns() -> None:
    text = "MED-1\t100\tL1\t2027-05-31\n\nKNEE\t2\t\t\tK-1 K-2\r\nMED-2\t5"
    read = read_rows(text)
    assert read.header_row is None and read.problems == []
    assert [row.number for row in read.rows] == [1, 3, 4]
    assert read.rows[0].cells == {
        "code": "MED-1",
        "quantity": "100",
        "lot": "L1",
        "expiry": "2027-05-31",
    }
    assert read.rows[1].get("serials") == "K-1 K-2"
    assert read.rows[2].get("lot") == ""


@pytest.mark.parametrize(
    "header",
    [
        "Item code\tQuantity\tLot code\tExpiry date\tSerial numbers",
        "물품코드\t수량\t로트번호\t만료날자\t일련번호",
        "Code article\tQuantité\tCode de lot\tDate de péremption\tNuméros de série",
        # The headings of a template downloaded before the glossary (code du lot, 유효기간).
        "Code article\tQuantité\tCode du lot\tDate de péremption\tNuméros de série",
        "물품코드\t수량\t로트번호\t유효기간\t일련번호",
        "code\tqty\tbatch\texp\tserials",
    ],
)
def test_a_header_row_in_any_language_is_recognised_and_skipped(header: str) -> None:
    read = read_rows(f"{header}\nMED-1\t100\tL1\t2027-05-31\t")
    assert read.header_row == 1
    assert [row.cells for row in read.rows] == [
        {"code": "MED-1", "quantity": "100", "lot": "L1", "expiry": "2027-05-31", "serials": ""}
    ]


def test_a_header_row_may_order_the_columns() -> None:
    read = read_rows("만료날자\t물품코드\t수량\n2027-05-31\tMED-1\t7")
    assert read.rows[0].cells == {"expiry": "2027-05-31", "code": "MED-1", "quantity": "7"}


def test_row_problems_name_the_row_and_the_column() -> None:
    read = read_rows("MED-1\tten\tL\t03/04/2027\tA-5..A-1\n\n\t\tL2\nMED-2\t1\t\t\t\textra")
    problems = [(p.row, p.column) for p in read.problems]
    for row in read.rows:
        problems += [(p.row, p.column) for p in check_row(row)]
    assert sorted(problems) == [
        (1, "expiry"),
        (1, "quantity"),
        (1, "serials"),
        (3, "code"),
        (3, "quantity"),
        (4, "6"),
    ]


def test_a_paste_is_bounded() -> None:
    read = read_rows("\n".join(f"C{n}\t1" for n in range(5)), max_rows=3)
    assert len(read.rows) == 3
    assert [(p.row, p.message) for p in read.problems] == [
        (4, "At most 3 rows can be read at once.")
    ]


def test_blank_lot_and_expiry_are_carried_from_the_line_above() -> None:
    lines = [
        {"item": "A", "lot_code": "L1", "expires_on": "2027-01-31"},
        {"item": "B", "lot_code": "", "expires_on": ""},
        {"item": "", "lot_code": "", "expires_on": ""},
        {"item": "C", "lot_code": "", "expires_on": " "},
        {"item": "D", "lot_code": "L2", "expires_on": ""},
        {"item": "E", "lot_code": "", "expires_on": ""},
    ]
    carried = carry_down(lines, ("lot_code", "expires_on"))
    assert [(line["lot_code"], line["expires_on"]) for line in carried] == [
        ("L1", "2027-01-31"),
        ("L1", "2027-01-31"),
        ("", ""),
        ("L1", "2027-01-31"),
        ("L2", ""),
        ("L2", ""),
    ]


def test_posted_lines_are_read_and_rebuilt_with_blank_lines_after() -> None:
    data = MultiDict(
        {"supplier": "X", "lines-1-item": "B", "lines-0-item": "A", "lines-0-units": "3"}
    )
    assert line_values(data, FIELDS) == [{"item": "A", "units": "3"}, {"item": "B"}]
    rebuilt = with_lines(data, [{"item": "Z"}], fields=FIELDS, total=3)
    assert rebuilt["supplier"] == "X"
    assert rebuilt["lines-0-item"] == "Z" and rebuilt["lines-0-units"] == ""
    assert rebuilt["lines-2-expires_on"] == "" and "lines-3-item" not in rebuilt


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_packing_list_is_read_from_csv_with_or_without_bom_and_from_xlsx() -> None:
    csv_text = "Item code,Quantity,Lot code,Expiry date\r\nMED-1,100,L1,2027-05-31\r\n,,,\r\n"
    for data in (csv_text.encode(), "\ufeff".encode() + csv_text.encode()):
        read = read_lines_file(data, "list.csv", max_rows=100)
        assert read.problems == []
        assert [(r.number, r.cells["code"], r.cells["expiry"]) for r in read.rows] == [
            (2, "MED-1", "2027-05-31")
        ]
    data = xlsx([["물품코드", "수량", "포장수", "만료날자"], ["MED-1", 100, 2, date(2027, 5, 31)]])
    read = read_lines_file(data, "LIST.XLSX", max_rows=100)
    assert read.rows[0].cells == {
        "code": "MED-1",
        "quantity": "100",
        "packs": "2",
        "expiry": "2027-05-31T00:00:00",
    }
    assert parse_date(read.rows[0].cells["expiry"]) == date(2027, 5, 31)


def test_a_packing_list_says_what_is_wrong_with_the_whole_file() -> None:
    def messages(data: bytes, name: str = "list.csv", max_rows: int = 100) -> list[str]:
        return [p.message for p in read_lines_file(data, name, max_rows=max_rows).problems]

    assert messages(b"code\n", "list.txt") == ["Choose a .csv or .xlsx file."]
    assert messages(b"code\n") == ["The file has no lines."]
    assert messages(b"\xff\xfecode") == ["The file cannot be read (the CSV file is not UTF-8)."]
    assert messages(b"code,colour\nA,red\n")[0].startswith("Unknown column.")
    assert messages(b"quantity\n3\n") == ["This column is missing."]
    too_many = messages(b"code\n" + b"A\n" * 4, max_rows=3)
    assert too_many == [
        "The file has more than 3 lines, and a receipt holds at most 3: split it into several "
        "files, one receipt each."
    ]
    assert messages(b"x" * (1024 * 1024 + 1)) == ["The file is larger than 1 MB."]


def test_the_template_has_the_readers_headings_and_reads_back() -> None:
    with force_locale("fr"):
        response = template_download("csv")
    text = response.get_data().decode("utf-8-sig")
    assert text.startswith("Code article,Quantité,Colis,Code de lot,Date de péremption,")
    assert response.headers["Content-Disposition"] == 'attachment; filename="packing-list.csv"'
    with force_locale("ko_KP"):
        data = template_download("xlsx").get_data()
    assert load_workbook(io.BytesIO(data)).active["A1"].value == "물품코드"
    read = read_lines_file(data, "packing-list.xlsx", max_rows=100)
    assert read.problems == []
    assert read.rows[0].get("code") == "MED-PARA-500" and read.rows[0].get("supplier")


def test_problems_are_raised_all_at_once_and_warnings_only_when_unconfirmed() -> None:
    problems = ProblemList()
    problems.raise_if_any()
    problems.warn("lines-0-expires_on", "expired")
    problems.raise_if_any(warnings_confirmed=True)
    with pytest.raises(LineProblems):
        problems.raise_if_any()
    problems.add("lines-1-item", "unknown")
    with pytest.raises(LineProblems) as raised:
        problems.raise_if_any(warnings_confirmed=True)
    assert raised.value.field == "lines-0-expires_on"
    assert raised.value.message == "2 problems, the first: expired"
    assert [p.field for p in raised.value.errors] == ["lines-1-item"]
    assert [p.field for p in raised.value.warnings] == ["lines-0-expires_on"]
