"""Function-word classes per message: the style markers of linguistic coordination.

Danescu-Niculescu-Mizil, Lee, Pang & Kleinberg (2012), "Echoes of power: language
effects and power differences in social interaction" (WWW), measure coordination on
eight LIWC-style function-word classes; undertow adds negations as a ninth (reported
per marker, left out of the default aggregate so the aggregate stays comparable with
the paper and with ConvoKit's ``Coordination``). LIWC's dictionaries are proprietary,
so the word lists below are undertow's own, written from English grammar (closed
classes: articles, auxiliaries, conjunctions, pronouns, prepositions, quantifiers,
negations, and the most frequent adverbs). An entry ending in ``*`` matches any word
starting with it. A user may supply another lexicon (:func:`load_lexicon`, ``undertow
analyze --markers FILE``), for instance ConvoKit's own pattern file, which is derived
from LIWC and therefore not shipped with undertow (``docs/lexicons.md``).

Matching follows ConvoKit's ``Coordination`` exactly. ConvoKit walks a character trie
over the lower-cased text and only ever advances through ``[a-z0-9_']``; every other
character ends the walk. So the classes of a text are the union, over its maximal runs
of ``[a-z0-9_']`` (a "run": ``don't``, ``'the``, ``john's``), of a function of the run
alone. A run without an apostrophe gets the classes whose whole-word entries equal it
and whose prefix entries start it. Apostrophes carry ConvoKit's quirks: the part
before an apostrophe counts as a word (``the's`` uses an article), an entry may run
through the apostrophe (``don't``), a word starting after a leading apostrophe counts
(``'the``), and after a non-matching part the word after the apostrophe starts afresh
(``john's``: ``s``). Runs with an apostrophe go through ConvoKit's walk itself.

The column is lower-cased with Arrow (with ``İ`` first written as ``i`` plus a
combining dot, as Python's ``str.lower`` does: the only code point whose lower case
differs in ``[a-z0-9_']`` between the two) and split on whitespace; the *distinct*
tokens are split into runs, each distinct run's class bitmask is computed once, and
the masks are OR-ed back per token and per message with NumPy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.errors import InputError
from undertow.features.text import message_own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "DEFAULT_LEXICON",
    "ECHOES_MARKERS",
    "FUNCTION_WORD_CLASSES",
    "Lexicon",
    "active_lexicon",
    "function_word_bits",
    "lexicon_bits",
    "load_lexicon",
    "message_function_words",
    "message_marker_bits",
    "parse_lexicon",
    "use_lexicon",
]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_CONTRACTED_AUX = (
    "isn't aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't won't wouldn't "
    "can't cannot couldn't shouldn't mustn't mightn't needn't shan't ain't isnt arent wasnt "
    "werent hasnt havent hadnt dont doesnt didnt wont wouldnt cant couldnt shouldnt mustnt "
    "i'm i've i'll i'd you're you've you'll you'd we're we've we'll we'd they're they've "
    "they'll they'd he's he'll he'd she's she'll she'd it's it'll it'd that's that'll "
    "there's what's who's who'd who'll let's im ive gonna gotta would've could've "
    "should've might've must've"
)

#: Class name -> words (``*`` marks a prefix). Keys of the eight Echoes classes follow
#: ConvoKit's category names so scores can be compared marker by marker.
FUNCTION_WORD_CLASSES: dict[str, tuple[str, ...]] = {
    "article": _words("a an the"),
    "auxverb": _words(
        "am is are was were be been being have has had having do does did doing done "
        "will would shall should can could may might must ought need become becomes "
        "became " + _CONTRACTED_AUX
    ),
    "conj": _words(
        "and but or nor so because although though while whereas unless until till "
        "if whether when whenever then also however otherwise as plus cuz tho since "
        "either neither yet"
    ),
    "adverb": _words(
        "very really just so too also even still only quite rather maybe perhaps "
        "probably actually already always often sometimes usually here there now then "
        "again almost ever soon well back somehow anyway anyways instead definitely "
        "clearly simply especially generally eventually immediately exactly totally "
        "basically apparently certainly obviously finally recently currently "
        "previously hopefully unfortunately fortunately seriously literally truly "
        "nearly mostly mainly merely hardly barely lately frequently rarely once "
        "twice elsewhere anywhere everywhere somewhere meanwhile thus hence therefore "
        "indeed further furthermore moreover otherwise later earlier today tomorrow "
        "yesterday away"
    ),
    "ppron": _words(
        "i me my mine myself we us our ours ourselves you your yours yourself "
        "yourselves he him his himself she her hers herself they them their theirs "
        "themselves y'all yall u ur i'm i've i'll i'd you're you've you'll you'd we're "
        "we've we'll we'd they're they've they'll they'd he's he'll he'd she's she'll "
        "she'd let's im ive youre thee thou"
    ),
    "ipron": _words(
        "it its itself it's it'll it'd this that these those what which who whom whose "
        "whatever whichever whoever anything anyone* anybody* something someone* "
        "somebody* everything everyone* everybody* nobody* other others another "
        "thing* that's what's who's stuff"
    ),
    "negate": _words(
        "no not never none nothing nobody nowhere neither nor cannot nope n't isn't "
        "aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't won't "
        "wouldn't can't couldn't shouldn't mustn't mightn't needn't ain't isnt arent "
        "wasnt werent hasnt havent hadnt dont doesnt didnt wont wouldnt cant couldnt "
        "shouldnt mustnt"
    ),
    "preps": _words(
        "about above across after against along among amongst around at before behind "
        "below beneath beside besides between beyond by despite down during except for "
        "from in inside into near of off on onto out outside over past since through "
        "throughout thru to toward towards under underneath until till unto up upon "
        "via with within without than as per"
    ),
    "quant": _words(
        "all any both each either every few fewer fewest less least lot lots alot many "
        "more most much several some enough half whole plenty couple bit little single "
        "double triple total entire various numerous none multiple another extra "
        "anymore majority minority"
    ),
}

#: The eight markers of "Echoes of power" (and ConvoKit), in ConvoKit's order.
ECHOES_MARKERS = ("article", "auxverb", "conj", "adverb", "ppron", "ipron", "preps", "quant")


#: The eight markers of "Echoes of power" (and ConvoKit), in ConvoKit's order.
ECHOES_MARKERS = ("article", "auxverb", "conj", "adverb", "ppron", "ipron", "preps", "quant")

#: Most categories a lexicon may have (one bit each in a ``uint64`` mask).
MAX_CATEGORIES = 64

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_RUN_SEPARATOR = r"[^a-z0-9_']+"
_ENTRY = re.compile(r"[a-z0-9_']+")
_PATTERN_ALTERNATIVE = re.compile(r"\\b([a-z0-9_']+)(\\b)?")
_WORD_ENTRY = re.compile(r"([a-z0-9_']+)(\*)?")
_END = "#"  # ConvoKit's end-of-word mark in the trie
_HIT = "$"  # ConvoKit's "a category ends here" key in the trie


@dataclass(frozen=True)
class Lexicon:
    """Marker categories and their words, matched with ConvoKit's semantics.

    Attributes
    ----------
    name
        Display name (a file name for a loaded lexicon, never its path).
    sha256
        Digest of the lexicon's source text: its identity in caches and outputs.
    categories
        Category names in bit order (bit ``i`` of a mask = ``categories[i]``).
    words, prefixes
        Per category, whole-word entries and prefix entries (in category order).
    aggregate
        Categories averaged into a person's coordination (all of them, except for
        undertow's own lists, where negations are reported but left out).
    fold_apostrophes
        Read the curly apostrophe ``’`` as ``'`` (undertow's own lists; ConvoKit does
        not, so a loaded lexicon does not either).
    """

    name: str
    sha256: str
    categories: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]
    prefixes: tuple[tuple[str, ...], ...]
    aggregate: tuple[str, ...]
    fold_apostrophes: bool = False
    _tables: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: dict[str, int] = {}
        by_length: dict[int, dict[str, int]] = {}
        trie: dict[str, Any] = {}
        for bit, (words, prefixes) in enumerate(zip(self.words, self.prefixes, strict=True)):
            for word in words:
                exact[word] = exact.get(word, 0) | 1 << bit
                _add(trie, word + _END, 1 << bit)
            for prefix in prefixes:
                group = by_length.setdefault(len(prefix), {})
                group[prefix] = group.get(prefix, 0) | 1 << bit
                _add(trie, prefix, 1 << bit)
        self._tables["exact"] = (pa.array(list(exact), pa.string()), _masks(exact.values()))
        self._tables["prefix"] = [
            (length, pa.array(list(group), pa.string()), _masks(group.values()))
            for length, group in sorted(by_length.items())
        ]
        self._tables["trie"] = trie

    @property
    def key(self) -> str:
        """Short identity for cache keys."""
        return self.sha256[:16]

    def run_masks(self, runs: pa.Array) -> npt.NDArray[np.uint64]:
        r"""Category bitmask of each run (a maximal ``[a-z0-9_']`` string, or empty).

        Examples
        --------
        >>> import pyarrow as pa
        >>> lexicon = parse_lexicon("article\ta the\nipron\tthing*\n", name="x")
        >>> lexicon.run_masks(pa.array(["the", "things", "the's", "'the", "them", ""])).tolist()
        [1, 2, 1, 1, 0, 0]
        """
        runs = pc.cast(runs, pa.string())
        masks = np.zeros(len(runs), dtype=np.uint64)
        keys, key_masks = self._tables["exact"]
        _or_lookup(masks, runs, keys, key_masks)
        for length, keys, key_masks in self._tables["prefix"]:
            _or_lookup(masks, pc.utf8_slice_codeunits(runs, 0, length), keys, key_masks)
        # Apostrophes: ConvoKit's walk itself, once per distinct run.
        quirky = pc.match_substring(runs, "'").to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(quirky)
        if rows.size:
            trie = self._tables["trie"]
            texts = runs.take(pa.array(rows)).to_pylist()
            masks[rows] = np.array([_walk(trie, text) for text in texts], dtype=np.uint64)
        return masks

    def text(self) -> str:
        """The lexicon in the word-list format (:func:`parse_lexicon`)."""
        lines = []
        for name, words, prefixes in zip(self.categories, self.words, self.prefixes, strict=True):
            lines.append(name + "\t" + " ".join([*words, *(p + "*" for p in prefixes)]))
        return "\n".join(lines) + "\n"


def _add(trie: dict[str, Any], path: str, mask: int) -> None:
    node = trie
    for char in path:
        node = node.setdefault(char, {})
    node[_HIT] = node.get(_HIT, 0) | mask


def _masks(values: Any) -> npt.NDArray[np.uint64]:
    return np.array(list(values), dtype=np.uint64)


def _or_lookup(
    masks: npt.NDArray[np.uint64],
    values: pa.Array,
    keys: pa.Array,
    key_masks: npt.NDArray[np.uint64],
) -> None:
    if len(keys) == 0:
        return
    found = pc.index_in(values, value_set=keys)
    hit = pc.is_valid(found).to_numpy(zero_copy_only=False)
    index = found.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    masks[hit] |= key_masks[index[hit]]


def _walk(trie: dict[str, Any], run: str) -> int:
    """ConvoKit's ``_annot_liwc_cats`` on one run followed by a separator (a bitmask)."""
    mask = 0
    last: str | None = None
    cur: dict[str, Any] | None = None
    for char in run + " ":
        if last not in _WORD_CHARS and char in _WORD_CHARS and (last != "'" or not cur):
            cur = trie
        if cur:
            if char in cur and char not in (_END, _HIT):
                if char not in _WORD_CHARS:
                    end = cur.get(_END)
                    if end is not None and _HIT in end:
                        mask |= end[_HIT]  # the word before the apostrophe is complete
                cur = cur[char]
            elif char not in _WORD_CHARS and last in _WORD_CHARS and _END in cur:
                cur = cur[_END]
            else:
                cur = None
        if cur and _HIT in cur:
            mask |= cur[_HIT]
        last = char
    return mask


def parse_lexicon(
    text: str,
    *,
    name: str,
    source: str | None = None,
    aggregate: tuple[str, ...] | None = None,
    fold_apostrophes: bool = False,
) -> Lexicon:
    r"""A lexicon from text: one ``category<TAB>entries`` line per category.

    Entries are either ConvoKit's (LIWC-style) pattern alternatives ``\bword\b|\bprefix``
    (a line containing ``\b``) or whitespace-separated words where a trailing ``*``
    marks a prefix. Entries are lower case ``[a-z0-9_']``; a category may span several
    lines; blank lines and lines starting with ``#`` are skipped.

    Raises
    ------
    InputError
        Naming ``source`` (or ``name``) and the line of a malformed entry.

    Examples
    --------
    >>> lexicon = parse_lexicon("article\t\\ba\\b|\\bthe\\b\nquant\tmore lot*\n", name="x")
    >>> lexicon.categories, lexicon.words, lexicon.prefixes
    (('article', 'quant'), (('a', 'the'), ('more',)), ((), ('lot',)))
    """
    where = source if source is not None else name
    order: list[str] = []
    words: dict[str, list[str]] = {}
    prefixes: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
            raise InputError(
                "expected one 'category<TAB>entries' pair per line", path=where, line=number
            )
        category, entries = fields[0].strip(), fields[1].strip()
        if category not in words:
            order.append(category)
            words[category], prefixes[category] = [], []
        for word, is_prefix in _entries(entries, where, number):
            target = prefixes if is_prefix else words
            if word not in target[category]:
                target[category].append(word)
    if not order:
        raise InputError("the lexicon has no categories", path=where)
    if len(order) > MAX_CATEGORIES:
        raise InputError(f"more than {MAX_CATEGORIES} categories ({len(order)})", path=where)
    chosen = tuple(order) if aggregate is None else aggregate
    unknown = sorted(set(chosen) - set(order))
    if unknown:
        raise InputError(f"aggregate names unknown categories {unknown}", path=where)
    return Lexicon(
        name=name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        categories=tuple(order),
        words=tuple(tuple(words[c]) for c in order),
        prefixes=tuple(tuple(prefixes[c]) for c in order),
        aggregate=chosen,
        fold_apostrophes=fold_apostrophes,
    )


def _entries(entries: str, where: str, number: int) -> Iterator[tuple[str, bool]]:
    if "\\b" in entries:
        for alternative in entries.split("|"):
            match = _PATTERN_ALTERNATIVE.fullmatch(alternative)
            if match is None:
                raise InputError(
                    f"pattern alternative '{alternative}' is not \\bword\\b or \\bprefix "
                    "(lower-case letters, digits, _ and ' only)",
                    path=where,
                    line=number,
                )
            yield match.group(1), match.group(2) is None
        return
    for entry in entries.split():
        match = _WORD_ENTRY.fullmatch(entry)
        if match is None:
            raise InputError(
                f"entry '{entry}' is not a word or a prefix* "
                "(lower-case letters, digits, _ and ' only)",
                path=where,
                line=number,
            )
        yield match.group(1), match.group(2) is not None


def load_lexicon(path: str | Path) -> Lexicon:
    """Read a lexicon file (:func:`parse_lexicon`'s formats, UTF-8); named by its file name.

    Raises
    ------
    InputError
        If the file cannot be read or is malformed (naming the file and line).
    """
    location = Path(path)
    try:
        text = location.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot read the marker lexicon: {exc.strerror or exc}", path=path
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"the marker lexicon is not UTF-8 text: {exc.reason}", path=path) from exc
    return parse_lexicon(text, name=location.name, source=str(path))


def _own_text() -> str:
    return "".join(
        name + "\t" + " ".join(words) + "\n" for name, words in FUNCTION_WORD_CLASSES.items()
    )


#: undertow's own lists (:data:`FUNCTION_WORD_CLASSES`) as a lexicon: the default.
DEFAULT_LEXICON = parse_lexicon(
    _own_text(), name="undertow function words", aggregate=ECHOES_MARKERS, fold_apostrophes=True
)

_ACTIVE: ContextVar[Lexicon | None] = ContextVar("undertow_marker_lexicon", default=None)


def active_lexicon() -> Lexicon:
    """The lexicon metrics use now: the one set by :func:`use_lexicon`, else the default."""
    return _ACTIVE.get() or DEFAULT_LEXICON


@contextmanager
def use_lexicon(lexicon: Lexicon | None) -> Iterator[Lexicon]:
    r"""Use ``lexicon`` (``None``: the default) for marker detection inside the block.

    Examples
    --------
    >>> small = parse_lexicon("article\tthe\n", name="small")
    >>> with use_lexicon(small) as chosen:
    ...     active_lexicon().name
    'small'
    >>> active_lexicon().name
    'undertow function words'
    """
    chosen = lexicon or DEFAULT_LEXICON
    token = _ACTIVE.set(chosen)
    try:
        yield chosen
    finally:
        _ACTIVE.reset(token)


def lexicon_bits(
    texts: pa.Array | pa.ChunkedArray, lexicon: Lexicon | None = None
) -> npt.NDArray[np.uint64]:
    r"""Bitmask of the lexicon's categories each text uses (bit i = ``categories[i]``).

    Parameters
    ----------
    texts
        Texts (null counts as empty).
    lexicon
        The lexicon (default: :func:`active_lexicon`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> lexicon = parse_lexicon("article\ta the\nauxverb\tdon't\n", name="x")
    >>> lexicon_bits(pa.array(["The cat", "I DON'T", "Théo", None]), lexicon).tolist()
    [1, 2, 0, 0]
    """
    chosen = lexicon or active_lexicon()

    def slice_bits(part: pa.Array) -> pa.Table:
        return pa.table({"bits": pa.array(_bits(part, chosen), pa.uint64())})

    # Texts are independent: row slices run in threads and bound the token lists.
    table = map_chunks(slice_bits, texts)
    bits: npt.NDArray[np.uint64] = np.asarray(
        table.column("bits").to_numpy(zero_copy_only=False), dtype=np.uint64
    )
    return bits


def _bits(texts: pa.Array, lexicon: Lexicon) -> npt.NDArray[np.uint64]:
    text = pc.fill_null(pc.cast(texts, pa.string()), "")
    # Python's str.lower() (ConvoKit) writes "İ" as "i" + U+0307; Arrow as "i".
    text = pc.replace_substring(text, "\u0130", "i\u0307")
    lowered = pc.utf8_lower(text)
    if lexicon.fold_apostrophes:
        lowered = pc.replace_substring(lowered, "\u2019", "'")
    # Whitespace always separates runs, so a whitespace token's mask is a function of the
    # token: split cheaply on whitespace, then split only the DISTINCT tokens into runs.
    tokens, token_offsets = _flat(pc.ascii_split_whitespace(lowered))
    distinct = pc.dictionary_encode(tokens)
    runs, run_offsets = _flat(pc.split_pattern_regex(distinct.dictionary, _RUN_SEPARATOR))
    encoded = pc.dictionary_encode(runs)
    run_masks = lexicon.run_masks(encoded.dictionary)
    token_masks = _or_per_row(
        run_masks[encoded.indices.to_numpy(zero_copy_only=False)], run_offsets
    )
    per_token = token_masks[distinct.indices.to_numpy(zero_copy_only=False)]
    return _or_per_row(per_token, token_offsets)


def _flat(lists: pa.Array) -> tuple[pa.Array, npt.NDArray[np.int64]]:
    """A list array's elements and per-row offsets into them (rebased for slices)."""
    raw = lists.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    values = lists.values.slice(int(raw[0]), int(raw[-1] - raw[0]))
    offsets: npt.NDArray[np.int64] = raw - raw[0]
    return values, offsets


def _or_per_row(
    values: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """OR of ``values[offsets[i]:offsets[i + 1]]`` per row (0 for an empty row)."""
    n_rows = offsets.size - 1
    out = np.zeros(n_rows, dtype=np.uint64)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    if values.size and nonempty.any():
        out[nonempty] = np.bitwise_or.reduceat(values, starts[nonempty])
    return out


def function_word_bits(
    texts: pa.Array | pa.ChunkedArray, classes: tuple[str, ...] | None = None
) -> npt.NDArray[np.uint64]:
    """Bitmask of undertow's own function-word classes each text uses (bit i = ``classes[i]``).

    Parameters
    ----------
    texts
        Texts (null counts as empty).
    classes
        Classes to detect, in bit order (default: all of :data:`FUNCTION_WORD_CLASSES`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> bits = function_word_bits(pa.array(["The cat", "nothing"]), ("article", "negate"))
    >>> bits.tolist()
    [1, 2]
    """
    bits = lexicon_bits(texts, DEFAULT_LEXICON)
    if classes is None:
        return bits
    out = np.zeros(bits.size, dtype=np.uint64)
    for position, name in enumerate(classes):
        bit = np.uint64(DEFAULT_LEXICON.categories.index(name))
        out |= ((bits >> bit) & np.uint64(1)) << np.uint64(position)
    return out


def message_marker_bits(trace: Trace) -> npt.NDArray[np.uint64]:
    """Category bitmask of each message's own words under the active lexicon (cached).

    The cache key carries the lexicon's digest, so two lexicons never share an entry.
    """
    lexicon = active_lexicon()

    def compute() -> npt.NDArray[np.uint64]:
        return lexicon_bits(message_own_words(trace), lexicon)

    result: npt.NDArray[np.uint64] = trace.cached(f"message_marker_bits:{lexicon.key}", compute)
    return result


def message_function_words(trace: Trace) -> pa.Table:
    """Which marker categories each message's own words use (active lexicon, cached).

    Returns
    -------
    pyarrow.Table
        ``message_id`` and one boolean column per category of the active lexicon
        (default: :data:`FUNCTION_WORD_CLASSES`).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "Not in the tree."}])
    >>> row = message_function_words(trace).to_pylist()[0]
    >>> row["article"], row["negate"], row["quant"]
    (True, True, False)
    """
    lexicon = active_lexicon()

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        bits = message_marker_bits(trace)
        columns = {
            name: pa.array((bits >> np.uint64(i)) & np.uint64(1) == 1)
            for i, name in enumerate(lexicon.categories)
        }
        return pa.table({"message_id": messages.column("message_id"), **columns})

    result: pa.Table = trace.cached(f"message_function_words:{lexicon.key}", compute)
    return result
