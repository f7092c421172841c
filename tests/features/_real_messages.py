"""Read real message texts straight from the raw files in ``../shared/data`` (no adapters)."""

from __future__ import annotations

import csv
import gzip
import html
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - a trusted local fixture file
from pathlib import Path

_MBOX_SPLIT = re.compile(r"^From \S+ at \S+ +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", re.M)
_TAG = re.compile(r"<[^>]+>")


def mailing_list_bodies(shared_data: Path, limit: int) -> list[str]:
    """Bodies (after the header block) of linux-uvc-devel mails, oldest files first."""
    bodies: list[str] = []
    for path in sorted((shared_data / "mailinglist-linux-uvc-devel" / "mbox").glob("*.txt.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for mail in _MBOX_SPLIT.split(text):
            _, _, body = mail.partition("\n\n")
            if body.strip():
                bodies.append(body)
            if len(bodies) >= limit:
                return bodies
    return bodies


def stackexchange_comments(shared_data: Path, limit: int) -> list[str]:
    """Comment texts of the History Meta Stack Exchange dump."""
    path = shared_data / "stackexchange-history-meta" / "Comments.xml.gz"
    texts: list[str] = []
    with gzip.open(path) as handle:
        for _, element in ET.iterparse(handle):  # noqa: S314 - trusted fixture
            if element.tag == "row":
                texts.append(html.unescape(_TAG.sub(" ", element.get("Text", ""))))
                if len(texts) >= limit:
                    break
            element.clear()
    return texts


def irc_lines(shared_data: Path, limit: int) -> list[str]:
    """Chat lines (kind ``msg``) of the #duraspace IRC log."""
    path = shared_data / "irc-duraspace" / "events.tsv.gz"
    texts: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(io.TextIOWrapper(handle.buffer, encoding="utf-8"), delimiter="\t")
        for row in reader:
            if row.get("kind") == "msg" and row.get("text"):
                texts.append(row["text"])
                if len(texts) >= limit:
                    break
    return texts
