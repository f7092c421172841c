"""The output audit: no e-mail address and no raw identifier may leave in any output file.

RELIABILITY.md §2: the audit runs at the end of every analysis, over every file the run
wrote (Parquet string columns, JSON, HTML), and fails the run if anything that looks like
an e-mail address, or any raw identifier the caller knows about, appears in it. A leak is
reported by file, kind and count, never by the leaked value itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from undertow.identity.keys import ProjectKey

__all__ = [
    "EMAIL_PATTERN",
    "Leak",
    "audit_outputs",
    "audit_text",
    "digest_hits",
    "output_text",
    "static_tokens",
    "trace_digests",
]

#: E-mail addresses, ``mailto:`` links and pipermail's ``user at example.org`` form.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
    r"|\b[A-Za-z0-9._%+\-]+ at [A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*"
    r"\.(?:com|org|net|edu|gov|io|de|fr|uk)\b"
)

# Identifiers shorter than this are common words or digits; matching them would flag
# every report, so they are left to the keyed-digest audit of the identity layer.
_MIN_IDENTIFIER = 4
_CHUNK = 500


@dataclass(frozen=True)
class Leak:
    """One kind of leak in one output file (the leaked value is deliberately absent)."""

    path: str
    kind: str
    count: int


def output_text(path: Path) -> str:
    """The text of an output file an auditor must read (Parquet: every string cell)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        parts = [" ".join(table.column_names)]
        for field in table.schema:
            if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
                values = table.column(field.name).drop_null().to_pylist()
                parts.append("\n".join(str(value) for value in values))
        return "\n".join(parts)
    return path.read_text("utf-8", errors="replace")


def _identifier_patterns(identifiers: Iterable[str]) -> Iterator[re.Pattern[str]]:
    usable = sorted(
        {value.strip() for value in identifiers if len(value.strip()) >= _MIN_IDENTIFIER},
        key=lambda value: (-len(value), value),
    )
    for start in range(0, len(usable), _CHUNK):
        alternatives = "|".join(re.escape(value) for value in usable[start : start + _CHUNK])
        # Whole tokens only: a pseudonym may contain a short name by chance.
        yield re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@])", re.IGNORECASE)


def audit_text(text: str, identifiers: Iterable[str] = ()) -> dict[str, int]:
    """Count e-mail patterns and raw identifiers in ``text``.

    Examples
    --------
    >>> audit_text("mail ann@example.org or bob at lists.example.org")
    {'email': 2}
    >>> audit_text("p-3f2a said hi to Ann Smith", identifiers=["Ann Smith"])
    {'identifier': 1}
    """
    counts: dict[str, int] = {}
    emails = len(EMAIL_PATTERN.findall(text))
    if emails:
        counts["email"] = emails
    found = sum(len(pattern.findall(text)) for pattern in _identifier_patterns(identifiers))
    if found:
        counts["identifier"] = found
    return counts


_TOKEN = re.compile(r"[^\W_]+|_+")
_HANDLE = re.compile(r"[\w.+\-]+(?:@[\w.\-]+)?")
# Pseudonyms and opaque ids are keyed hashes themselves: never raw identifiers.
_OPAQUE = re.compile(r"(?:[a-z]{1,3}_)?[0-9a-f]{10,}")


def _candidates(text: str) -> set[str]:
    """Tokens of ``text`` the identity layer may have digested.

    Words, word pairs and triples (multi-word names), and handle- or address-shaped tokens.
    """
    folded = text.casefold()
    words = _TOKEN.findall(folded)
    found = set(words)
    found.update(" ".join(words[i : i + 2]) for i in range(len(words) - 1))
    found.update(" ".join(words[i : i + 3]) for i in range(len(words) - 2))
    found.update(token.strip(".-+") for token in _HANDLE.findall(folded))
    return {token for token in found if len(token) >= 3 and not _OPAQUE.fullmatch(token)}


def static_tokens(texts: Iterable[str]) -> set[str]:
    """Tokens of the package's own words (templates, metric sources and descriptions).

    A token there is not evidence of a leak: the report cites "Pemberton, Mavin &
    Stalker (2007)" whether or not a member shares a surname with an author.
    """
    found: set[str] = set()
    for text in texts:
        found |= _candidates(text)
    return found


def digest_hits(
    text: str,
    digests: set[str],
    key: bytes,
    memo: dict[str, bool],
    allowed: frozenset[str] | set[str] = frozenset(),
) -> int:
    """Count distinct tokens of ``text`` whose keyed digest is among ``digests``.

    ``digests`` are the trace's ``audit.parquet`` digests of every raw identifier
    token (:mod:`undertow.identity.audit`); ``memo`` caches verdicts across files.

    Examples
    --------
    >>> from undertow.identity.audit import digest_tokens
    >>> key = bytes(32)
    >>> digests = digest_tokens(["ann pemberton", "annp"], key)
    >>> digest_hits("p_0a1b2c3d4e5f met Ann Pemberton", digests, key, {})
    1
    """
    from undertow.identity.audit import digest_tokens

    hits = 0
    for token in _candidates(text) - allowed:
        if token not in memo:
            memo[token] = bool(digest_tokens([token], key) & digests)
        hits += memo[token]
    return hits


def trace_digests(
    trace_path: Path | None, project_key: ProjectKey | None = None
) -> tuple[set[str], bytes] | None:
    """The raw-identifier digests of a trace folder and the key they were made with.

    ``project_key`` is the key checked against the trace's fingerprint
    (:func:`~undertow.identity.keys.check_trace_key`); without it the key is looked up.
    """
    if trace_path is None or not (trace_path / "audit.parquet").is_file():
        return None
    from undertow.identity.keys import load_key

    digests = pq.read_table(trace_path / "audit.parquet").column("digest").to_pylist()
    key = project_key.key if project_key is not None else load_key()
    return {str(d) for d in digests if d is not None}, key


def audit_outputs(
    folder: Path,
    identifiers: Iterable[str] = (),
    *,
    digests: tuple[set[str], bytes] | None = None,
    allowed: frozenset[str] | set[str] = frozenset(),
) -> list[Leak]:
    """Audit every file under ``folder``; return the leaks found (empty list: clean).

    Parameters
    ----------
    folder
        The output folder of a run.
    identifiers
        Raw identifiers (names, addresses, handles) that must not appear.
    digests
        The trace's keyed digests of raw identifier tokens and the key they were
        made with (:func:`trace_digests`).
    allowed
        Tokens of the package's own text (:func:`static_tokens`), not counted as leaks
        by the digest check (the e-mail pattern and ``identifiers`` still apply).
    """
    known = list(identifiers)
    leaks: list[Leak] = []
    memo: dict[str, bool] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = output_text(path)
        counts = audit_text(text, known)
        if digests is not None and digests[0]:
            hits = digest_hits(text, digests[0], digests[1], memo, allowed)
            if hits:
                counts["identifier"] = counts.get("identifier", 0) + hits
        for kind, count in sorted(counts.items()):
            leaks.append(Leak(path=path.relative_to(folder).as_posix(), kind=kind, count=count))
    return leaks
