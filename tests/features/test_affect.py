"""Affect: the vectorised scorer agrees with vaderSentiment, on hand cases and real messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from _real_messages import irc_lines, mailing_list_bodies, stackexchange_comments
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from undertow.features.affect import AFFECT_COLUMNS, message_affect, vader_scores
from undertow.features.text import own_words
from undertow.testing import make_trace

# VADER's own demo sentences: every rule (boosters, negation, but, caps, !/?, kind of,
# least, idioms, emoticons, emoji) appears at least once.
CASES = [
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "With VADER, sentiment analysis is the shit!",
    "Other sentiment analysis tools can be quite bad.",
    "On the other hand, VADER is quite bad ass",
    "VADER is such a badass!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Not such a badass after all.",
    "No problem, no worries at all??",
    "It is sort of nice, really?? Not the bomb, but yeah right.",
    "",
    "   ",
]


def _reference(texts: list[str]) -> dict[str, np.ndarray]:
    analyzer = SentimentIntensityAnalyzer()
    scores = [analyzer.polarity_scores(text) for text in texts]
    return {key: np.array([s[key] for s in scores]) for key in ("compound", "pos", "neg", "neu")}


def test_vader_rules_match_reference_exactly() -> None:
    ours = vader_scores(pa.array(CASES))
    reference = _reference(CASES)
    for key, expected in reference.items():
        np.testing.assert_allclose(ours.column(key).to_numpy(), expected, atol=1e-3, err_msg=key)


def test_null_and_empty_texts_score_zero() -> None:
    ours = vader_scores(pa.array([None, ""], type=pa.string()))
    assert ours.column("compound").to_pylist() == [0.0, 0.0]
    assert ours.column("neu").to_pylist() == [0.0, 0.0]


def test_message_affect_columns_and_empty_trace() -> None:
    trace = make_trace(
        [
            {"message_id": "m1", "author_id": "a", "text": "> I love it\nThis is terrible."},
            {"message_id": "m2", "author_id": "b", "parent_id": "m1", "text": "Great, thanks!"},
        ]
    )
    affect = message_affect(trace)
    assert tuple(affect.column_names) == AFFECT_COLUMNS
    assert affect.column("is_negative").to_pylist() == [True, False]
    empty = message_affect(make_trace([]))
    assert empty.num_rows == 0
    assert tuple(empty.column_names) == AFFECT_COLUMNS


@pytest.mark.realdata
def test_agrees_with_vader_on_10k_real_messages(shared_data: Path) -> None:
    mails = own_words(pa.array(mailing_list_bodies(shared_data, 4000))).to_pylist()
    texts = mails + stackexchange_comments(shared_data, 3000) + irc_lines(shared_data, 3000)
    assert len(texts) == 10_000
    ours = vader_scores(pa.array(texts)).column("compound").to_numpy()
    reference = _reference(texts)["compound"]
    within = np.abs(ours - reference) <= 0.05
    assert within.mean() >= 0.99
