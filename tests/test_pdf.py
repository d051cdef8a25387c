"""The PDF writer: a document with headings, terms, Swedish text, a table over several pages
and the four occupancy charts opens and renders in PDFium (Chrome's PDF engine), on A4 pages
with page numbers; the table's header repeats on every page and no row is split; the charts
are vectors and look as matplotlib drew them."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from hubbar.occupancy import charts
from hubbar.pdf import Document, _column_align, _prepare_svg

A4 = (595.28, 841.89)  # pt
SWEDISH = "Kriterierna låstes före start: bokningsgrad ≥ 40 %, utan incheckning ≤ 15 % – ÅÄÖ åäö."
TERMS = [
    ("Hubbar", "Hubb Norr, Hubb Syd"),
    ("Värdorganisation", "Kommunförbundet Norr"),
    ("Period", "3 mars 2025 – 2 maj 2025"),
    ("Kriterier", "● uppfyllt, ○ ej uppfyllt, ◐ ej mätbart"),
]
HEADERS = ["Bokning", "Datum", "Skrivbord", "Timmar", "Löpnummer"]
ROWS = 120
FOOTER = "Pilot Hubb Norr – utvärdering"
HEADINGS = ["Villkor", "Kriterier", "Beläggning", "Bokningar"]


def page_label(number: int, total: int) -> str:
    return f"Page {number} of {total}"


def table_rows() -> list[list[str]]:
    """Rows with a unique first and last cell; every 13th with a description that wraps."""
    start = date(2025, 3, 3)
    rows = []
    for i in range(ROWS):
        desk = f"Skrivbord {i % 9 + 1}"
        if i % 13 == 0:
            desk += " vid fönstret i den norra delen av kontorslandskapet, nära köket"
        hours = f"{(i * 7) % 9 + 1},{i % 10}\u00a0h"
        rows.append([f"B-{i:04d}", (start + timedelta(i // 3)).isoformat(), desk, hours, f"N{i}"])
    return rows


def occupancy_charts() -> list[charts.Chart]:
    """The four kinds of chart with the figures of a two-month pilot."""
    rng = random.Random(5)
    start = date(2025, 3, 3)
    days = [
        (start + timedelta(d), rng.uniform(0.2, 0.95), rng.uniform(0.05, 0.8))
        for d in range(61)
        if (start + timedelta(d)).weekday() < 5
    ]
    cells = {
        (weekday, hour): None if weekday == 4 and hour >= 15 else rng.uniform(0, 1)
        for weekday in range(5)
        for hour in range(8, 18)
    }
    desks = [(f"Skrivbord {n}", rng.uniform(0.05, 0.9)) for n in range(1, 9)]
    desks.append(("Skrivbord 9", None))
    lead_times = [
        (label, n)
        for (_bound, label), n in zip(charts.LEAD_TIME_BUCKETS, [6, 31, 14, 9, 3], strict=True)
    ]
    return [
        charts.daily_chart(days),
        charts.heatmap_chart(cells),
        charts.bar_chart(
            "desks", "Bokningsgrad per skrivbord", desks, notes={"Skrivbord 9": "< 3"}
        ),
        charts.histogram_chart("lead_time", "Framförhållning", lead_times),
    ]


@pytest.fixture(scope="module")
def report(app):
    """The bytes of a report-like document, its charts and the PDF opened in PDFium."""
    with app.test_request_context():
        chart_list = occupancy_charts()
        doc = Document(
            "Utvärdering av piloten Hubb Norr",
            subtitle="3 mars – 2 maj 2025",
            footer=FOOTER,
            page_label=page_label,
        )
        doc.heading(HEADINGS[0])
        doc.facts(TERMS)
        doc.heading(HEADINGS[1], 2)
        doc.paragraph(SWEDISH)
        doc.heading(HEADINGS[2])
        for chart in chart_list:
            doc.chart(chart.svg, alt=chart.summary)
        doc.heading(HEADINGS[3])
        doc.table(HEADERS, table_rows(), caption="Tabell 1. Alla bokningar")
        data = doc.output()
    return data, chart_list, pdfium.PdfDocument(data)


def page_texts(pdf) -> list[str]:
    """Each page's text, no-break spaces as spaces."""
    return [page.get_textpage().get_text_range().replace("\u00a0", " ") for page in pdf]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def page_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


# --- the document ------------------------------------------------------------------------------


def test_the_pdf_opens_with_several_a4_pages(report):
    data, _charts, pdf = report
    assert data.startswith(b"%PDF-")
    assert len(pdf) > 2
    for page in pdf:
        width, height = page.get_size()
        assert width == pytest.approx(A4[0], abs=1)
        assert height == pytest.approx(A4[1], abs=1)


def test_every_page_renders_to_a_picture_that_is_not_blank(report):
    _data, _charts, pdf = report
    for page in pdf:
        image = np.asarray(page.render(scale=0.5).to_pil().convert("L"))
        body = image[: int(image.shape[0] * 270 / 297)]  # above the footer
        assert (body < 128).sum() > 200  # pixels darker than mid-grey: text, lines, bars


def test_the_text_keeps_swedish_letters_and_signs(report):
    _data, _charts, pdf = report
    text = " ".join(page_lines("\n".join(page_texts(pdf))))
    assert SWEDISH in text
    for label, value in TERMS:
        assert label in text
        assert value in text
    assert "Utvärdering av piloten Hubb Norr" in text


def test_every_page_has_its_number_of_the_total_and_the_footer(report):
    _data, _charts, pdf = report
    texts = page_texts(pdf)
    for number, text in enumerate(texts, start=1):
        lines = page_lines(text)
        assert f"Page {number} of {len(texts)}" in lines[-1]
        assert FOOTER in lines[-1]


def test_headings_are_bookmarks_and_the_metadata_names_the_document(report):
    data, _charts, pdf = report
    toc = [(item.level, item.get_title()) for item in pdf.get_toc()]
    assert toc == [(0, HEADINGS[0]), (1, HEADINGS[1]), (0, HEADINGS[2]), (0, HEADINGS[3])]
    metadata = pdf.get_metadata_dict()
    assert metadata["Title"] == "Utvärdering av piloten Hubb Norr"
    assert metadata["Subject"] == "3 mars – 2 maj 2025"
    assert metadata["Creator"] == "hubbar"
    assert b"/Lang (sv)" in data


# --- the table ---------------------------------------------------------------------------------


def find(textpage, word: str) -> list[tuple[float, float, float, float]]:
    """Where ``word`` (whole, case as given) is on a page: (left, bottom, right, top) in pt,
    from the bottom-left corner, for each time it occurs."""
    boxes = []
    searcher = textpage.search(word, match_case=True, match_whole_word=True)
    while (hit := searcher.get_next()) is not None:
        start, count = hit
        left, bottom, _right, top = textpage.get_charbox(start)
        _left, _bottom, right, _top = textpage.get_charbox(start + count - 1)
        boxes.append((left, bottom, right, top))
    return boxes


def table_cells(pdf) -> dict[int, dict]:
    """For every row of the table: the page it is on and where its cells are."""
    rows = table_rows()
    found: dict[int, dict] = {}
    for number, page in enumerate(pdf):
        textpage = page.get_textpage()
        for i, row in enumerate(rows):
            first = find(textpage, row[0])
            if not first:
                continue
            assert i not in found and len(first) == 1, f"row {i} printed twice"
            found[i] = {
                "page": number,
                "first": first[0],
                "hours": find(textpage, row[3].replace("\u00a0", " ")),
                "last": find(textpage, row[-1]),
            }
    return found


def test_the_table_repeats_its_header_on_every_page_and_never_splits_a_row(report):
    _data, _charts, pdf = report
    found = table_cells(pdf)
    assert sorted(found) == list(range(ROWS))
    assert [found[i]["page"] for i in range(ROWS)] == sorted(f["page"] for f in found.values())
    for i, cells in found.items():
        # the last cell is on the row's page, level with the first (cells are top-aligned)
        assert len(cells["last"]) == 1, f"row {i} split"
        assert cells["last"][0][3] == pytest.approx(cells["first"][3], abs=0.5)
    pages = sorted({cells["page"] for cells in found.values()})
    assert len(pages) >= 3
    for number in pages:
        textpage = pdf[number].get_textpage()
        top_row = max(c["first"][3] for c in found.values() if c["page"] == number)
        for header in HEADERS:
            just_above = [box for box in find(textpage, header) if 0 < box[1] - top_row < 20]
            assert len(just_above) == 1, f"no header {header} on page {number + 1}"


def test_the_rest_of_a_wrapped_row_stays_on_its_page(report):
    _data, _charts, pdf = report
    found = table_cells(pdf)
    texts = page_texts(pdf)
    for i in range(0, ROWS, 13):
        assert "nära köket" in texts[found[i]["page"]]


def test_numbers_are_right_aligned_and_text_left_aligned(report):
    """Every cell of the hours column ends at the same x, every first cell starts at one."""
    _data, _charts, pdf = report
    found = table_cells(pdf)
    rights = {round(cells["hours"][0][2], 1) for cells in found.values()}
    lefts = {round(cells["first"][0], 1) for cells in found.values()}
    widths = {round(cells["hours"][0][2] - cells["hours"][0][0]) for cells in found.values()}
    assert len(rights) == 1
    assert len(lefts) == 1
    assert len(widths) > 1  # the hours are not all the same width: alignment did it


def test_short_cells_keep_to_one_line_and_long_text_wraps():
    description = "Platstimmar då hubben var öppen, minus tid ur drift. " * 3
    doc = Document("Bredder")
    rows = [
        ["Plats 3", "1\u00a0992,0", "42\u00a0%", description],
        ["Plats 12", "402,0", "7\u00a0%", "Kort"],
    ]
    doc.table(["Plats", "Kapacitet (platstimmar)", "Bokningsgrad", "Definition"], rows)
    pdf = pdfium.PdfDocument(doc.output())
    textpage = pdf[0].get_textpage()
    for cell in ("Plats 3", "Plats 12", "1 992,0", "42 %", "Bokningsgrad"):
        ((_left, _bottom, _right, top),) = find(textpage, cell)
        start, count = textpage.search(cell, match_case=True).get_next()
        assert textpage.get_charbox(start + count - 1)[3] == pytest.approx(top, abs=0.5), cell
    lines = page_lines(page_texts(pdf)[0])
    assert sum("Platstimmar då hubben" in line for line in lines) == 3  # the long text wraps


def test_a_column_of_numbers_is_right_aligned_unless_told_otherwise():
    assert _column_align(["12", "1 234,50", "42\u00a0%", "3,5\u00a0h", "–", "< 3", ""]) == "R"
    assert _column_align(["12", "Skrivbord 3"]) == "L"
    assert _column_align(["–", ""]) == "L"
    assert _column_align(["120 kr", "-3"]) == "R"


# --- the charts --------------------------------------------------------------------------------


def test_the_charts_are_vectors_with_their_text_alternative_underneath(report):
    _data, chart_list, pdf = report
    texts = page_texts(pdf)
    for chart in chart_list:
        pages = [n for n, text in enumerate(texts) if plain(chart.summary[:30]) in text]
        assert len(pages) == 1, chart.key
    chart_pages = {
        n for n, text in enumerate(texts) for c in chart_list if plain(c.summary[:30]) in text
    }
    for number in chart_pages:
        objects = list(pdf[number].get_objects(max_depth=5))
        paths = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_PATH]
        assert len(paths) > 40  # axes, bars, lines, cells and every glyph of the labels
    images = [
        o
        for page in pdf
        for o in page.get_objects(max_depth=5)
        if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE
    ]
    assert images == []


def _pixels_near(image, colour, tolerance) -> int:
    """How many pixels of an RGB image are within ``tolerance`` of ``colour`` per channel."""
    pixels = np.asarray(image.convert("RGB")).astype(int)
    return int((np.abs(pixels - np.array(colour)) <= tolerance).all(axis=2).sum())


def test_the_closed_hours_of_the_heatmap_keep_their_grey_and_hatching(app):
    """matplotlib fills a closed hour with a pattern, which the PDF draws as a light grey
    background with grey diagonal lines clipped to the cell."""
    with app.test_request_context():
        cells = {(0, 8): 0.4, (0, 9): None, (0, 10): None, (1, 8): 0.7, (1, 9): None, (1, 10): 0.2}
        chart = charts.heatmap_chart(cells)
    doc = Document("")
    doc.chart(chart.svg)
    image = pdfium.PdfDocument(doc.output())[0].render(scale=2).to_pil().convert("RGB")
    assert _pixels_near(image, (0xF2, 0xF2, 0xF2), 2) > 2000  # the closed cells' background
    assert _pixels_near(image, (0xC8, 0xC8, 0xC8), 8) > 500  # the hatching
    # the hatching stays inside the plot: left of the chart (34 mm) the page is white
    assert _pixels_near(image.crop((0, 0, 190, 1500)), (255, 255, 255), 0) == 190 * 1500


def test_an_svg_shape_without_a_fill_is_black_whatever_was_drawn_before():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="50pt" viewBox="0 0 100 50">'
        '<path d="M 10 10 L 90 10 L 90 40 L 10 40 z"/></svg>'
    )
    doc = Document("Fill")
    doc.table(["A", "B"], [["1", "2"], ["3", "4"], ["5", "6"]])  # leaves a grey fill colour set
    doc.chart(svg)
    image = pdfium.PdfDocument(doc.output())[0].render(scale=1).to_pil().convert("RGB")
    black = _pixels_near(image, (0, 0, 0), 10)  # the text is near-black (26), never this dark
    assert black > 80 * 30 * 0.8


def test_matplotlibs_svg_is_prepared_for_fpdf2(app):
    with app.test_request_context():
        chart = charts.heatmap_chart({(0, 8): 0.5, (0, 9): None})
    assert "<pattern" in chart.svg and "*{stroke-linejoin: round" in chart.svg
    prepared, width, height = _prepare_svg(chart.svg)
    assert width == pytest.approx(charts.WIDTH * 25.4)
    assert height > 0
    root = ET.fromstring(prepared)
    tags = {element.tag.split("}")[1] for element in root.iter()}
    assert not tags & {"pattern", "title", "metadata"}
    pattern = re.search(r'<pattern id="([^"]+)"', chart.svg)[1]
    assert f"url(#{pattern})" not in prepared  # the hatched fill is unrolled
    assert {
        "fill": "#000000",
        "stroke": "none",
        "stroke-width": "1",
        "stroke-linejoin": "round",
        "stroke-miterlimit": "4",
    }.items() <= root.attrib.items()
    clips = [c for c in root.iter() if c.tag.endswith("clipPath")]
    assert clips and not [child for c in clips for child in c if child.tag.endswith("path")]


# --- layout rules ------------------------------------------------------------------------------


def test_a_heading_never_stays_alone_at_the_foot_of_a_page():
    """A heading keeps at least three lines of the paragraph after it on its page."""
    moved = 0
    for count in range(24, 36):
        doc = Document("Rubrik")
        for n in range(count):
            doc.paragraph(f"Stycke {n}")
        doc.heading("Ensam rubrik", 2)
        doc.paragraph("Texten efter rubriken börjar här. " + "Den går över flera rader. " * 20)
        texts = page_texts(pdfium.PdfDocument(doc.output()))
        (page,) = [n for n, text in enumerate(texts) if "Ensam rubrik" in text]
        lines = page_lines(texts[page])
        after = lines[lines.index("Ensam rubrik") + 1 : -1]  # the last line is the footer
        assert len(after) >= 3, count
        assert after[0].startswith("Texten efter rubriken")
        last = [n for n, text in enumerate(texts) if f"Stycke {count - 1}" in text]
        moved += last[0] < page
    assert moved  # at least once the heading went on to the next page


def test_odd_text_never_crashes_the_writer():
    doc = Document("Udda text\x00", footer="F" * 300, page_label=page_label)
    doc.heading("Nivå tre först", 3)
    doc.paragraph("Tab\there, CR\r\nnew line, emoji 😀, control \x07 " + "Ordutanslut" * 80)
    doc.table(["A" * 200, "B"], [["x" * 1500, "1"], ["\n".join(["rad"] * 150), "2"], ["", ""]])
    doc.table(["Tom"], [])
    doc.table([f"{h:02d}" for h in range(24)], [[f"{h}\u00a0%" for h in range(100, 124)]])
    doc.facts([("Etikett " * 30, "Värde " * 400)])
    doc.page_break()
    doc.heading("Sist", 1)
    pdf = pdfium.PdfDocument(doc.output())
    texts = page_texts(pdf)
    assert len(pdf) > 3
    assert f"Page {len(pdf)} of {len(pdf)}" in texts[-1]
    assert "Sist" in texts[-1]


@pytest.mark.parametrize(
    "build",
    [
        lambda d: d.heading("Fyra", 4),
        lambda d: d.table(["A", "B"], [["1"]]),
        lambda d: d.table([], []),
        lambda d: d.table(["A"], [["1"]], align=["X"]),
        lambda d: d.table(["A"], [["1"]], widths=[0]),
        lambda d: d.facts([("a", "b", "c")]),
        lambda d: d.chart("<html></html>"),
        lambda d: d.chart("not markup"),
        lambda d: d.chart('<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        lambda d: d.chart("<svg/>", width_mm=-1),
    ],
)
def test_a_programming_mistake_is_a_value_error(build):
    with pytest.raises(ValueError):
        build(Document("Fel"))
