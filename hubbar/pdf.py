"""A small writer of A4 PDF documents for reports: a title, headings, paragraphs, label/value
lists, tables that break cleanly across pages, and matplotlib charts drawn as vectors.

The caller composes a `Document` block by block, in reading order, and takes the bytes with
`Document.output`. It knows nothing of pilots or bookings: every word comes from the caller,
already translated and formatted, and so does the page label of the footer ("Page 2 of 7"),
through a callable, because the page count is only known once the document is laid out.

Text is set in DejaVu Sans, the font matplotlib ships (and draws the charts in), so Swedish
letters and signs such as – ≥ ≤ ○ ◐ ● print as they should. The library is fpdf2 (pure Python).
"""

from __future__ import annotations

import copy
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from defusedxml.ElementTree import fromstring as parse_xml
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.errors import FPDFException
from fpdf.prefs import ViewerPreferences

__all__ = ["Document", "default_page_label"]

# --- the look -----------------------------------------------------------------------------

MARGIN = 18.0  # mm: left, right and top
BOTTOM = 22.0  # mm: the text stops here above the page's edge; the footer sits below it
FONT = "DejaVu"
_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT_FILES = {
    "": "DejaVuSans.ttf",
    "B": "DejaVuSans-Bold.ttf",
    "I": "DejaVuSans-Oblique.ttf",
    "BI": "DejaVuSans-BoldOblique.ttf",
}

INK = (26, 26, 26)  # near-black, as the charts' text
MUTED = (89, 89, 89)  # captions and the footer: 7:1 against white
RULE = (191, 191, 191)
HEADER_FILL = (230, 230, 230)
ZEBRA_FILL = (245, 245, 245)

BODY_SIZE = 10.0  # pt
BODY_LINE = 5.0  # mm
SMALL_SIZE = 8.5
SMALL_LINE = 4.2
GAP = 3.0  # mm between two blocks

# level: (size pt, line height mm, space above mm, space below mm)
HEADINGS = {1: (16.0, 7.6, 7.0, 2.6), 2: (13.0, 6.4, 6.0, 2.0), 3: (11.0, 5.6, 4.5, 1.4)}
KEEP_LINES = 3  # a heading stays on the page of at least this many lines of what follows
KEEP_ROWS = 2  # ... or the header and this many rows of a table

ALIGNS = ("L", "R", "C")


def default_page_label(number: int, total: int) -> str:
    """The footer's page label when the caller gives none: "2 / 7"."""
    return f"{number} / {total}"


# --- the document -------------------------------------------------------------------------


class Document:
    """An A4 portrait document, composed block by block and laid out by `output`.

    ``title`` and ``subtitle`` open the first page and fill the PDF's metadata (with
    ``language``, an IETF tag such as "sv" or "en", and creator "hubbar"). Every page gets a
    footer: ``footer`` on the left, ``page_label(number, total)`` on the right; the callable
    runs inside `output`, so call that where the caller's language is in force.

    Each method checks its arguments at once and raises ValueError for a programming mistake
    (a heading level of 4, a row with a cell too many, markup that is no SVG); text itself can
    be anything, however long.
    """

    def __init__(
        self,
        title: str,
        *,
        subtitle: str = "",
        language: str = "sv",
        footer: str = "",
        page_label: Callable[[int, int], str] = default_page_label,
    ) -> None:
        self.title = _clean(title)
        self.subtitle = _clean(subtitle)
        self.language = language
        self.footer = _clean(footer)
        self.page_label = page_label
        self._blocks: list[_Block] = []

    def heading(self, text: str, level: int = 1) -> None:
        """A heading of level 1, 2 or 3, also listed in the PDF's outline (bookmarks). It is
        never left alone at the foot of a page: it moves to the next page with the start of
        the block that follows."""
        if level not in HEADINGS:
            raise ValueError(f"heading level must be 1, 2 or 3, not {level!r}")
        self._blocks.append(_Heading(_clean(text), level))

    def paragraph(self, text: str, *, small: bool = False, italic: bool = False) -> None:
        """Running text in 10 pt (8.5 pt when ``small``), wrapped to the text width; a line
        break in ``text`` starts a new line."""
        self._blocks.append(_Paragraph(_clean(text), small, italic))

    def facts(self, rows: list[tuple[str, str]]) -> None:
        """Labels and values in two columns (the terms of something): the label in bold on
        the left, the value beside it, wrapped. A pair is never split across pages."""
        pairs = []
        for row in rows:
            if len(row) != 2:
                raise ValueError(f"a fact is a (label, value) pair, not {row!r}")
            pairs.append((_clean(row[0]), _clean(row[1])))
        if pairs:
            self._blocks.append(_Facts(pairs))

    def table(
        self,
        headers: list[str],
        rows: list[list[str]],
        *,
        align: list[str] | None = None,
        widths: list[float] | None = None,
        caption: str = "",
    ) -> None:
        """A table of already formatted cells across the text width, with ``caption`` above.

        ``align`` gives each column "L", "R" or "C"; without it a column whose cells all read
        as numbers ("12", "42 %", "1 234,50 kr", "–") is right-aligned, any other left.
        ``widths`` are the columns' relative widths (any unit, scaled to the text width);
        without them the columns share the width by how much text they hold. Text wraps
        within its cell (a word too long for it is broken). On a page break the header row is
        repeated, and a row is never split, unless it is taller than a whole page.
        """
        columns = len(headers)
        if columns == 0:
            raise ValueError("a table needs at least one column")
        for row in rows:
            if len(row) != columns:
                raise ValueError(f"row {row!r} has {len(row)} cells, the header {columns}")
        if align is not None and (len(align) != columns or any(a not in ALIGNS for a in align)):
            raise ValueError(f"align must give one of {ALIGNS} per column, not {align!r}")
        if widths is not None and (len(widths) != columns or any(not w > 0 for w in widths)):
            raise ValueError(f"widths must give a positive number per column: {widths!r}")
        headers = [_clean(h) for h in headers]
        rows = [[_clean(cell) for cell in row] for row in rows]
        aligns = list(align or (_column_align([r[c] for r in rows]) for c in range(columns)))
        self._blocks.append(
            _Table(headers, rows, aligns, list(widths) if widths else None, _clean(caption))
        )

    def chart(self, svg: str, *, width_mm: float | None = None, alt: str = "") -> None:
        """A chart from its SVG markup (as `hubbar.occupancy.charts` makes them), drawn as
        vectors, centred, ``width_mm`` wide (default: its natural size, at most the text
        width), with ``alt``, its text alternative, in small type underneath. Chart and text
        stay together on one page."""
        if width_mm is not None and not width_mm > 0:
            raise ValueError(f"width_mm must be positive, not {width_mm!r}")
        prepared, natural_width, natural_height = _prepare_svg(svg)
        self._blocks.append(_Chart(prepared, natural_width, natural_height, width_mm, _clean(alt)))

    def page_break(self) -> None:
        """Go on at the top of a new page (never leaving a page blank)."""
        self._blocks.append(_PageBreak())

    def output(self) -> bytes:
        """The PDF. Lays the document out twice: first to count the pages, then with the
        footers ("Page 2 of 7") that need the count."""
        pages = self._render(total=None).pages_count
        return bytes(self._render(total=pages).output())

    def _render(self, total: int | None) -> _Writer:
        writer = _Writer(self, total)
        writer.title_block()
        for block in self._blocks:
            block.render(writer)
        writer.flush_headings()
        return writer


# --- laying out -----------------------------------------------------------------------------


class _Writer(FPDF):
    """fpdf2 with the document's fonts, margins and footer, and the bookkeeping that keeps a
    heading with what follows it."""

    def __init__(self, document: Document, total: int | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.document = document
        self.total = total
        self.pending: list[_Heading] = []
        self.outline_level = -1
        for style, name in _FONT_FILES.items():
            self.add_font(FONT, style, str(_FONT_DIR / name))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=BOTTOM)
        self.c_margin = 0
        self.set_title(document.title)
        if document.subtitle:
            self.set_subject(document.subtitle)
        self.set_lang(document.language)
        self.set_creator("hubbar")
        self.viewer_preferences = ViewerPreferences(display_doc_title=True)
        self.set_text_color(*INK)
        self.add_page()

    # --- page furniture

    def footer(self) -> None:
        if self.total is None:  # the counting pass: nothing below the text moves anything
            return
        top = self.h - BOTTOM + 6
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, top, self.w - self.r_margin, top)
        self.font(SMALL_SIZE)
        self.set_text_color(*MUTED)
        label = _clean(self.document.page_label(self.page_no(), self.total))
        label_width = self.get_string_width(label)
        self.set_xy(self.w - self.r_margin - label_width, top + 1.5)
        self.cell(label_width, SMALL_LINE, label)
        if self.document.footer:
            room = self.epw - label_width - 6
            self.set_xy(self.l_margin, top + 1.5)
            self.cell(room, SMALL_LINE, self.fit(self.document.footer, room))
        self.set_text_color(*INK)

    def title_block(self) -> None:
        if not (self.document.title or self.document.subtitle):
            return
        self.font(20, "B")
        self.multi_cell(self.epw, 9.0, self.document.title, align="L", **_NEXT_LINE)
        if self.document.subtitle:
            self.y += 1
            self.font(12)
            self.set_text_color(*MUTED)
            self.multi_cell(self.epw, 6.0, self.document.subtitle, align="L", **_NEXT_LINE)
            self.set_text_color(*INK)
        self.y += 3
        self.set_draw_color(*RULE)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
        self.y += 1

    # --- helpers

    def font(self, size: float, style: str = "") -> None:
        self.set_font(FONT, style, size)

    def lines(self, text: str, width: float) -> list[str]:
        """``text`` broken into the lines that fit ``width`` mm in the current font."""
        if not text:
            return [""]
        try:
            return self.multi_cell(
                width, 5, text, dry_run=True, output=MethodReturnValue.LINES, **_NEXT_LINE
            )
        except FPDFException:  # not even one character fits: one a line, overflowing
            return [char for char in text if not char.isspace()] or [""]

    def fit(self, text: str, width: float) -> str:
        """``text`` cut with "…" to fit ``width`` mm on one line."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    @property
    def at_top(self) -> bool:
        return self.y <= self.t_margin + 0.01

    @property
    def room(self) -> float:
        """How much height is left on this page."""
        return self.page_break_trigger - self.y

    @property
    def page_height(self) -> float:
        """The height a block has on an empty page."""
        return self.page_break_trigger - self.t_margin

    # --- blocks

    def start_block(self, keep: float) -> None:
        """Place the next block: the space above it, and any headings waiting for it, moved
        to a new page together with its first ``keep`` mm when they would not fit here."""
        headings = sum(h.height(self) for h in self.pending)
        gap = 0.0 if self.at_top or self.pending else GAP
        if not self.at_top and gap + headings + keep > self.room:
            self.add_page()
            gap = 0.0
        self.y += gap
        self.flush_headings()

    def flush_headings(self) -> None:
        for heading in self.pending:
            heading.draw(self)
        self.pending = []

    def add_outline(self, text: str, level: int) -> None:
        # fpdf2 refuses an outline that skips a level (a level 3 right after a level 1)
        level = min(level - 1, self.outline_level + 1)
        self.start_section(text, level)
        self.outline_level = level


_NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


@dataclass
class _Heading:
    text: str
    level: int

    def render(self, writer: _Writer) -> None:
        writer.pending.append(self)

    def _style(self, writer: _Writer) -> tuple[float, float, float, float]:
        size, line, above, below = HEADINGS[self.level]
        writer.font(size, "B")
        return size, line, above, below

    def height(self, writer: _Writer) -> float:
        _size, line, above, below = self._style(writer)
        return above + line * len(writer.lines(self.text, writer.epw)) + below

    def draw(self, writer: _Writer) -> None:
        _size, line, above, below = self._style(writer)
        if not writer.at_top:
            writer.y += above
        writer.add_outline(self.text, self.level)
        writer.multi_cell(writer.epw, line, self.text, align="L", **_NEXT_LINE)
        writer.y += below


@dataclass
class _Paragraph:
    text: str
    small: bool
    italic: bool

    def render(self, writer: _Writer) -> None:
        size, line = (SMALL_SIZE, SMALL_LINE) if self.small else (BODY_SIZE, BODY_LINE)
        writer.font(size, "I" if self.italic else "")
        lines = writer.lines(self.text, writer.epw)
        writer.start_block(line * min(KEEP_LINES, len(lines)))
        writer.font(size, "I" if self.italic else "")
        if self.small:
            writer.set_text_color(*MUTED)
        # fpdf2 breaks the page between lines by itself
        writer.multi_cell(writer.epw, line, self.text, align="L", **_NEXT_LINE)
        writer.set_text_color(*INK)


@dataclass
class _Facts:
    rows: list[tuple[str, str]]

    def render(self, writer: _Writer) -> None:
        kind = _Type(BODY_SIZE, BODY_LINE, 2.0, 1.2)
        writer.font(BODY_SIZE, "B")
        longest = max(writer.get_string_width(label) for label, _value in self.rows)
        label_width = min(longest + 2 * kind.pad_x, writer.epw * 0.4)
        value_width = writer.epw - label_width
        laid_out = []
        for label, value in self.rows:
            writer.font(BODY_SIZE, "B")
            label_lines = writer.lines(label, label_width - 2 * kind.pad_x)
            writer.font(BODY_SIZE)
            laid_out.append([label_lines, writer.lines(value, value_width)])
        writer.start_block(sum(kind.row_height(row) for row in laid_out[:KEEP_ROWS]))
        for index, row in enumerate(laid_out):
            for label_lines, value_lines in kind.split_row(row, writer.page_height):
                height = kind.row_height([label_lines, value_lines])
                if height > writer.room:
                    writer.add_page()
                top = writer.y
                writer.set_draw_color(*RULE)
                writer.set_line_width(0.2)
                if index == 0 or writer.at_top:
                    writer.line(writer.l_margin, top, writer.l_margin + writer.epw, top)
                left, text_top = writer.l_margin, top + kind.pad_y
                writer.font(BODY_SIZE, "B")
                _draw_lines(writer, label_lines, left, text_top, label_width, "L")
                writer.font(BODY_SIZE)
                _draw_lines(writer, value_lines, left + label_width, text_top, value_width, "L")
                writer.y = top + height
                writer.line(writer.l_margin, writer.y, writer.l_margin + writer.epw, writer.y)
        writer.x = writer.l_margin


@dataclass(frozen=True)
class _Type:
    """A table's type size (pt), line height and cell padding (mm)."""

    size: float
    line: float
    pad_x: float
    pad_y: float

    def row_height(self, cells: Sequence[Sequence[str]]) -> float:
        return self.line * max(len(lines) for lines in cells) + 2 * self.pad_y

    def split_row(self, cells: list[list[str]], page: float) -> list[list[list[str]]]:
        """A row as it is drawn: whole, or, only when taller than a page, in pieces that
        fit."""
        if self.row_height(cells) <= page:
            return [cells]
        per_piece = max(1, int((page - 2 * self.pad_y) // self.line))
        count = max(len(lines) for lines in cells)
        return [
            [lines[start : start + per_piece] for lines in cells]
            for start in range(0, count, per_piece)
        ]


# 9 pt, or for a table whose longest words do not fit side by side at one size, the next.
TABLE_TYPES = (
    _Type(9.0, 4.3, 1.8, 1.2),
    _Type(8.0, 3.8, 1.2, 1.0),
    _Type(7.0, 3.3, 0.8, 0.9),
)


@dataclass
class _Table:
    headers: list[str]
    rows: list[list[str]]
    aligns: list[str]
    widths: list[float] | None
    caption: str

    def render(self, writer: _Writer) -> None:
        kind, widths = self._layout(writer)
        text_widths = [w - 2 * kind.pad_x for w in widths]
        writer.font(kind.size, "B")
        header = [writer.lines(h, w) for h, w in zip(self.headers, text_widths, strict=True)]
        header_height = kind.row_height(header)
        writer.font(kind.size)
        rows = [
            [writer.lines(cell, w) for cell, w in zip(row, text_widths, strict=True)]
            for row in self.rows
        ]
        caption_lines: list[str] = []
        caption_height = 0.0
        if self.caption:
            writer.font(BODY_SIZE, "B")
            caption_lines = writer.lines(self.caption, writer.epw)
            caption_height = BODY_LINE * len(caption_lines) + 1.0
        first_rows = sum(kind.row_height(row) for row in rows[:KEEP_ROWS])
        writer.start_block(caption_height + header_height + first_rows)
        if caption_lines:
            writer.font(BODY_SIZE, "B")
            _draw_lines(writer, caption_lines, writer.l_margin, writer.y, writer.epw, "L")
            writer.y += caption_height
        self._draw_row(writer, kind, header, widths, header_height, header=True)
        for index, cells in enumerate(rows):
            for piece in kind.split_row(cells, writer.page_height - header_height):
                height = kind.row_height(piece)
                if height > writer.room:
                    self._draw_bottom(writer, widths)
                    writer.add_page()
                    self._draw_row(writer, kind, header, widths, header_height, header=True)
                self._draw_row(writer, kind, piece, widths, height, zebra=index % 2 == 1)
        self._draw_bottom(writer, widths)
        writer.x = writer.l_margin

    def _draw_bottom(self, writer: _Writer, widths: list[float]) -> None:
        """The rule that closes the table, or its part on a page."""
        writer.set_draw_color(*RULE)
        writer.set_line_width(0.3)
        writer.line(writer.l_margin, writer.y, writer.l_margin + sum(widths), writer.y)

    def _draw_row(
        self,
        writer: _Writer,
        kind: _Type,
        lines: list[list[str]],
        widths: list[float],
        height: float,
        *,
        header: bool = False,
        zebra: bool = False,
    ) -> None:
        """A row of cells: the header row in bold on grey over a darker rule, every second
        body row on a light stripe."""
        top = writer.y
        if header or zebra:
            writer.set_fill_color(*(HEADER_FILL if header else ZEBRA_FILL))
            writer.rect(writer.l_margin, top, sum(widths), height, style="F")
        writer.font(kind.size, "B" if header else "")
        x = writer.l_margin
        for cell, width, align in zip(lines, widths, self.aligns, strict=True):
            inner = width - 2 * kind.pad_x
            _draw_lines(writer, cell, x + kind.pad_x, top + kind.pad_y, inner, align, kind.line)
            x += width
        writer.y = top + height
        if header:
            writer.set_draw_color(*MUTED)
            writer.set_line_width(0.3)
            writer.line(writer.l_margin, writer.y, writer.l_margin + sum(widths), writer.y)

    def _layout(self, writer: _Writer) -> tuple[_Type, list[float]]:
        """The type size and the column widths (mm).

        Given relative widths are scaled to the text width. Otherwise the columns are laid out
        much as a browser lays out a table: a column whose text fits in an equal share of the
        width gets all it wants, so short cells (numbers, names) never wrap; the others get at
        least their longest word and share the rest by how much more their longest line
        wants. When the longest words do not fit side by side, the type gets smaller; at the
        smallest size a column gets at least an equal share of the width, and its words break.
        """
        total = writer.epw
        if self.widths:
            scale = total / sum(self.widths)
            return TABLE_TYPES[0], [w * scale for w in self.widths]
        for kind in TABLE_TYPES:
            least, most = self._measure(writer, kind)
            if sum(least) <= total:
                break
        if sum(most) <= total:
            extra = total - sum(most)
            return kind, [m + extra * m / sum(most) for m in most]
        if sum(least) > total:
            least = [min(n, total / len(least)) for n in least]
        widths: dict[int, float] = {}
        while True:  # give the narrow columns what they want, then see who else now fits
            rest = [c for c in range(len(most)) if c not in widths]
            if not rest:
                break
            fair = (total - sum(widths.values())) / len(rest)
            fitting = [c for c in rest if most[c] <= fair]
            if not fitting:
                break
            widths.update((c, most[c]) for c in fitting)
        room = total - sum(widths.values())
        floor = sum(least[c] for c in rest)
        want = {c: max(most[c] - least[c], 0.0) for c in rest}
        for c in rest:
            if floor <= room and sum(want.values()) > 0:
                widths[c] = least[c] + (room - floor) * want[c] / sum(want.values())
            else:  # the narrow columns took too much: share what is left by the longest words
                widths[c] = room * least[c] / floor
        return kind, [widths[c] for c in range(len(most))]

    def _measure(self, writer: _Writer, kind: _Type) -> tuple[list[float], list[float]]:
        """Each column's least width (its longest word) and the width its longest line wants,
        padding included."""
        least, most = [], []
        pad = 2 * kind.pad_x + 0.5
        for column, header in enumerate(self.headers):
            writer.font(kind.size, "B")
            words = [_longest_word(writer, header)]
            lines = [_longest_line(writer, header)]
            writer.font(kind.size)
            for row in self.rows:
                words.append(_longest_word(writer, row[column]))
                lines.append(_longest_line(writer, row[column]))
            least.append(max(words) + pad)
            most.append(max(max(lines), max(words)) + pad)
        return least, most


@dataclass
class _Chart:
    svg: str
    natural_width: float
    natural_height: float
    width: float | None
    alt: str

    def render(self, writer: _Writer) -> None:
        width = min(self.width or self.natural_width, writer.epw)
        alt_lines: list[str] = []
        alt_height = 0.0
        if self.alt:
            writer.font(SMALL_SIZE, "I")
            alt_lines = writer.lines(self.alt, width)
            alt_height = 1.5 + SMALL_LINE * len(alt_lines)
        height = width * self.natural_height / self.natural_width
        if height + alt_height > writer.page_height:  # taller than a page: shrink to fit one
            height = max(writer.page_height - alt_height, 10.0)
            width = height * self.natural_width / self.natural_height
            if self.alt:
                alt_lines = writer.lines(self.alt, width)
        writer.start_block(height + alt_height)
        left = writer.l_margin + (writer.epw - width) / 2
        top = writer.y
        if writer.total is not None:  # the counting pass only needs the space it takes
            markup = self.svg.encode("utf-8")
            writer.image(markup, x=left, y=top, w=width, h=height, alt_text=self.alt or None)
        writer.y = top + height
        if alt_lines:
            writer.y += 1.5
            writer.font(SMALL_SIZE, "I")
            writer.set_text_color(*MUTED)
            _draw_lines(writer, alt_lines, left, writer.y, width, "L", SMALL_LINE)
            writer.y += SMALL_LINE * len(alt_lines)
            writer.set_text_color(*INK)
        writer.x = writer.l_margin


class _PageBreak:
    def render(self, writer: _Writer) -> None:
        writer.flush_headings()
        if not writer.at_top:
            writer.add_page()


# What a document is made of: each block lays itself out with `render`.
_Block = _Heading | _Paragraph | _Facts | _Table | _Chart | _PageBreak


# --- small pieces ---------------------------------------------------------------------------


def _draw_lines(
    writer: _Writer,
    lines: Sequence[str],
    x: float,
    y: float,
    width: float,
    align: str,
    line: float = BODY_LINE,
) -> None:
    for number, text in enumerate(lines):
        writer.set_xy(x, y + number * line)
        writer.cell(width, line, text, align=align)


_BREAKS = re.compile(r"[ \t\n]+")  # where a line may break: not at a no-break space


def _longest_word(writer: _Writer, text: str) -> float:
    return max((writer.get_string_width(word) for word in _BREAKS.split(text)), default=0.0)


def _longest_line(writer: _Writer, text: str) -> float:
    return max((writer.get_string_width(line) for line in text.split("\n")), default=0.0)


# A formatted number: "12", "-3", "1 234,5", "42 %", "3,5 h", "120 kr", "< 3", "12:30".
_NUMBER = re.compile(
    r"^[<>≤≥±~]?\s?[-−+]?\d[\d\s\u00a0\u202f.,:'’]*(\s?(%|‰|h|min|kr|SEK|tkr|st|d|pp|p\.e\.))?$"
)
_NO_VALUE = {"", "–", "-", "—", "…"}


def _column_align(cells: Sequence[str]) -> str:
    """Right ("R") when every cell of a column is a number or no value and one at least a
    number; otherwise left ("L")."""
    values = [cell.strip() for cell in cells if cell.strip() not in _NO_VALUE]
    return "R" if values and all(_NUMBER.match(v) for v in values) else "L"


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: object) -> str:
    """Text as the PDF can set it: a string, lines split by "\\n", tabs as spaces, no other
    control characters."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


# --- SVG ------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
_S = "{" + SVG_NS + "}"
_UNITS_MM = {"": 25.4 / 96, "px": 25.4 / 96, "pt": 25.4 / 72, "mm": 1.0, "cm": 10.0, "in": 25.4}
_LENGTH = re.compile(r"^\s*([0-9.]+(?:[eE][-+]?\d+)?)\s*(px|pt|mm|cm|in)?\s*$")
_NUMBER_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_URL = re.compile(r"url\(\s*['\"]?#([^)'\"\s]+)['\"]?\s*\)")
_MAX_TILES = 2000


def _prepare_svg(svg: str) -> tuple[str, float, float]:
    """The SVG made ready for fpdf2, and its natural width and height in mm.

    fpdf2 draws what matplotlib writes faithfully but for a few things, settled here in the
    markup:

    - SVG's initial values (black fill, no stroke, stroke width 1, miter limit 4) go onto the
      root: fpdf2 leaves them to the PDF's graphics state, so a glyph would take the colour of
      the last table row and a line chart's sharp corners would grow spikes (PDF's limit is 10);
    - matplotlib's ``*{stroke-linejoin: round; …}`` style sheet rule goes onto the root too
      (fpdf2 reads class rules only);
    - a clip path made of a <path> becomes a <polygon>, which fpdf2 does clip with;
    - a pattern fill (the hatching of a closed hour), which fpdf2 cannot draw, is unrolled: the
      pattern's background fills the shape and its tiles are drawn clipped to it;
    - <title> and <metadata> go, as fpdf2 would only warn of them.
    """
    try:
        root = parse_xml(svg.strip().encode("utf-8"))
    except Exception as error:  # defusedxml and expat raise several kinds
        raise ValueError(f"not well-formed SVG: {error}") from error
    if root.tag != _S + "svg":
        raise ValueError("not an SVG document: the root element is not <svg>")
    width, height = _svg_size(root)

    initial = {"fill": "#000000", "stroke": "none", "stroke-width": "1", "stroke-miterlimit": "4"}
    for style in list(root.iter(_S + "style")):
        for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style.text or ""):
            if selector.strip() == "*":
                for declaration in body.split(";"):
                    name, _colon, value = declaration.partition(":")
                    if name.strip() and value.strip():
                        initial[name.strip()] = value.strip()
    for name, value in initial.items():
        if name not in root.attrib and name not in _declarations(root):
            root.set(name, value)

    for clip in list(root.iter(_S + "clipPath")):
        for index, child in enumerate(list(clip)):
            points = _polygon(child.get("d", "")) if child.tag == _S + "path" else None
            if points:
                polygon = ET.Element(_S + "polygon", {**child.attrib, "points": points})
                del polygon.attrib["d"]
                clip.remove(child)
                clip.insert(index, polygon)

    parents = {child: parent for parent in root.iter() for child in parent}
    for element in list(root):
        if element.tag in (_S + "title", _S + "metadata"):
            root.remove(element)
    patterns = {p.get("id"): p for p in root.iter(_S + "pattern") if p.get("id")}
    if patterns:
        defs = ET.Element(_S + "defs")
        root.insert(0, defs)  # fpdf2 resolves a reference only to what it has already read
        for number, element in enumerate(list(root.iter())):
            # fpdf2 reads a clip path's id as word characters only: no hyphens
            _unroll_pattern(element, patterns, parents, defs, root, f"hubbar_fill_{number}")
        for pattern in patterns.values():
            parents[pattern].remove(pattern)
    # ElementTree names the namespaces ns0, ns1…: valid XML, and the declaration lets fpdf2
    # recognise it as SVG all the same.
    markup = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return markup, width, height


def _svg_size(root: ET.Element) -> tuple[float, float]:
    """The width and height an SVG asks for, in mm (its viewBox in px when it names none)."""
    sizes = []
    for name in ("width", "height"):
        match = _LENGTH.match(root.get(name, ""))
        sizes.append(float(match[1]) * _UNITS_MM[match[2] or ""] if match else None)
    if None in sizes:
        box = root.get("viewBox", "").replace(",", " ").split()
        if len(box) != 4:
            raise ValueError("the SVG gives neither a width and height nor a viewBox")
        sizes = [float(box[2]) * _UNITS_MM["px"], float(box[3]) * _UNITS_MM["px"]]
    width, height = sizes
    if not (width > 0 and height > 0):
        raise ValueError("the SVG has no area")
    return width, height


def _paint(element: ET.Element, name: str) -> str | None:
    """The value of a paint property (fill, stroke) as the element itself sets it."""
    return _declarations(element).get(name, element.get(name))


def _set_paint(element: ET.Element, name: str, value: str) -> None:
    declarations = [
        d
        for d in element.get("style", "").split(";")
        if d.strip() and d.partition(":")[0].strip() != name
    ]
    element.set("style", "; ".join([*(d.strip() for d in declarations), f"{name}: {value}"]))
    if name in element.attrib:
        del element.attrib[name]


def _unroll_pattern(
    element: ET.Element,
    patterns: dict[str, ET.Element],
    parents: dict[ET.Element, ET.Element],
    defs: ET.Element,
    root: ET.Element,
    clip_id: str,
) -> None:
    """Replace a pattern fill of ``element`` with what fpdf2 can draw (see `_prepare_svg`)."""
    fill = _paint(element, "fill")
    match = _URL.fullmatch(fill.strip()) if fill else None
    if not match or match[1] not in patterns or element not in parents:
        return
    pattern = patterns[match[1]]
    tile_w = float(pattern.get("width", "0") or 0)
    tile_h = float(pattern.get("height", "0") or 0)
    children = list(pattern)
    background = "none"
    if children and children[0].tag == _S + "rect":
        first = children[0]
        covers = (
            float(first.get("x", "0")) <= 0
            and float(first.get("y", "0")) <= 0
            and float(first.get("width", "0")) >= tile_w
            and float(first.get("height", "0")) >= tile_h
        )
        if covers:
            background = _paint(first, "fill") or "#000000"
            children = children[1:]

    parent = parents[element]
    place = list(parent).index(element)
    under = copy.deepcopy(element)
    under.attrib.pop("id", None)
    _set_paint(under, "fill", background)
    _set_paint(under, "stroke", "none")
    _set_paint(element, "fill", "none")
    parent.insert(place, under)

    drawable = (
        element.tag == _S + "path"
        and not element.get("transform")
        and pattern.get("patternUnits") == "userSpaceOnUse"
        and not pattern.get("patternTransform")
        and not pattern.get("viewBox")
        and tile_w > 0
        and tile_h > 0
        and all(child.tag in (_S + "path", _S + "rect") for child in children)
    )
    points = _polygon(element.get("d", ""))
    if not (children and drawable and points):
        return
    box = _path_box(element.get("d", "")) or _view_box(root)
    if box is None:
        return
    origin_x = float(pattern.get("x", "0") or 0)
    origin_y = float(pattern.get("y", "0") or 0)
    first_i = math.floor((box[0] - origin_x) / tile_w)
    last_i = math.floor((box[2] - origin_x) / tile_w)
    first_j = math.floor((box[1] - origin_y) / tile_h)
    last_j = math.floor((box[3] - origin_y) / tile_h)
    if (last_i - first_i + 1) * (last_j - first_j + 1) * len(children) > _MAX_TILES:
        return
    clip = ET.SubElement(defs, _S + "clipPath", id=clip_id)
    ET.SubElement(clip, _S + "polygon", points=points)
    tiles = ET.Element(_S + "g")
    for i in range(first_i, last_i + 1):
        for j in range(first_j, last_j + 1):
            dx, dy = origin_x + i * tile_w, origin_y + j * tile_h
            for child in children:
                tile = copy.deepcopy(child)
                if tile.tag == _S + "rect":
                    tile.set("x", _num(float(tile.get("x", "0")) + dx))
                    tile.set("y", _num(float(tile.get("y", "0")) + dy))
                else:
                    tile.set("d", _shift_path(tile.get("d", ""), dx, dy))
                tile.set("clip-path", f"url(#{clip_id})")
                tiles.append(tile)
    parent.insert(place + 1, tiles)


def _declarations(element: ET.Element) -> dict[str, str]:
    """The declarations of an element's style attribute."""
    found = {}
    for declaration in element.get("style", "").split(";"):
        key, _colon, value = declaration.partition(":")
        if key.strip():
            found[key.strip()] = value.strip()
    return found


def _polygon(d: str) -> str | None:
    """The points of a path that is one polygon (absolute M, then L, then maybe Z) as a
    <polygon>'s points, or None for any other path."""
    tokens = _NUMBER_TOKEN.findall(d)
    if len(tokens) < 3 or tokens[0] != "M":
        return None
    points: list[str] = []
    numbers: list[str] = []
    for position, token in enumerate(tokens):
        if token in ("Z", "z"):
            if position != len(tokens) - 1:
                return None
        elif token.isalpha():
            if token != ("M" if position == 0 else "L") or numbers:
                return None
        else:
            numbers.append(token)
            if len(numbers) == 2:
                points.append(",".join(numbers))
                numbers = []
    return " ".join(points) if len(points) >= 3 and not numbers else None


def _view_box(root: ET.Element) -> tuple[float, float, float, float] | None:
    box = root.get("viewBox", "").replace(",", " ").split()
    if len(box) != 4:
        return None
    x, y, w, h = (float(v) for v in box)
    return x, y, x + w, y + h


def _path_box(d: str) -> tuple[float, float, float, float] | None:
    """The bounding box of a path's points (control points included, so never too small), or
    None when the path uses commands whose points need more than reading (relative, arcs)."""
    tokens = _NUMBER_TOKEN.findall(d)
    if any(t.isalpha() and t not in "MLCQSTZz" for t in tokens):
        return None
    numbers = [float(t) for t in tokens if not t.isalpha()]
    if len(numbers) < 2 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _shift_path(d: str, dx: float, dy: float) -> str:
    """Path data moved by (dx, dy): absolute coordinates shift, relative ones stay (but for a
    leading "m", whose first point is absolute)."""
    out: list[str] = []
    command = ""
    index = 0  # of the number within the current command's parameters
    seen = 0  # numbers read in all
    for token in _NUMBER_TOKEN.findall(d):
        if token.isalpha():
            command, index = token, 0
            out.append(token)
            continue
        value = float(token)
        upper = command.upper()
        absolute = command.isupper() or (command == "m" and seen < 2)
        if absolute:
            if upper in "MLCQST":
                value += dx if index % 2 == 0 else dy
            elif upper == "H":
                value += dx
            elif upper == "V":
                value += dy
            elif upper == "A" and index % 7 in (5, 6):
                value += dx if index % 7 == 5 else dy
        out.append(_num(value))
        index += 1
        seen += 1
    return " ".join(out)


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")
