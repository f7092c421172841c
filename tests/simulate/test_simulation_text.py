"""Generated text carries the tone the simulator chose, as VADER sees it."""

from __future__ import annotations

import random

import pytest
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from undertow.simulate.text import (
    DOCUMENT_TERMS,
    FUNCTION_CLASSES,
    TECH_WORDS,
    WORKAROUND_TERMS,
    coined_term,
    compose,
    function_classes,
)

VADER = SentimentIntensityAnalyzer()


def test_neutral_vocabularies_carry_no_valence() -> None:
    words = [w for topic in TECH_WORDS for w in topic] + list(DOCUMENT_TERMS)
    words += list(WORKAROUND_TERMS) + [coined_term(i) for i in range(300)]
    scored = [w for w in words if w in VADER.lexicon]
    assert scored == []


@pytest.mark.parametrize(
    ("tone", "sign"),
    [
        ("warm", 1),
        ("supportive", 1),
        ("grateful", 1),
        ("recovered", 1),
        ("hostile", -1),
        ("distressed", -1),
    ],
)
def test_tone_phrases_score_in_their_direction(tone: str, sign: int) -> None:
    rng = random.Random(0)
    for _ in range(50):
        text = compose(rng, tone=tone, topic=rng.randrange(8), echo=["negation"], echo_rate=1.0)
        assert sign * VADER.polarity_scores(text)["compound"] > 0.3, text


def test_neutral_messages_are_neutral() -> None:
    rng = random.Random(1)
    scores = [VADER.polarity_scores(compose(rng, topic=t % 8))["compound"] for t in range(200)]
    assert max(abs(s) for s in scores) < 0.3


def test_coordination_echoes_the_parent_classes() -> None:
    rng = random.Random(2)
    parent = frozenset(FUNCTION_CLASSES)
    echoed = [function_classes(compose(rng, echo=parent, echo_rate=0.9)) for _ in range(300)]
    baseline = [function_classes(compose(rng, base_rate=0.3)) for _ in range(300)]
    for name in FUNCTION_CLASSES:
        assert sum(name in c for c in echoed) > sum(name in c for c in baseline) + 100


def test_coined_terms_are_unique() -> None:
    terms = [coined_term(i) for i in range(5000)]
    assert len(set(terms)) == len(terms)
