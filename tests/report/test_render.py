"""The report's HTML: CSP hashes, script-safe JSON, autoescaping, no network, no handlers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from undertow.report.render import script_json


class Page(HTMLParser):
    """Collects tags, attributes and the raw text of style and script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self.blocks.append((self._open[0], self._open[1], "".join(self._text)))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)


def parse(path: Path) -> tuple[str, Page]:
    html = path.read_text("utf-8")
    page = Page()
    page.feed(html)
    return html, page


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp_of(page: Page) -> str:
    [csp] = [
        attrs["content"]
        for tag, attrs in page.tags
        if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp is not None
    return csp


def test_script_json_cannot_close_its_element(hostile_strings: list[str]) -> None:
    value = {"x": hostile_strings}
    text = str(script_json(value))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == value


def test_csp_allows_exactly_the_inline_blocks(community_report: Path) -> None:
    _, page = parse(community_report)
    csp = csp_of(page)
    assert csp.startswith("default-src 'none';")
    styles = [text for tag, _, text in page.blocks if tag == "style"]
    scripts = [text for tag, attrs, text in page.blocks if tag == "script" and "type" not in attrs]
    assert len(styles) == 1 and len(scripts) == 1
    assert f"style-src {sha(styles[0])}" in csp
    assert f"script-src {sha(scripts[0])}" in csp
    data = [text for tag, attrs, text in page.blocks if attrs.get("type") == "application/json"]
    assert len(data) == 1
    assert json.loads(data[0])["charts"], "charts are passed as JSON"


def test_report_is_self_contained(community_report: Path) -> None:
    html, page = parse(community_report)
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        for name in ("src", "href", "action", "srcset", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), f"<{tag} {name}={value!r}>"
    assert tag_count(page, "link") == 0 and tag_count(page, "iframe") == 0
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls


def tag_count(page: Page, name: str) -> int:
    return sum(1 for tag, _ in page.tags if tag == name)


def test_every_theme_with_metrics_has_a_section(community_report: Path) -> None:
    html = community_report.read_text("utf-8")
    assert 'id="answer"' in html and 'id="findings"' in html and 'id="methods"' in html
    assert html.count('class="chart"') >= 3


def test_hostile_inputs_are_escaped(hostile_report: Path, hostile_strings: list[str]) -> None:
    html, page = parse(hostile_report)
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "<b>bold</b>" not in html
    assert "\u202e" not in html, "a bidi override is never obeyed"
    assert "[U+202E]gnp.exe" in html
    assert "\u2028" not in html.split('id="undertow-data">', 1)[1].split("</script>", 1)[0]
    scripts = [b for b in page.blocks if b[0] == "script"]
    assert len(scripts) == 2, "no injected script element"
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        href = attrs.get("href")
        assert href is None or href.startswith("#"), href
    data = json.loads(
        next(text for _, attrs, text in page.blocks if attrs.get("id") == "undertow-data")
    )
    labels = data["charts"]["chart-leadership-hostile_labels"]["columns"]["label"]
    assert sorted(labels) == sorted(hostile_strings)
