"""The output audit: no e-mail address and no raw identifier may leave in any output file.

The audit runs at the end of every analysis, over every file the run
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
    "small_cell_audit",
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


# A count of people in a sentence: a number then (optionally "of N" and one word) a
# people word. Broader than the finding coarsener's own pattern, so it checks it.
_FEW_PEOPLE = re.compile(
    r"(?<![\w.,#/:-])(?<!next )(?<!top )(?<!first )(?<!last )(\d+)(?= (?:of [\d,]+ )?"
    r"(?:[a-z-]+ )?(?:people|persons?|members?|repliers?|carers?|newcomers?|leaders?|"
    r"maintainers?|reviewers?|founders?|authors?|users?|participants?|contributors?|"
    r"individuals?|holders?|active)\b)"
)


def small_cell_audit(folder: Path, k: int, roles: pa.Table | None = None) -> list[str]:
    """Every way the outputs in ``folder`` could show or give away a group of fewer than k.

    Checks, by reading the written files only:

    - no visible ``n_people`` or declared people count (``PeopleCount``) of 1 to k-1;
    - in every set of rows that adds up to a known total (the metric's ``sums``, or
      the default sets), no hidden cell is determined by the visible cells and the
      totals (linear algebra on the suppression pattern);
    - no date of an individual role event finer than the month;
    - with the trace's ``roles`` table, no role or unit label held by fewer than k people;
    - no quoted count of 1 to k-1 people in ``findings.json``, ``notes.json``,
      ``skipped.json`` or the report.

    Returns one line per problem (empty: none found). Never quotes a hidden value.
    """
    import json

    import numpy as np

    import undertow.themes  # noqa: F401 - registers the metrics whose declarations apply
    from undertow.diagnosis.privacy import (
        ROLE_COLUMNS,
        ROLE_DATE_COLUMNS,
        UNIT_COLUMNS,
        rare_roles,
        rare_units,
        rows_where,
        sum_groups,
    )
    from undertow.themes.registry import REGISTRY

    rare = set() if roles is None else rare_roles(roles, k) | rare_units(roles, k)
    problems: list[str] = []
    for path in sorted((folder / "metrics").rglob("*.parquet")):
        name = path.relative_to(folder / "metrics").as_posix()
        table = pq.read_table(path)
        for column in dict.fromkeys([*ROLE_COLUMNS, *UNIT_COLUMNS]):
            if rare and column in table.column_names:
                labels = table.column(column).cast(pa.string()).to_pylist()
                held = sum(1 for label in labels if label in rare)
                if held:
                    problems.append(f"{name}: {held} {column} label(s) held by fewer than {k}")
        spec = REGISTRY.get(path.stem)
        people = [] if spec is None else list(spec.people)
        sums = () if spec is None else spec.sums
        suppressed = (
            np.asarray(table.column("suppressed").to_pylist(), dtype=bool)
            if "suppressed" in table.column_names
            else np.zeros(table.num_rows, dtype=bool)
        )
        counted: list[tuple[str, tuple[str, tuple[str, ...]] | None]] = (
            [("n_people", None)] if "n_people" in table.column_names else []
        )
        counted += [(p.column, p.where) for p in people if p.column in table.column_names]
        for column, where in counted:
            applies = rows_where(table, where)
            values = table.column(column).cast(pa.float64()).fill_null(np.nan)
            numbers = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
            visible = int(np.count_nonzero(applies & (numbers >= 1) & (numbers < k)))
            if visible:
                problems.append(f"{name}: {visible} visible {column} of 1 to {k - 1} people")
        hidden_sets: list[tuple[str, np.ndarray]] = []
        if "n_people" in table.column_names:
            hidden_sets.append(("suppressed rows", suppressed))
        for p in people:
            flag = f"{p.column}_hidden"
            if flag in table.column_names:
                hidden = np.asarray(table.column(flag).to_pylist(), dtype=bool) | suppressed
                hidden_sets.append((f"hidden {p.column}", hidden & rows_where(table, p.where)))
        if hidden_sets and table.num_rows:
            groups = sum_groups(table, sums)
            for label, hidden in hidden_sets:
                lonely = sum(1 for rows in groups if rows.size > 1 and int(hidden[rows].sum()) == 1)
                if lonely:
                    problems.append(f"{name}: {lonely} sum(s) with a single {label}")
        for column in dict.fromkeys(
            [*ROLE_DATE_COLUMNS, *(() if spec is None else spec.role_dates)]
        ):
            if column not in table.column_names:
                continue
            if not pa.types.is_timestamp(table.schema.field(column).type):
                continue
            exact = sum(
                1
                for value in table.column(column).to_pylist()
                if value is not None
                and (value.day != 1 or value.hour or value.minute or value.second)
            )
            if exact:
                problems.append(f"{name}: {exact} {column} finer than the month")
    for listing in ("findings.json", "notes.json"):
        listing_path = folder / listing
        if not listing_path.is_file():
            continue
        for finding in json.loads(listing_path.read_text("utf-8")):
            for key in ("title", "statement", "caveat", "null_model"):
                text = finding.get(key) or ""
                few = [m for m in _FEW_PEOPLE.findall(text) if 1 <= int(m) < k]
                if few:
                    problems.append(
                        f"{listing}: {finding.get('kind')} {key} quotes "
                        f"{len(few)} count(s) of 1 to {k - 1} people"
                    )
    import html as html_module

    for page in ("report.html", "skipped.json"):
        path = folder / page
        if not path.is_file():
            continue
        text = html_module.unescape(re.sub(r"<[^>]+>", " ", path.read_text("utf-8")))
        few = [m for m in _FEW_PEOPLE.findall(text) if 1 <= int(m) < k]
        if few:
            problems.append(f"{page}: quotes {len(few)} count(s) of 1 to {k - 1} people")
    return problems
