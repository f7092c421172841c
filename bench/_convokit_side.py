"""ConvoKit's side of bench/coordination.py: run inside the separate ConvoKit venv only.

Reads utterances from a Parquet file, runs ConvoKit's ``Coordination`` (fit +
summarize given and received over all speakers), writes the per-speaker marker
scores, each utterance's marker categories and the wall time as JSON. With a third
argument, also copies ConvoKit's installed marker pattern file there (into the
bench's temporary folder: the file derives from LIWC and is never committed), so
undertow can run from the same raw texts with the same lexicon.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from importlib import resources

import pyarrow.parquet as pq
from convokit import Coordination, Corpus, Speaker, Utterance


def main(path: str, out: str, patterns: str | None = None) -> None:
    if patterns is not None:
        installed = resources.files("convokit").joinpath("data/coord-liwc-patterns.txt")
        print(f"ConvoKit's marker patterns: {installed}", file=sys.stderr)
        with resources.as_file(installed) as source:
            shutil.copyfile(source, patterns)
    table = pq.read_table(path).to_pylist()
    speakers = {row["speaker"]: Speaker(id=row["speaker"]) for row in table}
    utterances = [
        Utterance(
            id=row["id"],
            speaker=speakers[row["speaker"]],
            conversation_id=row["conversation_id"],
            reply_to=row["reply_to"],
            text=row["text"],
            timestamp=row["timestamp"],
        )
        for row in table
    ]
    corpus = Corpus(utterances=utterances)
    start, cpu = time.perf_counter(), time.process_time()
    coord = Coordination()
    coord.fit(corpus)
    given = coord.summarize(corpus, focus="speakers")
    received = coord.summarize(corpus, focus="targets")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    categories = {u.id: sorted(u.meta["liwc-categories"]) for u in corpus.iter_utterances()}
    result = {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "given": {s.id: scores for s, scores in given.items()},
        "received": {s.id: scores for s, scores in received.items()},
        "categories": categories,
    }
    with open(out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
