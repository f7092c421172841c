"""Affect: agreement and speed of undertow's vectorised VADER against vaderSentiment itself.

Run from the repository root: ``.venv/bin/python bench/affect.py``. Uses the same
10,000 real messages as ``tests/features/test_affect.py`` (linux-uvc-devel own words,
History Meta SE comments, #duraspace IRC lines), read straight from ``../shared/data``.
Both scorers are warmed up (lexicon loaded) before timing; each is timed as the best of
three runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from undertow.features.affect import vader_scores
from undertow.features.text import own_words

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "features"))

from _real_messages import (  # noqa: E402
    irc_lines,
    mailing_list_bodies,
    stackexchange_comments,
)

DATA = ROOT.parent / "shared" / "data"


def best_of(runs: int, func: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    bodies = pa.array(mailing_list_bodies(DATA, 4000))
    mails = own_words(bodies).to_pylist()
    own_s = best_of(3, lambda: own_words(bodies))
    print(
        f"own_words on {len(bodies)} raw mails ({bodies.nbytes / 1e6:.1f} MB): {own_s:.3f} s "
        f"({len(bodies) / own_s:,.0f} mails/s)"
    )
    texts = mails + stackexchange_comments(DATA, 3000) + irc_lines(DATA, 3000)
    array = pa.array(texts)
    analyzer = SentimentIntensityAnalyzer()
    vader_scores(array[:10])
    ours = vader_scores(array)
    reference = [analyzer.polarity_scores(text) for text in texts]
    diff = np.abs(ours.column("compound").to_numpy() - np.array([r["compound"] for r in reference]))
    ours_s = best_of(3, lambda: vader_scores(array))
    ref_s = best_of(3, lambda: [analyzer.polarity_scores(text) for text in texts])
    chars = sum(len(t) for t in texts)
    print(f"messages: {len(texts)} ({chars / 1e6:.1f} M characters)")
    print(f"compound within 0.05 of vaderSentiment: {np.mean(diff <= 0.05):.4f}")
    print(f"compound identical (to 1e-9): {np.mean(diff < 1e-9):.4f}; max |diff| {diff.max():.4f}")
    for key in ("pos", "neg", "neu"):
        d = np.abs(ours.column(key).to_numpy() - np.array([r[key] for r in reference]))
        print(f"{key} within 0.01: {np.mean(d <= 0.01):.4f}")
    print(f"vaderSentiment: {ref_s:.2f} s ({len(texts) / ref_s:,.0f} messages/s)")
    print(f"undertow vader_scores: {ours_s:.3f} s ({len(texts) / ours_s:,.0f} messages/s)")
    print(f"speed-up: {ref_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
