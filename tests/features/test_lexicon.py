"""Marker lexicons: ConvoKit's matching semantics, the file formats, and the plumbing.

The known answers of ``test_convokit_quirks`` were produced by ConvoKit 5.0.0's own
``Coordination._annot_liwc_cats`` with the lexicon below (written here, in ConvoKit's
pattern format; ConvoKit's LIWC-derived file is not part of undertow).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from undertow.cli import app
from undertow.diagnosis import analyze
from undertow.errors import InputError
from undertow.features.function_words import (
    DEFAULT_LEXICON,
    ECHOES_MARKERS,
    FUNCTION_WORD_CLASSES,
    MAX_CATEGORIES,
    Lexicon,
    _walk,
    active_lexicon,
    lexicon_bits,
    load_lexicon,
    message_function_words,
    parse_lexicon,
    use_lexicon,
)
from undertow.model.trace import Trace
from undertow.testing import make_trace
from undertow.themes.dominance.coordination import coordination_by_person

PATTERNS = (
    "article\t\\ba\\b|\\bthe\\b\n"
    "auxverb\t\\bdon't\\b|\\bdo\\b|\\bis\\b\n"
    "ppron\t\\bi\\b|\\by'all\\b|\\bi'm\\b\n"
    "ipron\t\\bthing|\\banyon|\\bit\\b|\\bit's\\b\n"
    "quant\t\\ball\\b|\\blot\\b\n"
)


@pytest.fixture
def patterns(tmp_path: Path) -> Lexicon:
    path = tmp_path / "coord-patterns.txt"
    path.write_text(PATTERNS, encoding="utf-8")
    return load_lexicon(path)


def _names(lexicon: Lexicon, bits: int) -> list[str]:
    return sorted(name for i, name in enumerate(lexicon.categories) if bits >> i & 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("don't", ["auxverb"]),  # an entry runs through the apostrophe
        ("do't", ["auxverb"]),  # the part before an apostrophe is a word
        ("the's", ["article"]),
        ("the''s", ["article"]),
        ("'the", ["article"]),  # a leading apostrophe starts the word after it
        ("''the", ["article"]),
        ("john's the", ["article"]),  # "s" after a non-word starts afresh (no entry)
        ("y'all", ["ppron"]),  # the "all" in "y'all" is not a quantifier
        ("x'all", ["quant"]),  # ... but after a non-matching part it is
        ("i'the", ["ppron"]),  # "the" after a matched part is not restarted
        ("a'the", ["article"]),
        ("x'i'm", ["ppron"]),
        ("it's", ["ipron"]),
        ("it'd", ["ipron"]),
        ("its", []),
        ("i'm", ["ppron"]),
        ("don'", []),
        ("'", []),
        ("", []),
        ("théo", []),  # non-ASCII letters split runs: "th", "o"
        ("éthe", ["article"]),
        ("anyoné", ["ipron"]),  # the run "anyon" matches the prefix entry
        ("İt", ["ppron"]),  # Python lower-cases "İ" to "i" + combining dot: runs "i", "t"
        ("#the", ["article"]),
        ("the#", ["article"]),
        ("$the$", ["article"]),
        ("the2", []),
        ("the_", []),
        ("THE", ["article"]),
        ("things", ["ipron"]),  # prefix entry thing
        ("thing's", ["ipron"]),
        ("thin", []),
        ("don’t", []),  # ConvoKit does not fold the curly apostrophe
        ("lot's of it", ["ipron", "quant"]),
        ("is-it", ["auxverb", "ipron"]),
    ],
)
def test_convokit_quirks(patterns: Lexicon, text: str, expected: list[str]) -> None:
    bits = lexicon_bits(pa.array([text]), patterns)
    assert _names(patterns, int(bits[0])) == expected


def test_vectorised_runs_equal_convokits_walk() -> None:
    # Each text's mask is the OR of ConvoKit's walk over its [a-z0-9_'] runs.
    rng = random.Random(0)
    pieces = [w for words in FUNCTION_WORD_CLASSES.values() for w in words]
    pieces += ["'", " ", "x", "s", "é", ".", "-", "THE", "1", "’"]
    pieces = [p.rstrip("*") for p in pieces]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(3000)]
    trie = DEFAULT_LEXICON._tables["trie"]
    expected = []
    for text in texts:
        lowered = text.lower().replace("\u2019", "'")
        mask = 0
        for run in re.findall(r"[a-z0-9_']+", lowered):
            mask |= _walk(trie, run)
        expected.append(mask)
    got = lexicon_bits(pa.array(texts), DEFAULT_LEXICON)
    assert got.tolist() == expected
    # Row slices (threads) and nulls do not change the answer.
    sliced = lexicon_bits(pa.chunked_array([pa.array(texts[:7]), pa.array(texts[7:])]))
    assert sliced.tolist() == expected
    assert lexicon_bits(pa.array([None, "the"], pa.string())).tolist()[0] == 0


def test_own_lists_are_the_default_lexicon() -> None:
    assert active_lexicon() is DEFAULT_LEXICON
    assert DEFAULT_LEXICON.categories == tuple(FUNCTION_WORD_CLASSES)
    assert DEFAULT_LEXICON.aggregate == ECHOES_MARKERS
    assert DEFAULT_LEXICON.fold_apostrophes
    assert "anyone" in DEFAULT_LEXICON.prefixes[DEFAULT_LEXICON.categories.index("ipron")]
    # The own lists read the curly apostrophe as a straight one.
    bits = int(lexicon_bits(pa.array(["I don’t"]))[0])
    assert "negate" in _names(DEFAULT_LEXICON, bits)
    reparsed = parse_lexicon(DEFAULT_LEXICON.text(), name="again")
    assert (reparsed.words, reparsed.prefixes) == (DEFAULT_LEXICON.words, DEFAULT_LEXICON.prefixes)


def test_loader_formats(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text(
        "# my markers\n\narticle\ta an the\nquant\t\\bmore\\b|\\blot\nquant\tfew*\n",
        encoding="utf-8",
    )
    lexicon = load_lexicon(path)
    assert lexicon.name == "mine.txt"  # the file name, never the path
    assert lexicon.categories == ("article", "quant")
    assert lexicon.words == (("a", "an", "the"), ("more",))
    assert lexicon.prefixes == ((), ("lot", "few"))
    assert lexicon.aggregate == ("article", "quant")
    assert not lexicon.fold_apostrophes
    assert len(lexicon.sha256) == 64
    other = tmp_path / "other.txt"
    other.write_text("article\ta the\n", encoding="utf-8")
    assert load_lexicon(other).sha256 != lexicon.sha256


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("article a the\n", 1, "category<TAB>entries"),
        ("article\ta\tthe\n", 1, "category<TAB>entries"),
        ("\n\tthe\n", 2, "category<TAB>entries"),
        ("article\tthe\nquant\t\\bmore\\b|lot\n", 2, "'lot'"),
        ("article\t\\bThe\\b\n", 1, "lower-case"),
        ("article\t\\be-mail\\b\n", 1, "e-mail"),
        ("article\tthe a-b\n", 1, "'a-b'"),
        ("article\t\\bthe\\b||\\ba\\b\n", 1, "''"),
    ],
)
def test_loader_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_lexicon(path)
    assert raised.value.line == line
    assert raised.value.path == str(path)
    assert message in str(raised.value)


def test_loader_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_lexicon(tmp_path / "missing.txt")
    binary = tmp_path / "latin1.txt"
    binary.write_bytes("article\tth\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_lexicon(binary)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="no categories"):
        load_lexicon(empty)
    many = tmp_path / "many.txt"
    many.write_text("".join(f"c{i}\tw{i}\n" for i in range(MAX_CATEGORIES + 1)))
    with pytest.raises(InputError, match="more than 64"):
        load_lexicon(many)


def _echo_trace() -> Trace:
    # bob's replies echo ann's "zorp" (a marker only in the supplied lexicon).
    messages: list[dict[str, object]] = []
    for i in range(6):
        question = "zorp here" if i < 4 else "nothing here"
        answer = "zorp too" if i < 3 else "plain reply"
        messages.append({"message_id": f"q{i}", "author_id": "ann", "text": question})
        messages.append(
            {"message_id": f"r{i}", "author_id": "bob", "parent_id": f"q{i}", "text": answer}
        )
    return make_trace(messages)


def test_use_lexicon_keeps_caches_apart(tmp_path: Path) -> None:
    path = tmp_path / "zorp.txt"
    path.write_text("zorpish\tzorp\n", encoding="utf-8")
    lexicon = load_lexicon(path)
    trace = _echo_trace()
    own = coordination_by_person(trace)
    with use_lexicon(lexicon):
        table = coordination_by_person(trace).to_pylist()
        assert message_function_words(trace).column_names == ["message_id", "zorpish"]
    given = [r for r in table if r["direction"] == "given"]
    assert [r["person_id"] for r in given] == ["bob"]
    assert given[0]["coordination"] == pytest.approx(3 / 4 - 3 / 6)
    # Back to the own lists on the same trace object: the own-list entry, not the other.
    assert coordination_by_person(trace).equals(own)
    assert "negate" in message_function_words(trace).column_names


def test_analyze_uses_the_markers_file(tmp_path: Path) -> None:
    path = tmp_path / "zorp.txt"
    path.write_text("zorpish\tzorp\n", encoding="utf-8")
    trace = _echo_trace()
    default = analyze(trace, progress=False, allow_small_k=True, k=1)
    chosen = analyze(trace, progress=False, allow_small_k=True, k=1, markers=path)
    mine = chosen.get("coordination_by_person")
    assert mine is not None
    given = [r for r in mine.to_pylist() if r["direction"] == "given"]
    assert given[0]["coordination"] == pytest.approx(0.25)
    theirs = default.get("coordination_by_person")
    assert theirs is None or not theirs.equals(mine)
    assert active_lexicon() is DEFAULT_LEXICON  # analyze leaves no lexicon behind
    # run.json names the lexicon by file name and digest, never by path.
    assert chosen.markers["name"] == "zorp.txt" and str(tmp_path) not in str(chosen.markers)
    assert chosen.markers["sha256"] != default.markers["sha256"]
    with pytest.raises(InputError, match="category<TAB>entries"):
        bad = tmp_path / "bad.txt"
        bad.write_text("zorp\n", encoding="utf-8")
        analyze(trace, progress=False, markers=bad)


def test_cli_reports_a_bad_markers_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("article the\n", encoding="utf-8")
    trace = tmp_path / "trace"
    trace.mkdir()
    result = CliRunner().invoke(
        app, ["analyze", str(trace), "-o", str(tmp_path / "out"), "--markers", str(bad), "-q"]
    )
    assert result.exit_code == 2
    assert "bad.txt:1" in result.output


def test_masks_are_uint64_and_empty_input() -> None:
    bits = lexicon_bits(pa.array([], pa.string()))
    assert bits.dtype == np.uint64
    assert bits.size == 0
