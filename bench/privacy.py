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
- **false replacements**: for each text the scrubber changed (and gave a pseudonym or
  ``<person>``), the words of its input (addresses left out) that are missing from its output
  were replaced; each such word in the English word list (web2, lower-case entries, with
  plural/-ed/-ing forms; words of three letters or more) or in the short list of technical words
  below counts as a false replacement; reported per 10,000 messages.

The measure uses its own word lists and patterns, not the scrubber's, so it can judge any
version of the scrubber (run it with another checkout's ``src`` first on ``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
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
_ADDRESS = re.compile(r"[\w.+%-]+(?:@|\s+at\s+)[\w-]+(?:\.[\w-]+)+")
_WORD = re.compile(r"[^\W_]+")
_NAME_ADDR = re.compile(
    r"([^\W\d_][^\s<>,;:\"()]*(?:[ \t]+[^\W\d_][^\s<>,;:\"()]*){1,3})[ \t]*"
    r"<([\w.+%-]+(?:@|[ \t]+at[ \t]+)[\w-]+(?:\.[\w-]+)+)>"
)


def _is_word(token: str) -> bool:
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


def person_patterns(
    identifiers: list[tuple[str, str]], vocabulary: frozenset[str] | set[str] = frozenset()
) -> list[re.Pattern[str]]:
    """The patterns of every form of one person's ``(kind, value)`` identifiers.

    Single tokens in ``vocabulary`` (the trace's own words) are left out, like words.
    """

    def is_word(token: str) -> bool:
        # A login of several parts ("bug-track") is a word when every part is one.
        parts = _WORD.findall(token) or [token]
        return all(_is_word(p) or p.casefold() in vocabulary or p.isdigit() for p in parts)

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


def _capture_vocabulary() -> set[str]:
    """Record the trace's community words (tokens the scrubber keeps as words), if any."""
    from undertow.ingest import builder

    vocabulary: set[str] = set()
    original = getattr(builder, "community_words", None)
    if original is None:
        return vocabulary

    def recording(*args: Any, **kwargs: Any) -> Any:
        found = original(*args, **kwargs)
        vocabulary.update(found)
        return found

    builder.community_words = recording  # type: ignore[attr-defined]
    return vocabulary


def false_replacements(
    pairs: list[tuple[list[str | None], list[str | None]]], names: set[tuple[str, str]]
) -> Counter[str]:
    """Words of the word lists that the scrubber replaced on their own, with their counts.

    Per changed text that gained a pseudonym or ``<person>``: the words of its input
    (addresses left out, and words that form a known full name with a neighbour, from
    ``names``, the consecutive word pairs of every multi-word name) minus the words of its
    output, as multisets.
    """
    found: Counter[str] = Counter()
    for before, after in pairs:
        for raw, scrubbed in zip(before, after, strict=True):
            if raw is None or scrubbed is None or raw == scrubbed:
                continue
            if not _PSEUDONYM.search(scrubbed):
                continue
            words = [w.casefold() for w in _WORD.findall(_ADDRESS.sub(" ", raw))]
            in_name = [False] * len(words)
            for i in range(len(words) - 1):
                if (words[i], words[i + 1]) in names:
                    in_name[i] = in_name[i + 1] = True
            gone = Counter(w for w, named in zip(words, in_name, strict=True) if not named)
            gone.subtract(Counter(w.casefold() for w in _WORD.findall(scrubbed)))
            for word, n in gone.items():
                if n > 0 and len(word) >= 3 and _is_word(word) and not word.isdigit():
                    found[word] += n
    return found


def _dataset(name: str, base: Path = DATA) -> tuple[str, list[Path], dict[str, Any]]:
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


def _joined_only(
    identity: dict[str, list[tuple[str, str]]], data: Path = DATA
) -> list[list[tuple[str, str]]]:
    handles = {v.casefold().rsplit(":", 1)[-1] for ids in identity.values() for k, v in ids}
    nicks: set[str] = set()
    with gzip.open(data / "irc-duraspace" / "events.tsv.gz", "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["kind"] == "join" and row["nick"]:
                nicks.add(row["nick"])
    return [[("handle", n)] for n in sorted(nicks) if n.casefold() not in handles]


def measure(
    name: str,
    keep: Path | None = None,
    *,
    data: Path = DATA,
    aliases: Path | None = None,
    opt_out: Path | None = None,
) -> dict[str, Any]:
    """Ingest one dataset and return its leak and false-replacement figures.

    With ``keep``, the trace and identity map stay in ``keep/<name>`` for inspection.
    """
    from undertow.cli.ingest import ingest_paths

    pairs = _capture()
    vocabulary = _capture_vocabulary()
    fmt, paths, options = _dataset(name, data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if keep is None else keep / name
        folder.mkdir(parents=True, exist_ok=True)
        manifest = ingest_paths(
            paths,
            folder / "trace",
            fmt=fmt,
            key_file=folder / "key",
            identity_map=folder / "map.csv",
            aliases=aliases,
            opt_out=opt_out,
            **options,
        )
        identity: dict[str, list[tuple[str, str]]] = {}
        with (folder / "map.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                identity.setdefault(row["person_id"], []).append((row["kind"], row["identifier"]))
        people = pq.read_table(folder / "trace" / "people.parquet").to_pylist()
        people.sort(key=lambda p: (-p["n_messages"], p["person_id"]))
        top = [identity[p["person_id"]] for p in people[:TOP] if p["person_id"] in identity]
        # People who wrote something: a person named only in text has no message.
        writers = {p["person_id"] for p in people if p["n_messages"]}
        writing = {
            re.sub(r"\s+at\s+", "@", v.casefold())
            for person, ids in identity.items()
            if person in writers
            for k, v in ids
            if k == "email"
        }
        outsiders: dict[str, list[tuple[str, str]]] = {}
        for before, _ in pairs:
            for text in before:
                for person, address in _NAME_ADDR.findall(text or ""):
                    address = re.sub(r"\s+at\s+", "@", address.casefold())
                    if address not in writing:
                        outsiders.setdefault(address, [("email", address)]).append(("name", person))
        names = {
            pair
            for ids in [*identity.values(), *outsiders.values()]
            for k, v in ids
            if k == "name"
            for words in [[w.casefold() for w in _WORD.findall(v)]]
            for pair in zip(words, words[1:], strict=False)
        }
        others = list(outsiders.values())
        if name == "irc":
            others += _joined_only(identity, data)
        text = trace_text(folder / "trace")
        n_messages = manifest["tables"]["messages"]
        result: dict[str, Any] = {"dataset": name, "messages": n_messages, "text": text}
        for label, group in (("top", top), ("outsiders", others)):
            found = [
                [m for p in person_patterns(ids, vocabulary) for m in p.findall(text)]
                for ids in group
            ]
            if keep is not None:
                leaked = Counter(m for ms in found for m in ms)
                print(name, label, "leaked forms", leaked.most_common(30), file=sys.stderr)
            hits = [len(ms) for ms in found]
            result[label] = {
                "people": len(group),
                "leaking": sum(1 for h in hits if h),
                "occurrences": sum(hits),
            }
        words = false_replacements(pairs, names)
        result["false_replacements"] = sum(words.values())
        result["false_per_10k"] = round(1e4 * sum(words.values()) / max(n_messages, 1), 2)
        result["false_word_types"] = len(words)
        result["scrub"] = manifest.get("identity", {}).get("scrub")
        result["community_words"] = len(vocabulary)
        # The most replaced words go to standard error only, to find what to fix.
        print(name, words.most_common(25), file=sys.stderr)
        return result


def main() -> None:
    """Measure each dataset and print one JSON line per dataset."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("datasets", nargs="*", default=["uvc", "irc", "se", "xen"])
    parser.add_argument("--keep", type=Path, help="Keep each trace and identity map here.")
    args = parser.parse_args()
    for name in args.datasets:
        result = measure(name, args.keep)
        del result["text"]
        print(json.dumps(result, sort_keys=True), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
