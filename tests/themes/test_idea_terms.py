"""Idea uptake's term introductions equal the SQL definition (DuckDB tokenisation)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from undertow.testing import make_trace
from undertow.themes.knowledge import ideas
from undertow.themes.knowledge.ideas import STOP_WORDS, term_introductions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "features"))
from _real_messages import irc_lines, mailing_list_bodies, stackexchange_comments  # noqa: E402

# The definition: lower-case, letters a-z only, stop words out, words of 3+ letters and
# adjacent pairs; a term's first user introduces it (ties: smallest pseudonym); others
# using it later adopt it.
_REFERENCE = """
WITH toks AS (
    SELECT author_id, epoch_us(created_at) AS t,
           list_filter(string_split(regexp_replace(regexp_replace(lower(coalesce(text, '')),
                       '[^a-z]+', ' ', 'g'), '\\b(?:' || $stop || ')\\b', ' ', 'g'), ' '),
                       x -> length(x) >= 3) AS w
    FROM msgs
),
terms AS (
    SELECT author_id, t, unnest(w) AS term FROM toks
    UNION ALL
    SELECT author_id, t, unnest(list_transform(range(1, len(w)), i -> w[i] || ' ' || w[i + 1]))
    FROM toks WHERE len(w) >= 2
),
firsts AS (SELECT term, author_id, min(t) AS t FROM terms GROUP BY 1, 2),
intro AS (
    SELECT term, arg_min(author_id, (t, author_id)) AS introducer, min(t) AS t0
    FROM firsts GROUP BY term
)
SELECT i.introducer AS person_id, i.t0,
       count(*) FILTER (WHERE f.author_id <> i.introducer AND f.t > i.t0) AS adopters
FROM intro i JOIN firsts f USING (term)
GROUP BY i.term, i.introducer, i.t0
"""


def _reference(trace: Any) -> list[tuple[str, int, int]]:
    messages = trace.arrow("messages").select(["author_id", "created_at", "text"])
    connection = duckdb.connect()
    connection.register("msgs", messages)
    stop = "|".join(sorted(w for w in STOP_WORDS if len(w) >= 3))
    table = connection.execute(_REFERENCE, {"stop": stop}).to_arrow_table()
    return _rows(table)


def _rows(table: pa.Table) -> list[tuple[str, int, int]]:
    return sorted(
        zip(
            table["person_id"].to_pylist(),
            table["t0"].to_pylist(),
            table["adopters"].to_pylist(),
            strict=True,
        )
    )


def _trace(texts: list[str | None], seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    authors = rng.integers(0, max(2, len(texts) // 4), size=len(texts))
    # Coarse times: many ties, broken by the smallest pseudonym.
    times = np.sort(rng.integers(0, max(2, len(texts) // 3), size=len(texts)))
    rows = [
        {
            "message_id": str(i),
            "author_id": f"p{authors[i]}",
            "created_at": int(times[i]),
            "text": text,
        }
        for i, text in enumerate(texts)
    ]
    return make_trace(rows)


_AWKWARD = [
    None,
    "",
    "   ",
    "The İstanbul KELVIN Kelvin test",
    "ÉCOLE école Straße STRASSE naïve café",
    "snake_case and camelCase and kebab-case, x86_64 v2.0.1",
    "don't won't it's the THE The tHe",
    "abc",
    "abcdef",
    "ghi",
    "🙂 emoji🙂between 😀words",
    "ab ab ab abc abc abcd",
    "tab\tnew\nline\r\nreturn",
    "ΑΒΓ ελληνικά кириллица 中文字符 العربية",
    "end-of-text-run",
    "run",
    "zorbulator frobnicate zorbulator frobnicate",
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_awkward_texts_equal_the_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    texts = [_AWKWARD[i] for i in rng.integers(0, len(_AWKWARD), size=200)]
    trace = _trace(texts, seed)
    assert _rows(term_introductions(trace)) == _reference(trace)


def test_slices_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [_AWKWARD[i % len(_AWKWARD)] for i in range(90)]
    monkeypatch.setattr(ideas, "_SLICE_ROWS", 7)
    trace = _trace(texts, 3)
    assert _rows(term_introductions(trace)) == _reference(trace)


def test_no_messages_no_terms() -> None:
    assert term_introductions(make_trace([])).num_rows == 0


@pytest.mark.parametrize("reader", [mailing_list_bodies, stackexchange_comments, irc_lines])
def test_real_texts_equal_the_definition(shared_data: Path, reader: Any) -> None:
    texts = reader(shared_data, 1500)
    trace = _trace(texts, 5)
    assert _rows(term_introductions(trace)) == _reference(trace)


def test_dense_pair_codes_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    texts = [_AWKWARD[i] for i in rng.integers(0, len(_AWKWARD), size=300)]
    trace = _trace(texts, 4)
    messages = trace.arrow("messages")
    _, _, dictionary = ideas._words(messages.column("text").combine_chunks())
    size = len(dictionary)  # at least the vocabulary of the one slice
    n_people = len(set(messages.column("author_id").to_pylist()))
    # Just at the limit: pair codes are made dense, then the keys fit again.
    monkeypatch.setattr(ideas, "_KEY_LIMIT", (size + 1) * size * n_people)
    assert _rows(term_introductions(trace)) == _reference(trace)
