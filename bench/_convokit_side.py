"""ConvoKit's side of bench/coordination.py: run inside the separate ConvoKit venv only.

Reads utterances from a Parquet file, runs ConvoKit's ``Coordination`` (fit +
summarize given and received over all speakers), writes the per-speaker marker
scores, each utterance's marker categories and the wall time as JSON.
"""

from __future__ import annotations

import json
import sys
import time

import pyarrow.parquet as pq
from convokit import Coordination, Corpus, Speaker, Utterance


def main(path: str, out: str) -> None:
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
    start = time.perf_counter()
    coord = Coordination()
    coord.fit(corpus)
    given = coord.summarize(corpus, focus="speakers")
    received = coord.summarize(corpus, focus="targets")
    elapsed = time.perf_counter() - start
    categories = {u.id: sorted(u.meta["liwc-categories"]) for u in corpus.iter_utterances()}
    result = {
        "seconds": elapsed,
        "given": {s.id: scores for s, scores in given.items()},
        "received": {s.id: scores for s, scores in received.items()},
        "categories": categories,
    }
    with open(out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
