"""Every part reads Markdown as the site renders it.

Property tests: for generated tables and fenced blocks, the cells the checker sees, the cells
the redactor keeps and the `<td>`s Python-Markdown renders (with the example site's
extensions) are the same, and a line the checker treats as code is code in the HTML.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kb.format.body import find_table, parse_body
from postmortem_kb.format.markdown import (
    code_mask,
    headings,
    normalise_newlines,
    split_row,
    tables,
)
from postmortem_kb.format.parser import parse_text
from postmortem_kb.format.plaintext import markdown_to_text
from postmortem_kb.public.redaction import redact_for_public

EXTENSIONS = ["tables", "pymdownx.superfences", "admonition", "attr_list", "md_in_html"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS)


class _Cells(HTMLParser):
    """The inner HTML of each `<th>`/`<td>`, per table, per row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None:
            self._cell.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif self._cell is not None:
            self._cell.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_entityref(self, name: str) -> None:
        if self._cell is not None:
            self._cell.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if self._cell is not None:
            self._cell.append(f"&#{name};")


def rendered_cells(text: str) -> list[list[str]]:
    """The first table's cells, header first (without the empty row of a table with none)."""
    parser = _Cells()
    parser.feed(render(text))
    rows = parser.tables[0] if parser.tables else []
    return rows[:1] if len(rows) == 2 and not any(rows[1]) else rows


def inline(cell: str) -> str:
    """A cell's text rendered on its own as inline text, as a table cell's text is rendered
    (with `tables` on, a backslash-pipe is an escape; the lead word keeps `---` inline)."""
    html = markdown.markdown(f"Q {cell}", extensions=["tables"]).strip()
    return re.sub(r"^<p>Q ?|</p>$", "", html).strip()


# --- tables ------------------------------------------------------------------------------

_word = st.text(alphabet="abcxyz019@-", min_size=1, max_size=6)
_piece = st.one_of(
    _word,
    st.just(" "),
    st.just("\\|"),  # an escaped pipe: part of the cell
    _word.map(lambda w: f"`{w}|{w}`"),  # a pipe in a code span: part of the cell
    _word.map(lambda w: f"``a|`{w}``"),  # a double-backtick span holding a backtick
    _word.map(lambda w: f"**{w}**"),
)
_cell = st.lists(_piece, min_size=1, max_size=4).map("".join).filter(lambda c: c.strip())


@st.composite
def pipe_tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], bool]:
    columns = draw(st.integers(2, 5))
    header = [f"H{i}" for i in range(columns)]
    rows = draw(st.lists(st.lists(_cell, min_size=columns, max_size=columns), max_size=4))
    border = draw(st.booleans())
    return header, rows, border


def table_lines(header: list[str], rows: list[list[str]], border: bool) -> list[str]:
    def row(cells: list[str]) -> str:
        inner = " | ".join(cells)
        return f"| {inner} |" if border else inner

    return [row(header), row(["---"] * len(header)), *(row(cells) for cells in rows)]


@given(pipe_tables())
@SETTINGS
def test_table_cells_agree_with_python_markdown(table: tuple[list[str], list[list[str]], bool]):
    header, rows, border = table
    lines = table_lines(header, rows, border)
    text = "\n".join(lines)
    rendered = rendered_cells(text)
    found = list(tables(lines))
    assert len(found) == 1 and found[0].end == len(lines)
    width = len(header)  # a row renders as many cells as the header: cut or padded
    ours = [
        [cell.text for cell in split_row(line, found[0].border)][:width]
        for i, line in enumerate(lines)
        if i != 1
    ]
    ours = [row + [""] * (width - len(row)) for row in ours]
    assert [[inline(cell) for cell in row] for row in ours] == rendered


@given(pipe_tables())
@SETTINGS
def test_checker_and_redactor_see_the_rendered_cells(
    table: tuple[list[str], list[list[str]], bool],
) -> None:
    _, rows, border = table
    columns = ["Action", "Category", "Owner", "Due", "Ticket"]
    rows = [(r * 5)[:5] for r in rows] or [["x", "y", "z", "w", "v"]]
    section = "\n".join(table_lines(columns, rows, border))
    body = f"## Action items\n\n{section}\n"
    rendered = rendered_cells(section)

    checker = find_table(parse_body(body, 1).sections[0])
    assert checker is not None
    seen = [[c.text for c in checker.header], *([c.text for c in row] for row in checker.rows)]
    seen = [(row + [""] * 5)[:5] for row in seen]
    assert [[inline(cell) for cell in row] for row in seen] == rendered

    public = redact_for_public(body, lambda target: True)
    kept = rendered_cells(public.split("\n", 2)[2])
    assert kept == [[row[i] for i in (0, 1, 3)] for row in rendered]


def test_a_pipe_in_a_code_span_is_one_cell_for_every_reader() -> None:
    row = "| Retry `a|b` on timeout | Prevention | @dana | 2025-01-31 | PAY-1 |"
    text = (
        "## Action items\n\n| Action | Category | Owner | Due | Ticket |\n|---|---|---|---|---|\n"
        + row
    )
    cells = find_table(parse_body(text, 1).sections[0])
    assert cells is not None
    assert [c.text for c in cells.rows[0]] == [
        "Retry `a|b` on timeout",
        "Prevention",
        "@dana",
        "2025-01-31",
        "PAY-1",
    ]
    assert "@dana" not in redact_for_public(text, lambda target: True)
    assert "Retry `a|b` on timeout | Prevention | 2025-01-31" in redact_for_public(
        text, lambda t: True
    )


# --- fenced code -------------------------------------------------------------------------


@st.composite
def fenced_documents(draw: st.DrawFn) -> list[str]:
    lines: list[str] = []
    word = 0
    for _ in range(draw(st.integers(1, 4))):
        lines += ["", f"w{word} text", ""]
        word += 1
        indent = " " * draw(st.sampled_from([0, 0, 1, 2, 3]))
        char = draw(st.sampled_from("`~"))
        fence = char * draw(st.integers(3, 5))
        info = draw(st.sampled_from(["", "python", " text", "{.sh}", 'title="x"', "two words!"]))
        lines.append(f"{indent}{fence}{info}")
        for _ in range(draw(st.integers(0, 3))):
            inner = draw(st.sampled_from(["w{} code", "## w{} heading", "| w{} | a |", "w{} `x`"]))
            lines.append(indent + inner.format(word))
            word += 1
        closing = draw(st.sampled_from(["same", "longer", "none", "other-indent"]))
        if closing == "same":
            lines.append(f"{indent}{fence}")
        elif closing == "longer":
            lines.append(f"{indent}{fence}{char}")
        elif closing == "other-indent":
            lines.append(f"{indent} {fence}")
    return lines


def _code_words(html: str) -> set[str]:
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", html, re.S)
    return {word for block in blocks for word in re.findall(r"w\d+", block)}


@given(fenced_documents())
@SETTINGS
def test_code_is_what_the_site_renders_as_code(lines: list[str]) -> None:
    text = "\n".join(lines)
    html = render(text)
    mask = code_mask(lines)
    ours = {w for i, line in enumerate(lines) if mask[i] for w in re.findall(r"w\d+", line)}
    assert ours == _code_words(html)
    # a heading inside code is no heading for the checker either
    rendered_h2 = set(re.findall(r"<h2[^>]*>(w\d+) heading", html))
    assert {h.title.split()[0] for h in headings(lines) if h.level == 2} == rendered_h2
    # the search text keeps the words of code
    assert ours <= set(re.findall(r"w\d+", markdown_to_text(text)))


def test_line_ends_are_normalised_once_when_text_is_read() -> None:
    assert normalise_newlines("a\r\nb\rc\n") == "a\nb\nc\n"
    result = parse_text(
        "---\r\ntitle: x\r\n---\r\n## Summary\r\nText\r\n",
        __import__("pathlib").Path("2024-01-01-x.md"),
        "x.md",
    )
    assert result.postmortem is not None
    assert "\r" not in result.postmortem.markdown
    assert result.postmortem.body.sections[0].name == "Summary"
