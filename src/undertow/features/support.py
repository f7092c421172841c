"""Support and empathy markers per message, by vectorised regexes.

The three empathy mechanisms of Sharma, Miner, Atkins & Althoff (2020), "A
computational approach to understanding empathy expressed in text-based mental
health support" (EMNLP; the EPITOME framework) are approximated lexically:

- *emotional reactions*: expressing warmth, compassion, concern ("sorry to hear",
  "that sounds frustrating", "oh no");
- *interpretations*: communicating an understanding of the other's experience
  ("I understand", "I've been there", "same problem here", "it sounds like you");
- *explorations*: asking about the other's feelings or experience ("how are you
  feeling", "what happened", "tell us more").

Four everyday support acts are added: *reassurance* ("don't worry", "you're not
alone"), *thanks*, *apology* and *validation* ("good question", "you're right",
"welcome"). A message is *supportive* when it shows an empathy mechanism,
reassurance or validation; thanks and apologies are recorded but are politeness
rather than support on their own. These are lexical approximations of trained
classifiers: they favour precision (explicit phrases) over recall.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.text import contains_patterns, lower_case, message_own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = ["SUPPORT_MARKERS", "message_support", "support_markers"]

_YOU = r"(?:you|u|ya)"

#: Marker -> RE2 pattern on lower-cased own words (curly apostrophes folded).
SUPPORT_MARKERS: dict[str, str] = {
    "emotional_reaction": r"\b(?:sorry to hear|sorry for your|sorry about that|"
    r"(?:that|this|it) (?:sounds|must be|must have been) (?:so |really |very )?"
    r"(?:frustrating|annoying|painful|awful|terrible|hard|tough|rough|stressful|upsetting)|oh no\b|"
    r"i feel for " + _YOU + r"|my sympathies|hugs\b|poor " + _YOU + r"\b|that sucks|"
    r"i'm (?:so |really )?sorry " + _YOU + r"|hang in there|ouch\b|"
    r"(?:hope|wish) " + _YOU + r" (?:feel|get) better|feel better soon|take care\b)",
    "interpretation": r"\b(?:i (?:can |totally |completely )?understand|i know (?:how|what) "
    r"(?:it|that|this|" + _YOU + r")|i(?:'ve| have) been there|i had the same|"
    r"same (?:problem|issue|thing) here|i have the same (?:problem|issue)|"
    r"it (?:sounds|seems) like " + _YOU + r"|i see (?:what|why|where) " + _YOU + r"|"
    r"i can (?:imagine|see how)|that makes sense|i get (?:it|that|why)|i hear " + _YOU + r")",
    "exploration": r"\b(?:how (?:are|do) " + _YOU + r" (?:feel|feeling|doing|holding up)|"
    r"are " + _YOU + r" (?:ok|okay|alright|all right)\b|what happened|"
    r"tell (?:me|us) more|(?:can|could|would) " + _YOU + r" (?:tell|explain|describe|share) "
    r"(?:me |us )?(?:more|what|how)|what do " + _YOU + r" (?:think|need|mean)|"
    r"what (?:exactly )?(?:went|goes) wrong)",
    "reassurance": r"\b(?:don't worry|do not worry|no worries|not your fault|"
    r"you(?:'re| are) not (?:alone|the only one)|(?:it|that)(?:'s| is) (?:ok|okay|fine|normal)"
    r"|happens to (?:everyone|everybody|all of us|the best)|no need to (?:apologi[sz]e|worry)"
    r"|you(?:'ll| will) (?:get there|be fine|figure it out)|it will be (?:ok|okay|fine)"
    r"|no problem\b|easy mistake|we(?:'ve| have) all been there|don't be sorry"
    r"|(?:we|i)(?:'re| are| am) here to help|we(?:'ll| will) (?:sort|figure|work) it out)",
    "thanks": r"\b(?:thanks|thank you|thx|many thanks|(?:i|we) (?:really )?appreciate|grateful)\b",
    "apology": r"\b(?:sorry|apologi[sz]e|apologies|my bad|my mistake|my fault|i regret)\b",
    "validation": r"\b(?:(?:good|great|excellent|fair|valid|interesting) "
    r"(?:question|point|idea|catch|find|observation|work|job|suggestion)|"
    r"you(?:'re| are) (?:right|correct|absolutely right)|well done|nice (?:work|job|catch|find)|"
    r"welcome (?:to|aboard)|exactly right|spot on|makes a lot of sense|thanks for "
    r"(?:reporting|the report|raising|pointing|sharing|testing|the patch|your work))",
}

_SUPPORTIVE = ("emotional_reaction", "interpretation", "exploration", "reassurance", "validation")


def support_markers(texts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Support/empathy markers of many texts at once.

    Returns
    -------
    pyarrow.Table
        ``is_supportive`` and one boolean column per marker of :data:`SUPPORT_MARKERS`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = support_markers(pa.array(["Don't worry, I had the same problem.", "ls -l"]))
    >>> table.column("is_supportive").to_pylist(), table.column("reassurance").to_pylist()
    ([True, False], [True, False])
    """
    # Row slices run in threads and bound the lower-cased copy.
    matched = map_chunks(_marker_matches, texts)
    columns = {name: matched.column(name).combine_chunks() for name in SUPPORT_MARKERS}
    supportive = np.zeros(len(texts), dtype=bool)
    for name in _SUPPORTIVE:
        supportive |= columns[name].to_numpy(zero_copy_only=False)
    return pa.table({"is_supportive": pa.array(supportive), **columns})


def _marker_matches(texts: pa.Array) -> pa.Table:
    lowered = lower_case(pc.fill_null(pc.cast(texts, pa.string()), ""))
    if not pc.all(pc.string_is_ascii(lowered)).as_py():
        lowered = pc.replace_substring(lowered, "\u2019", "'")
    found = contains_patterns(lowered, list(SUPPORT_MARKERS.values()))
    return pa.table({name: pa.array(hit) for name, hit in zip(SUPPORT_MARKERS, found, strict=True)})


def message_support(trace: Trace) -> pa.Table:
    """Support/empathy markers of every message's own words (cached on the trace).

    Returns
    -------
    pyarrow.Table
        ``message_id, is_supportive`` and one boolean column per marker
        (:data:`SUPPORT_MARKERS`), in the trace's message order.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "Good catch, thanks!"}])
    >>> row = message_support(trace).to_pylist()[0]
    >>> row["is_supportive"], row["validation"], row["thanks"]
    (True, True, True)
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        table = support_markers(message_own_words(trace))
        return table.add_column(0, "message_id", messages.column("message_id"))

    result: pa.Table = trace.cached("message_support", compute)
    return result
