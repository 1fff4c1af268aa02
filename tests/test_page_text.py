"""The text the site search indexes of a page (`search_markup.page_text`): the one-pass
reader gives the same text as html.parser did (`_reference` below is the extractor as it
was before it, kept here as the oracle) on the example site's pages, on rendered hostile
inputs, on hand-written markup and on random markup; what it cannot read goes to
html.parser."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from postmortem_kb.site.search_markup import _split_text, page_text

_VOID_TAGS = "area base br col embed hr img input link meta source track wbr"
_BLOCK_TAGS = "p div li td th tr h1 h2 h3 h4 h5 h6 pre blockquote dt dd table ul ol section"


class _ReferenceParser(HTMLParser):
    """`search_markup._TextParser` as it was when the index was last checked by hand."""

    VOID = frozenset(_VOID_TAGS.split())
    BLOCKS = frozenset(_BLOCK_TAGS.split())
    SKIPPED = frozenset({"pmkb-unindexed", "headerlink"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        if self._skipping:
            self._skipping += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag in ("script", "style", "template") or classes & self.SKIPPED:
            self._skipping = 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self._skipping:
            self._skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _reference(html: str) -> str:
    parser = _ReferenceParser()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def _agrees(html: str) -> bool:
    """page_text agrees with the oracle; True if the one-pass reader read it itself."""
    assert page_text(html) == _reference(html), html[:300]
    return _split_text(html) is not None


_EXTENSIONS = ["admonition", "pymdownx.details", "pymdownx.superfences", "tables", "attr_list"]
_EXTENSIONS += ["toc", "md_in_html"]


def _render(text: str) -> str:
    """Markdown as the example site's `markdown_extensions` render it (permalinks on)."""
    return markdown.markdown(
        text, extensions=_EXTENSIONS, extension_configs={"toc": {"permalink": True}}
    )


_ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)


def test_the_example_sites_pages_read_the_same_and_in_one_pass(
    example_sites: dict[str, Path],
) -> None:
    articles = whole = 0
    for site in example_sites.values():
        for path in sorted(site.rglob("*.html")):
            html = path.read_text(encoding="utf-8")
            _agrees(html)  # the whole page: scripts and all, html.parser's part
            whole += 1
            for article in _ARTICLE.findall(html):  # the page's content, as indexed
                assert _agrees(article), f"{path}: not read in one pass"
                articles += 1
    assert whole > 40 and articles > 40


@pytest.mark.parametrize(
    "text",
    [
        "".join("    " * i + "- level\n" for i in range(60)),
        "".join("> " * i + "quoted\n\n" for i in range(1, 30)),
        "Intro.\n\n" + "*" * 150 + "x" + "*" * 150 + "\n",
        "Intro.\n\n" + "[" * 150 + "x" + "]" * 150 + "\n",
        "| a | b |\n|---|---|\n" + "| x & y | <b>z</b> |\n" * 2000,
        "word " * 50_000 + "\n",
        '# T\n\n<div class="pmkb-unindexed" markdown>\n\n- [a](a.md)\n\n</div>\n\nAfter.\n',
        "# T\n\n<div markdown>\n<p>raw <em>html</em> &amp; <3 a < b</p>\n</div>\n",
        "Text <!-- a comment --> more <span title='x>y'>z</span>\n\n```html\n<p>&lt;</p>\n```\n",
        '<details class="pmkb-unindexed"><summary>s</summary>hidden</details>\n\nshown\n',
    ],
    ids=[
        "deep lists",
        "deep block quotes",
        "emphasis run",
        "nested brackets",
        "big table",
        "a long line",
        "an unindexed block",
        "raw html",
        "comments and code",
        "raw unindexed html",
    ],
)
def test_rendered_hostile_inputs_read_the_same(text: str) -> None:
    assert _agrees(_render(text))


@pytest.mark.parametrize(
    ("html", "text", "one_pass"),
    [
        ('<h2 id="x">Root<a class="headerlink" href="#x">&para;</a></h2>ok', "Root ok", True),
        ("a<b>c</b>d", "a c d", True),  # every tag separates words, as html.parser's pieces
        ("a<3 and 1 < 2", "a < 3 and 1 < 2", True),  # a stray "<" is a piece of its own
        ("&am<i>p;</i> &amp;lt;", "&am p; &lt;", True),  # no reference across a tag
        ('<div class="pmkb-unindexed"><p>x</p><br><img src=y>z</div>after', "after", True),
        ('<DIV CLASS="x headerlink">gone</DIV>kept', "kept", True),
        ('<span class="head&#101;rlink">gone</span>kept', "kept", True),
        ('<a class="headerlink" class="other">kept</a>', "kept", True),  # the last one counts
        ('<p class="headerlink"/>kept', "kept", True),  # opens and closes at once
        ('<div class="pmkb-unindexed">never closed <p>x</p>', "", True),
        ('<div class="pmkb-unindexed"><p>x</span></b>out', "out", True),  # any end tag counts
        ("<template><p>t</p></template>kept", "kept", True),
        ("<a href=x/>k</a>", "k", True),
        ("<script>if (a < b) { x = '</p>' }</script>kept", "kept", False),
        ("<style>p { }</style>kept", "kept", False),
        ("<!DOCTYPE html><p>x</p>", "x", False),
        ("<p\x0bclass='headerlink'>x</p>", "x", False),  # html.parser's tolerant tag name
        ("<a b c=d>x<!-- unclosed", "x < !-- unclosed", False),
    ],
)
def test_hand_written_markup(html: str, text: str, one_pass: bool) -> None:
    assert page_text(html) == text == _reference(html)
    assert (_split_text(html) is not None) is one_pass


_FRAGMENTS = [
    *("<p>", "</p>", "<li>", "</li>", "<code>", "</code>", '<h2 id="x">', "</h2>", "</a>"),
    *('<div class="pmkb-unindexed">', "<div class='headerlink x'>", "</div>", "</DIV >"),
    *('<a class="a&amp;b headerlink">', "<A CLASS=headerlink>", '<td class="y" class="z">'),
    *("<br>", "</br>", "<br/>", "<span/>", "<template>", "</template>", "<x:y>", "</x:y>"),
    *("<!-- c -->", "<!-->", "<!--", "-->", "<!DOCTYPE html>", "<?pi?>", "<![CDATA[x]]>"),
    *("<script>", "</script>", "<style>", "</style>", "<ſcript>", "</ p>", "</p x>", "</>"),
    *("&amp;", "&am", "p;", "&nbsp;", "&#60;", "&#x3c", "&lt", "<", ">", "< b", "<3"),
    *(" ", "\n", "word", "é", "\xa0", "\x0b", '"', "'", "=", "/", '<a href="x>y">'),
    *("<a b c=d>", '<a b=="x">', "<a class=x/>", "<img src=x>", "<p\x0bclass='x'>"),
    *('<a\tclass="headerlink"\n>', "<a title='q\"'>"),
]


def test_a_marked_section_html_parser_does_not_know_is_text_not_a_traceback() -> None:
    html = _render("<div>\n<![foo[ x ]]>\n</div>\n\ntext")
    assert "<![foo[" in html  # raw HTML, passed through
    assert page_text(html) == "<![foo[ x ]]> text"


def test_random_markup_reads_the_same() -> None:
    rng = random.Random(13)
    one_pass = 0
    for _ in range(20_000):
        html = "".join(rng.choice(_FRAGMENTS) for _ in range(rng.randint(0, 14)))
        one_pass += _agrees(html)
    assert one_pass > 5_000  # the one-pass reader was tried, not only html.parser
