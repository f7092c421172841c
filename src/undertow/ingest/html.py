"""Cheap HTML to text for forum bodies: own words, quoted words and code kept apart.

Stack Exchange and Discourse store message bodies as HTML. Metrics need the
author's own words, so quotes (``<blockquote>``, Discourse ``<aside class="quote">``)
go to ``quoted`` and code blocks (``<pre>``) are dropped from the text and only
flagged: a diff in a code block marks the message as carrying a patch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

__all__ = ["HtmlText", "html_text"]

# Tags after which a reader sees a line break.
_BLOCK = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "hr", "table"}
)
_SKIP = frozenset({"script", "style"})
_DIFF = re.compile(r"^(diff --git |--- a/|\+\+\+ b/|@@ -\d)", re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
# Bodies without quotes, code, mentions, comments or scripts (most of them) need no
# parser state: tags become line breaks or nothing. The regex honours quoted attributes.
_NEEDS_PARSER = re.compile(r"<(?:blockquote|pre|aside|script|style|!)|mention", re.IGNORECASE)
_TAG = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9]*)(?:[^>"']|"[^"]*"|'[^']*')*>""")
_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class HtmlText:
    """A body split into the author's own words, quoted words and code.

    Attributes
    ----------
    text
        The author's own words, code blocks and quotes removed.
    quoted
        Text inside quotes, or ``None`` when nothing was quoted.
    n_code_blocks
        Number of ``<pre>`` blocks removed from ``text``.
    has_diff
        A code block looked like a unified diff.
    mentions
        Handles of Discourse mention links (``<a class="mention">@name</a>``), in order.
    """

    text: str
    quoted: str | None
    n_code_blocks: int
    has_diff: bool
    mentions: tuple[str, ...]


class _Splitter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.own: list[str] = []
        self.quoted: list[str] = []
        self.code: list[str] = []
        self.n_code = 0
        self.mentions: list[str] = []
        self._quote_depth = 0
        self._pre_depth = 0
        self._skip_depth = 0
        self._mention_depth = 0
        self._mention: list[str] = []
        # Discourse quotes are <aside class="quote">; the stack remembers which asides quote.
        self._asides: list[bool] = []

    def _sink(self) -> list[str]:
        if self._pre_depth:
            return self.code
        return self.quoted if self._quote_depth else self.own

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag == "blockquote":
            self._quote_depth += 1
        elif tag == "aside":
            is_quote = "quote" in classes
            self._asides.append(is_quote)
            self._quote_depth += is_quote
        elif tag == "pre":
            if not self._pre_depth:
                self.n_code += 1
            self._pre_depth += 1
        elif tag == "a" and "mention" in classes:
            self._mention_depth += 1
            self._mention = []
        if tag in _BLOCK:
            self._sink().append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._sink().append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "aside":
            if self._asides and self._asides.pop():
                self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
            self.code.append("\n")
        elif tag == "a" and self._mention_depth:
            self._mention_depth -= 1
            handle = "".join(self._mention).strip().lstrip("@")
            if handle:
                self.mentions.append(handle)
        if tag in _BLOCK:
            self._sink().append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._mention_depth:
            self._mention.append(data)
        self._sink().append(data)


def _tidy(parts: list[str]) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return _LINES.sub("\n\n", "\n".join(lines)).strip()


def _tag_break(match: re.Match[str]) -> str:
    return "\n" if match.group(2).lower() in _BLOCK else ""


def html_text(body: str) -> HtmlText:
    """Split an HTML body into own words, quoted words and code flags.

    Parameters
    ----------
    body
        HTML as stored by Stack Exchange (``Body``) or Discourse (``cooked``).

    Returns
    -------
    HtmlText
        The parts; malformed HTML never raises (the parser is lenient).

    Examples
    --------
    >>> part = html_text("<blockquote>old</blockquote><p>I agree &amp; more</p><pre>x = 1</pre>")
    >>> part.text, part.quoted, part.n_code_blocks, part.has_diff
    ('I agree & more', 'old', 1, False)
    """
    if not _NEEDS_PARSER.search(body):
        text = unescape(_TAG.sub(_tag_break, body))
        return HtmlText(
            text=_tidy([text]), quoted=None, n_code_blocks=0, has_diff=False, mentions=()
        )
    splitter = _Splitter()
    splitter.feed(body)
    splitter.close()
    quoted = _tidy(splitter.quoted)
    return HtmlText(
        text=_tidy(splitter.own),
        quoted=quoted or None,
        n_code_blocks=splitter.n_code,
        has_diff=bool(_DIFF.search("".join(splitter.code))),
        mentions=tuple(splitter.mentions),
    )
