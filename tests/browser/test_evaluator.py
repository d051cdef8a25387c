"""The evaluator's journey in a real browser: the pilot, its evaluation report, the report as
PDF and as XLSX. At desktop and phone width; every page scanned with axe in Swedish and in
English."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    check_both,
    either,
    login,
)

pytestmark = pytest.mark.browser

EVALUATOR = "utvardering@hubbar.example.org"
PILOT = "Touch down Kungsklippan"


def download(page, name: re.Pattern) -> tuple[str, bytes]:
    """Follow a download link; the file's suggested name and its content."""
    with page.expect_download() as info:
        page.get_by_role("link", name=name).click()
    file = info.value
    assert file.failure() is None
    return file.suggested_filename, Path(file.path()).read_bytes()


@pytest.mark.parametrize("width", [1280, 375])
def test_evaluator_journey(live_server, new_page, width, tmp_path):
    base = live_server
    page = new_page(width=width, locale="sv")
    login(page, base, EVALUATOR)

    page.get_by_role("navigation", name=either("Huvudmeny", "Main menu")).get_by_role(
        "link", name=either("Piloter", "Pilots")
    ).click()
    expect(page.get_by_role("heading", level=1, name=either("Piloter", "Pilots"))).to_be_visible()
    check_both(page, base, width)

    page.get_by_role("link", name=PILOT).click()
    expect(page.get_by_role("heading", level=1, name=PILOT)).to_be_visible()
    check_both(page, base, width)

    # A stored report once the pilot has ended; a preview while none is stored yet.
    page.get_by_role(
        "link",
        name=re.compile(
            r"^(Läs rapporten|Läs förhandsvisningen|Read the report|Read the preview)$"
        ),
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PILOT)
    check_both(page, base, width)

    name, pdf = download(page, either("Rapporten som PDF", "The report as PDF"))
    assert name.endswith(".pdf")
    assert pdf.startswith(b"%PDF")

    name, xlsx = download(
        page,
        either(
            "Alla tabeller och de pseudonymiserade bokningarna som Excel (XLSX)",
            "Every table and the pseudonymised bookings, as Excel (XLSX)",
        ),
    )
    assert name.endswith(".xlsx")
    saved = tmp_path / name
    saved.write_bytes(xlsx)
    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert workbook.sheetnames
    workbook.close()
