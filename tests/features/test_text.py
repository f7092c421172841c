"""Own words: quotes, attributions, signatures, code and patches are stripped; tokens split."""

from __future__ import annotations

import pyarrow as pa

from undertow.features.text import own_words, word_tokens


def test_quotes_and_attribution_removed() -> None:
    mail = (
        "On Fri, 2006-03-31 at 15:56 +0200, Laurent Pinchart wrote:\n"
        "> > I'm half-interested\n> I'm indeed very interested.\n>\n"
        "No, I haven't contacted anyone.\n"
    )
    assert own_words(pa.array([mail])).to_pylist() == ["No, I haven't contacted anyone."]


def test_signature_patch_and_code_removed() -> None:
    texts = [
        "Looks good to me.\n-- \nJohn Doe\nACME Corp",
        "Here is the fix.\n\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n",
        "Try this:\n```\nrm -rf build\n```\nthen rebuild.",
        "Sure.\n-----Original Message-----\nFrom: x\nold text",
    ]
    assert own_words(pa.array(texts)).to_pylist() == [
        "Looks good to me.",
        "Here is the fix.",
        "Try this:\n\nthen rebuild.",
        "Sure.",
    ]


def test_nulls_and_chunked_input() -> None:
    chunked = pa.chunked_array([["a > b stays"], [None]])
    assert own_words(chunked).to_pylist() == ["a > b stays", None]


def test_word_tokens_keep_contractions_and_parents() -> None:
    tokens, parent = word_tokens(pa.array(["'Hello', World's end!", "", None, "x-ray"]))
    assert tokens.to_pylist() == ["hello", "world's", "end", "x", "ray"]
    assert parent.tolist() == [0, 0, 0, 3, 3]
