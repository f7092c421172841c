"""Linguistic coordination: agreement with ConvoKit's ``Coordination`` and speed.

Run from the repository root: ``.venv/bin/python bench/coordination.py CONVOKIT_PYTHON``.
ConvoKit is not a dependency of undertow: give the interpreter of a separate venv
that has it. Utterances are real: the linux-uvc-devel mailing list (reply structure
from In-Reply-To; texts reduced to own words before both tools see them) and #duraspace
IRC lines, each taken as a reply to the previous line by another nick.

The ConvoKit side copies its installed marker pattern file (derived from LIWC, so never
part of undertow) into the bench's temporary folder; undertow loads it as a lexicon and
runs from the same raw utterance texts. Reported: (1) agreement of per-utterance
categories and of per-person, per-marker scores given and received with that lexicon;
(2) the aggregation alone, fed ConvoKit's own per-utterance categories; (3) agreement
with undertow's own word lists; (4) wall time of ConvoKit fit + summarize vs undertow
from raw text (markers + aggregation, both directions).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from undertow.features.function_words import (
    DEFAULT_LEXICON,
    Lexicon,
    lexicon_bits,
    load_lexicon,
    parse_lexicon,
    use_lexicon,
)
from undertow.features.text import own_words
from undertow.model.schema import validate_table
from undertow.model.trace import Trace
from undertow.testing import derive_people
from undertow.themes.dominance.coordination import (
    coordination_by_person,
    coordination_scores,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_SPLIT = re.compile(r"^From \S+ at \S+ +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", re.M)
_HEADER = re.compile(r"^(From|Message-ID|In-Reply-To|Date):\s*(.*)$", re.M | re.I)


def mailing_list() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((DATA / "mailinglist-linux-uvc-devel" / "mbox").glob("*.txt.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for mail in _SPLIT.split(text):
            head, _, body = mail.partition("\n\n")
            fields = {k.lower(): v.strip() for k, v in _HEADER.findall(head)}
            message_id = fields.get("message-id")
            if not message_id or not fields.get("from"):
                continue
            try:
                when = parsedate_to_datetime(fields.get("date", "")).astimezone(UTC)
            except (TypeError, ValueError):
                continue
            sender = fields["from"].split("(")[0].strip().lower()
            rows.append(
                {
                    "id": message_id,
                    "speaker": sender,
                    "reply_to": fields.get("in-reply-to") or None,
                    "text": body,
                    "timestamp": when,
                }
            )
    unique = {row["id"]: row for row in rows}
    known = set(unique)
    out = list(unique.values())
    for row in out:
        if row["reply_to"] not in known:
            row["reply_to"] = None
    return out


def irc(limit: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with gzip.open(DATA / "irc-duraspace" / "events.tsv.gz", "rt", encoding="utf-8") as handle:
        reader = csv.DictReader(io.TextIOWrapper(handle.buffer, encoding="utf-8"), delimiter="\t")
        last: dict[str, str] = {}
        for row in reader:
            if row["kind"] != "msg" or not row["nick"]:
                continue
            ident = f"irc{row['date']}-{row['seq']}"
            previous = last.get("id") if last.get("nick") != row["nick"] else last.get("reply")
            when = datetime.fromisoformat(row["date"]).replace(tzinfo=UTC)
            rows.append(
                {
                    "id": ident,
                    "speaker": "irc:" + row["nick"],
                    "reply_to": previous,
                    "text": row["text"],
                    "timestamp": when,
                }
            )
            last = {"id": ident, "nick": row["nick"], "reply": previous or ""}
            if len(rows) >= limit:
                break
    return rows


def as_trace(rows: list[dict[str, object]]) -> Trace:
    ids = [str(r["id"]) for r in rows]
    thread: dict[object, object] = {}
    for r in rows:
        parent = r["reply_to"]
        thread[r["id"]] = thread.get(parent, parent) if parent else r["id"]
    messages = pa.table(
        {
            "message_id": ids,
            "thread_id": [str(thread[r["id"]]) for r in rows],
            "parent_id": [r["reply_to"] for r in rows],
            "author_id": [str(r["speaker"]) for r in rows],
            "created_at": pa.array([r["timestamp"] for r in rows], pa.timestamp("us", tz="UTC")),
            "kind": ["reply" if r["reply_to"] else "post" for r in rows],
            "text": [str(r["text"]) for r in rows],
            "has_patch": [False] * len(rows),
            "has_signature": [False] * len(rows),
        }
    )
    messages = validate_table("messages", messages)
    return Trace({"messages": messages, "people": derive_people(messages)})


Scores = dict[str, dict[str, dict[str, float]]]  # direction -> person -> marker -> score


def utterance_table(rows: list[dict[str, object]]) -> pa.Table:
    """The utterances exactly as both tools get them."""
    return pa.table(
        {
            "id": [str(r["id"]) for r in rows],
            "speaker": [str(r["speaker"]) for r in rows],
            "reply_to": [r["reply_to"] for r in rows],
            "conversation_id": ["c"] * len(rows),
            "text": [str(r["text"]) for r in rows],
            "timestamp": [int(r["timestamp"].timestamp()) for r in rows],  # type: ignore[attr-defined]
        }
    )


def run_convokit(python: str, table: pa.Table) -> tuple[dict[str, object], Lexicon]:
    """ConvoKit's scores, categories and time, and its own marker lexicon (loaded)."""
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "utt.parquet", Path(tmp) / "out.json"
        patterns = Path(tmp) / "coord-liwc-patterns.txt"
        pq.write_table(table, path)
        side = Path(__file__).with_name("_convokit_side.py")
        subprocess.run(  # noqa: S603
            [python, str(side), str(path), str(out), str(patterns)], check=True
        )
        result: dict[str, object] = json.loads(out.read_text())
        return result, load_lexicon(patterns)


def scores_from_bits(
    table: pa.Table,
    bits: np.ndarray,
    categories: tuple[str, ...],
    markers: tuple[str, ...],
    keep: np.ndarray | None = None,
) -> Scores:
    """Per-person, per-marker scores given and received from per-utterance masks.

    ``keep``: utterances that may take part in an exchange (default: all, as ConvoKit).
    """
    speakers = table.column("speaker").combine_chunks()
    people = pc.unique(speakers).sort()
    author = pc.index_in(speakers, value_set=people).to_numpy(zero_copy_only=False)
    author = author.astype(np.int64)
    parent = pc.index_in(table.column("reply_to"), value_set=table.column("id"))
    parent = parent.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    safe = np.maximum(parent, 0)
    usable = (parent >= 0) & (author[safe] != author)
    if keep is not None:
        usable &= keep & keep[safe]
    reply = np.flatnonzero(usable)
    out: Scores = {}
    names = people.to_pylist()
    for direction, key, focus in (
        ("given", author[reply], "speakers"),
        ("received", author[parent[reply]], "targets"),
    ):
        scores = coordination_scores(
            key,
            len(names),
            bits[reply],
            bits[parent[reply]],
            focus=focus,  # type: ignore[arg-type]
            markers=markers,
            categories=categories,
        )
        scored = ~np.isnan(scores)
        out[direction] = {
            names[i]: {m: float(scores[i, j]) for j, m in enumerate(markers) if scored[i, j]}
            for i in np.flatnonzero(scored.any(axis=1))
        }
    return out


def undertow_from_raw_text(table: pa.Table, lexicon: Lexicon) -> Scores:
    """undertow end to end from the raw utterances: markers, then both directions."""
    bits = lexicon_bits(table.column("text"), lexicon)
    return scores_from_bits(table, bits, lexicon.categories, lexicon.aggregate)


def with_convokit_categories(
    table: pa.Table, categories: dict[str, list[str]], lexicon: Lexicon
) -> Scores:
    """Score with ConvoKit's own per-utterance categories: isolates the aggregation."""
    bits = np.zeros(table.num_rows, dtype=np.uint64)
    for row, message_id in enumerate(table.column("id").to_pylist()):
        for cat in categories.get(message_id, []):
            bits[row] |= np.uint64(1 << lexicon.categories.index(cat))
    return scores_from_bits(table, bits, lexicon.categories, lexicon.aggregate)


def category_mismatches(table: pa.Table, convokit: dict[str, object], lexicon: Lexicon) -> str:
    categories = convokit["categories"]
    assert isinstance(categories, dict)
    bits = lexicon_bits(table.column("text"), lexicon).tolist()
    ids = table.column("id").to_pylist()
    names = lexicon.categories
    wrong = sum(
        sorted(n for i, n in enumerate(names) if b >> i & 1) != categories[m]
        for m, b in zip(ids, bits, strict=True)
    )
    return f"utterances whose categories differ from ConvoKit's: {wrong} of {len(ids)}"


def compare(convokit: dict[str, object], ours: Scores) -> str:
    lines = []
    for direction in ("given", "received"):
        theirs = convokit[direction]
        assert isinstance(theirs, dict)
        mine = ours[direction]
        diffs: list[float] = []
        n_sets = 0
        for person in set(theirs) & set(mine):
            if set(theirs[person]) != set(mine[person]):
                n_sets += 1
            diffs += [
                abs(value - mine[person][marker])
                for marker, value in theirs[person].items()
                if marker in mine[person]
            ]
        lines.append(
            f"{direction}: {len(theirs)} people scored by ConvoKit, {len(mine)} by undertow; "
            f"only ConvoKit {len(set(theirs) - set(mine))}, only undertow "
            f"{len(set(mine) - set(theirs))}; marker sets differ for {n_sets}; max |diff| over "
            f"{len(diffs)} person-marker scores = {max(diffs) if diffs else float('nan'):.2e}"
        )
    return "\n".join(lines)


def _aggregates(
    convokit: dict[str, object] | Scores, table: pa.Table, direction: str
) -> tuple[list[dict[str, object]], dict[str, object], np.ndarray, np.ndarray]:
    """Rows of one direction, ConvoKit's scores, and both per-person aggregates (people in both)."""
    theirs = convokit[direction]
    assert isinstance(theirs, dict)
    rows = [r for r in table.to_pylist() if r["direction"] == direction]
    pairs = [
        (r["coordination"], sum(theirs[r["person_id"]].values()) / len(theirs[r["person_id"]]))
        for r in rows
        if r["person_id"] in theirs
    ]
    a, b = np.array(pairs).T
    return rows, theirs, a, b


def agreement_own_lists(convokit: dict[str, object], trace: Trace) -> str:
    table = coordination_by_person(trace)
    lines = []
    for direction in ("given", "received"):
        _, _, a, b = _aggregates(convokit, table, direction)
        lines.append(
            f"{direction}: {a.size} people in both; Pearson r of per-person aggregate "
            f"{np.corrcoef(a, b)[0, 1]:.3f}; mean |diff| {np.mean(np.abs(a - b)):.4f}"
        )
    return "\n".join(lines)


def agreement(label: str, rows: list[dict[str, object]], python: str) -> None:
    table = utterance_table(rows)
    convokit, lexicon = run_convokit(python, table)
    print(f"## {label}: {table.num_rows} utterances")
    print(f"ConvoKit's lexicon: {len(lexicon.categories)} categories, sha256 {lexicon.sha256}")
    print(category_mismatches(table, convokit, lexicon))
    print("ConvoKit's lexicon, undertow from the same raw texts:")
    print(compare(convokit, undertow_from_raw_text(table, lexicon)))
    categories = convokit["categories"]
    assert isinstance(categories, dict)
    print("aggregation alone, fed ConvoKit's per-utterance categories:")
    print(compare(convokit, with_convokit_categories(table, categories, lexicon)))
    trace = as_trace(rows)
    with use_lexicon(lexicon):
        by_person = coordination_by_person(trace)
    print(
        "metric coordination_by_person with ConvoKit's lexicon (own-words cleaning, "
        "exchanges with a wordless message left out):\n" + agreement_metric(convokit, by_person)
    )
    # The metric's only departure: the same computation without wordless exchanges.
    has_words = pc.greater(pc.utf8_length(own_words(table.column("text"))), 0)
    keep = has_words.to_numpy(zero_copy_only=False).astype(bool)
    print(f"utterances without own words: {int((~keep).sum())}")
    bits = lexicon_bits(table.column("text"), lexicon)
    same_rule = scores_from_bits(table, bits, lexicon.categories, lexicon.aggregate, keep)
    print(
        "metric vs ConvoKit's rule on the exchanges the metric keeps:\n"
        + agreement_metric(
            {"given": same_rule["given"], "received": same_rule["received"]}, by_person
        )
    )
    print("own word lists (coordination_by_person):")
    print(agreement_own_lists(convokit, as_trace(rows)))
    # Speed: undertow from the raw utterances (markers + both directions), best of 3.
    theirs = float(convokit["seconds"])  # type: ignore[arg-type]
    theirs_cpu = float(convokit["cpu_seconds"])  # type: ignore[arg-type]
    print(f"ConvoKit fit + summarize(given, received): {theirs:.2f} s wall, {theirs_cpu:.2f} s CPU")
    makers: tuple[tuple[str, Callable[[], Lexicon]], ...] = (
        ("ConvoKit's lexicon", lambda: load_lexicon_copy(lexicon)),
        ("own lists", lambda: DEFAULT_LEXICON),
    )
    for label, make in makers:
        walls, cpus = [], []
        for _ in range(3):
            start, cpu = time.perf_counter(), time.process_time()
            undertow_from_raw_text(table, make())
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        print(
            f"undertow from raw text, {label} (markers + both directions, best of 3): "
            f"{min(walls):.3f} s wall ({theirs / min(walls):.0f}x), {min(cpus):.3f} s CPU "
            f"({theirs_cpu / min(cpus):.0f}x)"
        )


def load_lexicon_copy(lexicon: Lexicon) -> Lexicon:
    """A fresh lexicon object (no tables built yet), so its set-up is timed too."""
    return parse_lexicon(lexicon.text(), name=lexicon.name)


def agreement_metric(convokit: dict[str, object] | Scores, table: pa.Table) -> str:
    lines = []
    for direction in ("given", "received"):
        rows, theirs, a, b = _aggregates(convokit, table, direction)
        lines.append(
            f"{direction}: {len(rows)} people (ConvoKit {len(theirs)}), {a.size} in both; "
            f"max |diff| of per-person aggregate {np.max(np.abs(a - b)):.2e}, "
            f"Pearson r {np.corrcoef(a, b)[0, 1]:.4f}"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: bench/coordination.py CONVOKIT_PYTHON (a venv with convokit)")
    python = sys.argv[1]
    mails = mailing_list()
    for row in mails:
        row["text"] = own_words(pa.array([row["text"]]))[0].as_py()
    agreement("Mailing list", mails, python)
    print()
    agreement("Mailing list + #duraspace IRC", mails + irc(100_000 - len(mails)), python)


if __name__ == "__main__":
    main()
