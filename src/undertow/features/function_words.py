"""Function-word classes per message: the style markers of linguistic coordination.

Danescu-Niculescu-Mizil, Lee, Pang & Kleinberg (2012), "Echoes of power: language
effects and power differences in social interaction" (WWW), measure coordination on
eight LIWC-style function-word classes; undertow adds negations as a ninth (reported
per marker, left out of the default aggregate so the aggregate stays comparable with
the paper and with ConvoKit's ``Coordination``). LIWC's dictionaries are proprietary,
so the word lists below are undertow's own, written from English grammar (closed
classes: articles, auxiliaries, conjunctions, pronouns, prepositions, quantifiers,
negations, and the most frequent adverbs). An entry ending in ``*`` matches any word
starting with it.

Detection is one RE2 pass per class over the whole lower-cased text column (Arrow),
packed into a bitmask per message.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.text import message_own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "ECHOES_MARKERS",
    "FUNCTION_WORD_CLASSES",
    "function_word_bits",
    "message_function_words",
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


def _pattern(words: tuple[str, ...]) -> str:
    exact = sorted({w for w in words if not w.endswith("*")}, key=len, reverse=True)
    prefixes = sorted({w[:-1] for w in words if w.endswith("*")}, key=len, reverse=True)
    alternatives = exact + [prefix + r"[a-z0-9_']*" for prefix in prefixes]
    # A word is delimited by anything that is neither a word character nor an apostrophe
    # (RE2 has no look-around, so the delimiters are matched explicitly).
    return r"(?:^|[^a-z0-9_'])(?:" + "|".join(alternatives) + r")(?:$|[^a-z0-9_'])"


_PATTERNS = {name: _pattern(words) for name, words in FUNCTION_WORD_CLASSES.items()}


def function_word_bits(
    texts: pa.Array | pa.ChunkedArray, classes: tuple[str, ...] | None = None
) -> npt.NDArray[np.uint16]:
    """Bitmask of the function-word classes each text uses (bit i = ``classes[i]``).

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
    names = tuple(FUNCTION_WORD_CLASSES) if classes is None else classes

    def slice_bits(part: pa.Array) -> pa.Table:
        return pa.table({"bits": pa.array(_bits(part, names), pa.uint16())})

    # Texts are independent: row slices run in threads and bound the lower-cased copy.
    table = map_chunks(slice_bits, texts)
    bits: npt.NDArray[np.uint16] = np.asarray(
        table.column("bits").to_numpy(zero_copy_only=False), dtype=np.uint16
    )
    return bits


def _bits(texts: pa.Array, names: tuple[str, ...]) -> npt.NDArray[np.uint16]:
    # Curly apostrophes are folded so "don’t" is "don't".
    lowered = pc.utf8_lower(pc.fill_null(pc.cast(texts, pa.string()), ""))
    lowered = pc.replace_substring(lowered, "\u2019", "'")
    bits = np.zeros(len(texts), dtype=np.uint16)
    for position, name in enumerate(names):
        hit = pc.match_substring_regex(lowered, _PATTERNS[name]).to_numpy(zero_copy_only=False)
        bits |= hit.astype(np.uint16) << np.uint16(position)
    return bits


def message_function_words(trace: Trace) -> pa.Table:
    """Which function-word classes each message's own words use (cached on the trace).

    Returns
    -------
    pyarrow.Table
        ``message_id`` and one boolean column per class of :data:`FUNCTION_WORD_CLASSES`.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "Not in the tree."}])
    >>> row = message_function_words(trace).to_pylist()[0]
    >>> row["article"], row["negate"], row["quant"]
    (True, True, False)
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        names = tuple(FUNCTION_WORD_CLASSES)
        bits = function_word_bits(message_own_words(trace), names)
        columns = {name: pa.array((bits >> np.uint16(i)) & 1 == 1) for i, name in enumerate(names)}
        return pa.table({"message_id": messages.column("message_id"), **columns})

    result: pa.Table = trace.cached("message_function_words", compute)
    return result
