"""Spreadsheet downloads: the exact headers a browser and a spreadsheet program get."""

from flask import Flask

from hilogistics.exports import download


def test_a_csv_download_names_its_charset_once(app: Flask) -> None:
    with app.test_request_context("/"):
        response = download("csv", "items", ["code"], [["A-1"]])
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="items.csv"'


def test_an_xlsx_download_has_the_spreadsheet_type(app: Flask) -> None:
    with app.test_request_context("/"):
        response = download("xlsx", "items", ["code"], [["A-1"]])
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
