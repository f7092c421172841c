"""Linguistic coordination: agreement with ConvoKit's ``Coordination`` and speed.

Run from the repository root: ``.venv/bin/python bench/coordination.py CONVOKIT_PYTHON``.
ConvoKit is not a dependency of undertow: give the interpreter of a separate venv
that has it . Utterances are real: the
linux-uvc-devel mailing list (reply structure from In-Reply-To) and, for the 100k
run, #duraspace IRC lines, each taken as a reply to the previous line by another
nick. Texts are reduced to own words before both tools see them.

Reported: (1) exact agreement of the aggregation when undertow's scorer is given
ConvoKit's own per-utterance marker categories; (2) agreement of the full pipeline
with undertow's own word lists; (3) wall time of both on 100k utterances.
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
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from undertow.features.function_words import ECHOES_MARKERS, FUNCTION_WORD_CLASSES
from undertow.features.text import message_own_words, own_words
from undertow.features.threads import message_arrays
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
    thread = {}
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


def run_convokit(python: str, rows: list[dict[str, object]]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "utt.parquet", Path(tmp) / "out.json"
        table = pa.table(
            {
                "id": [str(r["id"]) for r in rows],
                "speaker": [str(r["speaker"]) for r in rows],
                "reply_to": [r["reply_to"] for r in rows],
                "conversation_id": ["c"] * len(rows),
                "text": [str(r["text"]) for r in rows],
                "timestamp": [int(r["timestamp"].timestamp()) for r in rows],  # type: ignore[attr-defined]
            }
        )
        pq.write_table(table, path)
        side = Path(__file__).with_name("_convokit_side.py")
        subprocess.run([python, str(side), str(path), str(out)], check=True)  # noqa: S603
        result: dict[str, object] = json.loads(out.read_text())
        return result


def ours_with_convokit_categories(
    trace: Trace, categories: dict[str, list[str]]
) -> dict[str, dict[str, np.ndarray]]:
    """Score with ConvoKit's own per-utterance categories: isolates the aggregation."""
    arrays = message_arrays(trace)
    names = list(FUNCTION_WORD_CLASSES)
    bits = np.zeros(arrays.n, dtype=np.uint16)
    for row, message_id in enumerate(arrays.message_id.to_pylist()):
        for cat in categories.get(message_id, []):
            bits[row] |= np.uint16(1 << names.index(cat))
    reply = np.flatnonzero((arrays.parent >= 0) & (arrays.parent_author != arrays.author))
    people = arrays.people.to_pylist()
    out: dict[str, dict[str, np.ndarray]] = {}
    for direction, key, focus in (
        ("given", arrays.author[reply], "speakers"),
        ("received", arrays.parent_author[reply], "targets"),
    ):
        scores = coordination_scores(
            key,
            len(people),
            bits[reply],
            bits[arrays.parent[reply]],
            focus=focus,  # type: ignore[arg-type]
        )
        out[direction] = {people[i]: scores[i] for i in range(len(people))}
    return out


def compare(convokit: dict[str, object], ours: dict[str, dict[str, np.ndarray]]) -> str:
    lines = []
    for direction in ("given", "received"):
        theirs = convokit[direction]
        assert isinstance(theirs, dict)
        diffs, n_missing, n_extra = [], 0, 0
        for person, scores in ours[direction].items():
            ck = theirs.get(person)
            mine = {m: scores[i] for i, m in enumerate(ECHOES_MARKERS) if not np.isnan(scores[i])}
            if ck is None:
                n_extra += bool(mine)
                continue
            if set(ck) != set(mine):
                n_missing += 1
            for marker, value in ck.items():
                if marker in mine:
                    diffs.append(abs(value - mine[marker]))
        lines.append(
            f"{direction}: {len(theirs)} people scored by ConvoKit; marker sets differ for "
            f"{n_missing}, extra people {n_extra}; max |diff| over {len(diffs)} person-marker "
            f"scores = {max(diffs) if diffs else float('nan'):.2e}"
        )
    return "\n".join(lines)


def agreement_own_lists(convokit: dict[str, object], trace: Trace) -> str:
    table = coordination_by_person(trace)
    lines = []
    for direction in ("given", "received"):
        theirs = convokit[direction]
        assert isinstance(theirs, dict)
        rows = [r for r in table.to_pylist() if r["direction"] == direction]
        pairs = [
            (r["coordination"], sum(theirs[r["person_id"]].values()) / len(theirs[r["person_id"]]))
            for r in rows
            if r["person_id"] in theirs
        ]
        a, b = np.array(pairs).T
        lines.append(
            f"{direction}: {len(pairs)} people in both; Pearson r of per-person aggregate "
            f"{np.corrcoef(a, b)[0, 1]:.3f}; mean |diff| {np.mean(np.abs(a - b)):.4f}"
        )
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: bench/coordination.py CONVOKIT_PYTHON (a venv with convokit)")
    python = sys.argv[1]
    mails = mailing_list()
    for row in mails:
        row["text"] = own_words(pa.array([row["text"]]))[0].as_py()
    print(f"## Agreement on {len(mails)} mailing-list utterances")
    trace = as_trace(mails)
    convokit = run_convokit(python, mails)
    print(compare(convokit, ours_with_convokit_categories(trace, convokit["categories"])))  # type: ignore[arg-type]
    print("own word lists:\n" + agreement_own_lists(convokit, as_trace(mails)))

    rows = mails + irc(100_000 - len(mails))
    print(f"\n## Speed on {len(rows)} utterances")
    convokit = run_convokit(python, rows)
    big = as_trace(rows)
    start = time.perf_counter()
    coordination_by_person(big)
    ours_seconds = time.perf_counter() - start
    # Like for like: ConvoKit does not clean text, and in a trace the text is already the
    # author's own words (ingest strips quotes), so time markers + aggregation alone too.
    fresh = as_trace(rows)
    message_own_words(fresh)
    start = time.perf_counter()
    coordination_by_person(fresh)
    markers_seconds = time.perf_counter() - start
    theirs_seconds = float(convokit["seconds"])  # type: ignore[arg-type]
    print(f"ConvoKit fit + summarize(given, received): {theirs_seconds:.1f} s")
    print(
        "undertow coordination_by_person (text cleaning, markers, both directions): "
        f"{ours_seconds:.2f} s"
    )
    print(f"speed-up: {theirs_seconds / ours_seconds:.0f}x")
    print(f"undertow markers + aggregation only (own words cached): {markers_seconds:.2f} s")
    print(f"speed-up like for like: {theirs_seconds / markers_seconds:.0f}x")
    print(compare(convokit, ours_with_convokit_categories(big, convokit["categories"])))  # type: ignore[arg-type]
    print("own word lists:\n" + agreement_own_lists(convokit, big))


if __name__ == "__main__":
    main()
