"""Speed of undertow's tone measures against ``vaderSentiment``, on one core.

Run from the repository root: ``UNDERTOW_THREADS=1 .venv/bin/python bench/tone_speed.py``.
Texts: the Senti4SD Stack Overflow posts (short) and the linux-uvc-devel mails (long),
both from ``../shared/data`` and repeated to ``--n`` messages. Times are wall-clock,
best of ``--repeat`` runs: text preparation (:func:`~undertow.features.tone_text.tone_text`),
scoring (hashed features + hostility + polarity, :func:`~undertow.features.tone.tone_scores`),
their total (one message through both), and the ``vaderSentiment`` reference loop on a
sample of the same prepared texts.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import time
from pathlib import Path

import pyarrow as pa
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from undertow.features.text import own_words
from undertow.features.tone import tone_scores
from undertow.features.tone_text import tone_text

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_MBOX_SPLIT = re.compile(r"^From \S+ at \S+ +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$", re.M)


def senti4sd() -> list[str]:
    texts: list[str] = []
    for name in ("senti4sd_train3098itemPOLARITY", "senti4sd_test1326itemPOLARITY"):
        path = DATA / "tone-labelled-technical" / f"{name}.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            texts += [line.rstrip("\r\n").split(";", 2)[-1] for line in handle]
    return texts


def mails() -> list[str]:
    bodies: list[str] = []
    for path in sorted((DATA / "mailinglist-linux-uvc-devel" / "mbox").glob("*.txt.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
            for mail in _MBOX_SPLIT.split(handle.read()):
                body = mail.partition("\n\n")[2]
                if body.strip():
                    bodies.append(body)
    return bodies


def best(function: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vader-sample", type=int, default=5_000)
    parser.add_argument("--texts", choices=("posts", "mails", "both"), default="both")
    args = parser.parse_args()
    print(f"UNDERTOW_THREADS={os.environ.get('UNDERTOW_THREADS', '(all cores)')}")
    vader = SentimentIntensityAnalyzer()
    corpora = {"posts": ("Senti4SD posts", senti4sd), "mails": ("linux-uvc-devel mails", mails)}
    chosen = ("posts", "mails") if args.texts == "both" else (args.texts,)
    for name, read in (corpora[key] for key in chosen):
        texts = read()
        raw = pa.array((texts * (args.n // len(texts) + 1))[: args.n], type=pa.string())
        prepared = tone_text(own_words(raw), own=True)
        chars = sum(len(t) for t in prepared.to_pylist() if t)
        prep = best(lambda raw=raw: tone_text(own_words(raw), own=True), args.repeat)
        score = best(lambda prepared=prepared: tone_scores(prepared), args.repeat)
        sample = [t or "" for t in prepared.to_pylist()[: args.vader_sample]]
        start = time.perf_counter()
        for text in sample:
            vader.polarity_scores(text)
        reference = (time.perf_counter() - start) / len(sample)
        print(
            f"{name}: {args.n:,} messages, {chars / args.n:.0f} prose chars each | "
            f"preparation {args.n / prep:,.0f} msg/s | scoring (hostility + polarity) "
            f"{args.n / score:,.0f} msg/s | total {args.n / (prep + score):,.0f} msg/s | "
            f"vaderSentiment {1 / reference:,.0f} msg/s | "
            f"scoring / vaderSentiment {reference * args.n / score:.1f}x"
        )


if __name__ == "__main__":
    main()
