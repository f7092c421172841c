"""Function-word classes: detection per class, word boundaries, prefixes and apostrophes."""

from __future__ import annotations

import pyarrow as pa
import pytest

from undertow.features.function_words import (
    ECHOES_MARKERS,
    FUNCTION_WORD_CLASSES,
    function_word_bits,
    message_function_words,
)
from undertow.testing import make_trace


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("The patch", "article", "ppron"),
        ("it does work", "auxverb", "article"),
        ("this and that", "conj", "negate"),
        ("really fast", "adverb", "quant"),
        ("you see", "ppron", "ipron"),
        ("somebody's fault", "ipron", "article"),  # prefix entry somebody*
        ("I don’t know", "negate", "article"),  # curly apostrophe folded
        ("over there", "preps", "article"),
        ("several bugs", "quant", "preps"),
        ("theme", None, "article"),  # "the" inside a word is not an article
        # ConvoKit's apostrophe rules apply to the own lists too:
        ("'the cat'", "article", "ppron"),  # a leading apostrophe starts the word
        ("the's", "article", "ppron"),  # the part before an apostrophe is a word
        ("y'all", "ppron", "quant"),  # "all" inside "y'all" is not a quantifier
        ("Théo", None, "article"),  # non-ASCII letters split words: "th", "o"
    ],
)
def test_class_detection(text: str, present: str | None, absent: str) -> None:
    names = tuple(FUNCTION_WORD_CLASSES)
    bits = int(function_word_bits(pa.array([text]))[0])
    found = {name for i, name in enumerate(names) if bits >> i & 1}
    if present is not None:
        assert present in found
    assert absent not in found


def test_empty_and_null_use_no_class() -> None:
    assert function_word_bits(pa.array(["", None], type=pa.string())).tolist() == [0, 0]


def test_echoes_markers_are_convokit_categories() -> None:
    assert set(ECHOES_MARKERS) <= set(FUNCTION_WORD_CLASSES)
    assert len(ECHOES_MARKERS) == 8


def test_message_function_words_table() -> None:
    trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "> the\nNo way."}])
    row = message_function_words(trace).to_pylist()[0]
    assert row["negate"] is True
    assert row["article"] is False  # the quoted "the" is not the author's word
    assert message_function_words(make_trace([])).num_rows == 0
