"""Benchmark: how pseudonymous a trace is, and how many words its scrubbing turns into people.

Run from the repository root: ``.venv/bin/python bench/privacy.py [DATASET...]`` with the
shared real datasets beside the checkout (``../shared/data``). Each dataset is ingested with
the project's adapters into a temporary folder (with an identity map), while every text the
scrubber sees is kept with what it returned. Then:

- **leaks**: for the 30 most active people (``people.n_messages``) and for every person who
  appears only as ``Name <address>`` in the text (trailers such as ``Signed-off-by:``, ``Cc:``
  lines) or only joined an IRC channel, every form of their identifiers — addresses, full names
  (any spacing or case; ``_``/``.``/``-`` joined, run together), address local parts and handles
  that are not English words, capitalised name tokens of four letters or more that are not
  English words, their possessive and plural, and their ``?`` / U+FFFD / Latin-1↔UTF-8 mojibake
  spellings — is counted in every string cell of every written trace file (``audit.parquet``,
  keyed digests, excepted) and in ``manifest.json``;
- **false replacements**: each text the scrubber changed is compared word by word with its
  input (``difflib``); a single input word replaced by a pseudonym or ``<person>`` that is in the
  English word list (web2, lower-case entries, with plural/-ed/-ing forms) or in the short list
  of technical words below counts as a false replacement; reported per 10,000 messages.

The measure uses its own word lists and patterns, not the scrubber's, so it can judge any
version of the scrubber (run it with another checkout's ``src`` first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import gzip
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from english_words import get_english_words_set

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TOP = 30
#: Technical words of the four communities' fields (the issue's examples and their kin).
TECHNICAL = frozenset(
    """
    git xen nic intel linux kernel email list maintainers maintainer member signed patch
    patches bcm43xx usb uvc uvcvideo webcam driver drivers ubuntu debian fedora dspace duraspace
    java python maven solr api http https www com org net html xml json sql irc bug jira
    github svn arm x86 amd pci acpi qemu kvm dom0 domu hvm vcpu cpu gpu tmp home root admin
    user test dev info mail bot meta history question answer config build make code wiki
    """.split()  # noqa: SIM905 - a word list reads best as text
)
_ENGLISH = {w for w in get_english_words_set(["web2"], alpha=True) if w.islower()}
_SUFFIXES = ("'s", "s", "es", "ed", "d", "ing", "er", "ers", "ly")
_PSEUDONYM = re.compile(r"p_[0-9a-f]{12}|<person>")
_WORD = re.compile(r"[^\W_]+")
_NAME_ADDR = re.compile(
    r"([^\W\d_][^\s<>,;:\"()]*(?:[ \t]+[^\W\d_][^\s<>,;:\"()]*){1,3})[ \t]*"
    r"<([\w.+%-]+(?:@|[ \t]+at[ \t]+)[\w-]+(?:\.[\w-]+)+)>"
)


def is_word(token: str) -> bool:
    """Whether ``token`` is an English (web2) or technical word, inflections included."""
    token = token.casefold()
    if token in _ENGLISH or token in TECHNICAL:
        return True
    return any(
        token.endswith(s) and (token[: -len(s)] in _ENGLISH or token[: -len(s)] in TECHNICAL)
        for s in _SUFFIXES
        if len(token) > len(s) + 2
    )


def _misspellings(text: str) -> set[str]:
    """``?``, U+FFFD and Latin-1/cp1252 mojibake spellings of a text with non-ASCII letters."""
    if text.isascii():
        return set()
    out = {
        "".join(c if c.isascii() else "?" for c in text),
        "".join(c if c.isascii() else "\ufffd" for c in text),
    }
    for codec in ("latin-1", "cp1252"):
        with contextlib.suppress(UnicodeDecodeError):
            out.add(text.encode("utf-8").decode(codec))
    return out


def person_patterns(identifiers: list[tuple[str, str]]) -> list[re.Pattern[str]]:
    """The patterns of every form of one person's ``(kind, value)`` identifiers."""
    anywhere: set[str] = set()
    capitalised: set[str] = set()
    for kind, value in identifiers:
        value = value.strip().strip("<>")
        if kind == "email":
            address = re.sub(r"\s+at\s+", "@", value.casefold())
            anywhere.add(re.escape(address))
            local = address.split("@", 1)[0]
            if len(local) >= 3 and not is_word(local):
                anywhere.add(re.escape(local))
        elif kind == "name" and "@" not in value and " at " not in value:
            words = _WORD.findall(value)
            long_words = [w for w in words if len(w) >= 3]
            if len(words) > 1 and long_words:
                anywhere.add(r"[\s._\-]*".join(re.escape(w) for w in words))
                for spelled in _misspellings(" ".join(value.split())):
                    anywhere.add(r"\s+".join(re.escape(w) for w in spelled.split()))
            for w in words:
                if len(w) >= 4 and not is_word(w):
                    capitalised.add(re.escape(w[0].upper() + w[1:]))
                    capitalised.update(re.escape(s) for s in _misspellings(w))
        elif kind in ("handle", "source_id"):
            bare = value.casefold().rsplit(":", 1)[-1]
            if len(bare) >= 3 and not is_word(bare) and not bare.isdigit():
                anywhere.add(re.escape(bare))
    patterns = []
    edge = r"(?<![^\W_])"
    tail = r"(?:'?s)?(?![^\W_])"
    if anywhere:
        alternatives = "|".join(sorted(anywhere, key=len, reverse=True))
        patterns.append(re.compile(rf"{edge}(?:{alternatives}){tail}", re.IGNORECASE))
    if capitalised:
        alternatives = "|".join(sorted(capitalised, key=len, reverse=True))
        patterns.append(re.compile(rf"{edge}(?:{alternatives}){tail}"))
    return patterns


def trace_text(folder: Path) -> str:
    """Every string cell of every trace file but the keyed audit digests, and the manifest."""
    parts = [(folder / "manifest.json").read_text("utf-8")]
    for path in sorted(folder.glob("*.parquet")):
        if path.name == "audit.parquet":
            continue
        table = pq.read_table(path)
        for field in table.schema:
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                parts.extend(v for v in table.column(field.name).to_pylist() if v)
    return "\n".join(parts)


def _capture() -> list[tuple[list[str | None], list[str | None]]]:
    from undertow.identity import scrub

    pairs: list[tuple[list[str | None], list[str | None]]] = []
    original = scrub.Scrubber.__call__

    def recording(self: Any, texts: Any) -> Any:
        out = original(self, texts)
        pairs.append((texts.to_pylist(), out.to_pylist()))
        return out

    scrub.Scrubber.__call__ = recording  # type: ignore[method-assign]
    return pairs


def false_replacements(pairs: list[tuple[list[str | None], list[str | None]]]) -> Counter[str]:
    """Words of the word lists that the scrubber replaced by a person, with their counts."""
    found: Counter[str] = Counter()
    for before, after in pairs:
        for raw, scrubbed in zip(before, after, strict=True):
            if raw is None or scrubbed is None or raw == scrubbed:
                continue
            left, right = re.findall(r"\S+", raw), re.findall(r"\S+", scrubbed)
            matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op != "replace" or i2 - i1 != j2 - j1:
                    continue
                for old, new in zip(left[i1:i2], right[j1:j2], strict=True):
                    if not _PSEUDONYM.search(new) or "@" in old:
                        continue
                    old_words, new_words = _WORD.findall(old), _WORD.findall(new)
                    for word in set(old_words) - set(new_words):
                        if is_word(word) and re.search(r"[^\W\d_]", word):
                            found[word.casefold()] += 1
    return found


def _dataset(name: str) -> tuple[str, list[Path], dict[str, Any]]:
    base = DATA
    if name == "uvc":
        return "mbox", [base / "mailinglist-linux-uvc-devel" / "mbox"], {}
    if name == "irc":
        return "irc", [base / "irc-duraspace" / "events.tsv.gz"], {}
    if name == "se":
        return "stackexchange", [base / "stackexchange-history-meta"], {}
    xen = base / "git-xen"
    return (
        "git",
        [xen / "commits.jsonl.gz"],
        {"maintainers": xen / "maintainers", "documents": xen / "documents"},
    )


def _joined_only(identity: dict[str, list[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    handles = {v.casefold().rsplit(":", 1)[-1] for ids in identity.values() for k, v in ids}
    nicks: set[str] = set()
    with gzip.open(DATA / "irc-duraspace" / "events.tsv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["kind"] == "join" and row["nick"]:
                nicks.add(row["nick"])
    return [[("handle", n)] for n in sorted(nicks) if n.casefold() not in handles]


def measure(name: str) -> dict[str, Any]:
    """Ingest one dataset and return its leak and false-replacement figures."""
    from undertow.cli.ingest import ingest_paths

    pairs = _capture()
    fmt, paths, options = _dataset(name)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        manifest = ingest_paths(
            paths,
            folder / "trace",
            fmt=fmt,
            key_file=folder / "key",
            identity_map=folder / "map.csv",
            **options,
        )
        identity: dict[str, list[tuple[str, str]]] = {}
        with (folder / "map.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                identity.setdefault(row["person_id"], []).append((row["kind"], row["identifier"]))
        people = pq.read_table(folder / "trace" / "people.parquet").to_pylist()
        people.sort(key=lambda p: (-p["n_messages"], p["person_id"]))
        top = [identity[p["person_id"]] for p in people[:TOP] if p["person_id"] in identity]
        emails = {
            re.sub(r"\s+at\s+", "@", v.casefold())
            for ids in identity.values()
            for k, v in ids
            if k == "email"
        }
        outsiders: dict[str, list[tuple[str, str]]] = {}
        for before, _ in pairs:
            for text in before:
                for person, address in _NAME_ADDR.findall(text or ""):
                    address = re.sub(r"\s+at\s+", "@", address.casefold())
                    if address not in emails:
                        outsiders.setdefault(address, [("email", address)]).append(("name", person))
        others = list(outsiders.values())
        if name == "irc":
            others += _joined_only(identity)
        text = trace_text(folder / "trace")
        n_messages = manifest["tables"]["messages"]
        result: dict[str, Any] = {"dataset": name, "messages": n_messages}
        for label, group in (("top", top), ("outsiders", others)):
            hits = [sum(len(p.findall(text)) for p in person_patterns(ids)) for ids in group]
            result[label] = {
                "people": len(group),
                "leaking": sum(1 for h in hits if h),
                "occurrences": sum(hits),
            }
        words = false_replacements(pairs)
        result["false_replacements"] = sum(words.values())
        result["false_per_10k"] = round(1e4 * sum(words.values()) / max(n_messages, 1), 2)
        result["false_word_types"] = len(words)
        result["scrub"] = manifest.get("identity", {}).get("scrub")
        # The most replaced words go to standard error only, to find what to fix.
        print(name, words.most_common(25), file=sys.stderr)
        return result


def main() -> None:
    """Measure each dataset and print one JSON line per dataset."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="*", default=["uvc", "irc", "se", "xen"])
    args = parser.parse_args()
    for name in args.datasets:
        print(json.dumps(measure(name), sort_keys=True), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
