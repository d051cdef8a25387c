"""The system admin's journey in a real browser: create a pilot with evaluation criteria, import
users from a CSV file. At desktop and phone width; every page scanned with axe in Swedish and in
English."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    check_both,
    either,
    login,
)

pytestmark = pytest.mark.browser

ADMIN = "admin@hubbar.example.org"
OFFSETS = {1280: 0, 375: 1}  # each width its own pilot dates and users: one shared live server


def nav(page, sv: str, en: str) -> None:
    page.get_by_role("navigation", name=either("Huvudmeny", "Main menu")).get_by_role(
        "link", name=either(sv, en)
    ).click()


def add_criterion(page, metric: str, target: str, reason: str) -> None:
    page.get_by_label(either("Mått", "Metric")).select_option(metric)
    page.get_by_label(either("Mål", "Target")).fill(target)
    page.get_by_label(either("Varför det här målet", "Why this target")).fill(reason)
    page.get_by_role("button", name=either("Lägg till kriterium", "Add criterion")).click()


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_creates_a_pilot_with_criteria(live_server, new_page, width):
    base = live_server
    offset = OFFSETS[width]
    name = f"Pilot Rinkeby {width}"
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    page = new_page(width=width, locale="sv")
    login(page, base, ADMIN)

    nav(page, "Piloter", "Pilots")
    page.get_by_role("link", name=either("Ny pilot", "New pilot")).click()
    expect(
        page.get_by_role("heading", level=1, name=either("Ny pilot", "New pilot"))
    ).to_be_visible()
    check_both(page, base, width)

    # Nothing filled in: the errors are summarised and tied to their fields.
    def create_empty():
        page.get_by_role("button", name=either("Skapa pilot", "Create pilot")).click()
        expect(page.get_by_role("alert")).to_be_visible()

    create_empty()
    expect(page.get_by_label(either("Namn", "Name"))).to_have_attribute("aria-invalid", "true")
    check_both(page, base, width, redo=create_empty)

    page.get_by_label(either("Namn", "Name")).fill(name)
    page.get_by_label(either("Värdorganisation", "Host organisation")).select_option(
        label="Kulturförvaltningen (KuF)"
    )
    starts = today + timedelta(days=100 + 70 * offset)
    page.get_by_label(either("Startdatum", "Start date")).fill(starts.isoformat())
    page.get_by_role("group", name=either("Hubbar", "Hubs")).get_by_label(
        "Kulturförvaltningen Rinkeby"
    ).check()
    page.get_by_role(
        "group", name=either("Gästorganisationer", "Guest organisations")
    ).get_by_label("Stadsarkivet", exact=True).check()
    page.get_by_label(
        either("Importera deltagare (e-postadresser)", "Import participants (e-mail addresses)")
    ).fill("erik.sund@ssa.example.org\nlina.ahl@ssa.example.org")
    page.get_by_role("button", name=either("Skapa pilot", "Create pilot")).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text(name)
    check_both(page, base, width)

    page.get_by_role("link", name=either("Ändra kriterier", "Edit criteria")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    check_both(page, base, width)

    def add_without_target():
        page.get_by_role("button", name=either("Lägg till kriterium", "Add criterion")).click()
        expect(page.get_by_role("alert")).to_be_visible()

    add_without_target()
    expect(page.get_by_label(either("Mål", "Target"))).to_have_attribute("aria-invalid", "true")
    check_both(page, base, width, redo=add_without_target)

    add_criterion(page, "booking_rate", "60", "Minst tre av fem platser bokade")
    add_criterion(page, "mean_rating", "4", "Nöjda besökare")
    criteria = page.get_by_role("table", name=either("Kriterier", "Criteria"))
    expect(criteria.get_by_role("row")).to_have_count(3)
    expect(criteria).to_contain_text("Nöjda besökare")
    check_both(page, base, width)


@pytest.mark.parametrize("width", [1280, 375])
def test_admin_imports_users_from_csv(live_server, new_page, width, tmp_path):
    base = live_server
    page = new_page(width=width, locale="sv")
    login(page, base, ADMIN)

    def csv(tag: str):
        path = tmp_path / f"users-{tag}.csv"
        path.write_text(
            "email,name,organisation\n"
            f"ny.{tag}.{width}@kuf.example.org,Nyanställd {tag.title()} {width},KuF\n"
            f"ny2.{tag}.{width}@ssa.example.org,Kollega {tag.title()} {width},Stadsarkivet\n"
            f"fel.{tag}.{width}@kuf.example.org,Fel Rad,Ingen sådan förvaltning\n",
            encoding="utf-8",
        )
        return path

    def import_file(path, dry_run: bool) -> None:
        page.get_by_label(either("CSV-fil", "CSV file")).set_input_files(path)
        page.get_by_label(
            either("Kontrollera bara filen, spara ingenting", "Only check the file, save nothing")
        ).set_checked(dry_run)
        page.get_by_role("button", name=either("Importera", "Import")).click()
        expect(
            page.get_by_role("table", name=either("Avvisade rader", "Refused rows"))
        ).to_be_visible()

    nav(page, "Användare", "Users")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_both(page, base, width)
    page.get_by_role("link", name=either("Importera från CSV", "Import from CSV")).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_both(page, base, width)

    import_file(csv("check"), dry_run=True)
    expect(page.get_by_role("heading", level=2, name="Resultat av kontrollen")).to_be_visible()
    check_both(page, base, width, redo=lambda: import_file(csv("check"), dry_run=True))

    import_file(csv("sv"), dry_run=False)
    result = page.get_by_role("region", name="Resultat")
    expect(result).to_contain_text("2 användare skapades")
    check_both(page, base, width, redo=lambda: import_file(csv("en"), dry_run=False))

    # The users are there.
    nav(page, "Användare", "Users")
    expect(page.get_by_role("main")).to_contain_text(f"ny.sv.{width}@kuf.example.org")
