"""Emotional support, courtesy and informational help per message, by vectorised regexes.

Emotion work is *emotional* support, which these markers keep apart from routine
courtesy and from technical help, because in technical communities the last two are
everywhere ("thanks for the report", "sorry for the late reply", "try loading the
module with quirks=2") and say nothing about anyone's feelings.

**Emotional support** (``is_supportive``; emotion work) -- the three empathy mechanisms
of Sharma, Miner, Atkins & Althoff (2020), "A computational approach to understanding
empathy expressed in text-based mental health support" (EMNLP; the EPITOME framework),
and the emotional-support categories of Wang, Kraut & Levine (2012), "To stay or
leave? The relationship of emotional and informational support to commitment in
online health support groups" (CSCW):

- ``emotional_reaction`` (EPITOME): warmth, compassion, concern -- "sorry to hear",
  "that sounds frustrating", "oh no", "hang in there";
- ``interpretation`` (EPITOME): understanding of the other's *experience or feeling* --
  "I know how frustrating that is", "I've been there", "I can imagine how";
- ``exploration`` (EPITOME): asking about the other's feelings -- "how are you holding up",
  "are you ok";
- ``reassurance`` (Wang & Kraut: reassurance/sympathy): "don't worry", "not your fault",
  "you're not alone", "we've all been there", "we're here for you";
- ``encouragement`` (Wang & Kraut: encouragement, notably after a failure): "don't give
  up", "keep at it", "you're almost there";
- ``feeling_validation`` (Wang & Kraut: validation of feelings): "your frustration is
  understandable", "it's understandable to feel".

**Courtesy** (``is_courteous``; not emotion work): ``thanks``, ``apology`` (including
"sorry for the late reply") and ``appreciation`` of work ("good catch", "thanks for the
report", "nice work", "welcome").

**Informational help** (``is_informational``; Wang & Kraut's informational support):
``advice`` ("you can try", "try loading", "have a look at", "update to", "check the FAQ",
"the fix is", "this is fixed in").

Markers read the message's prose (:func:`undertow.features.tone_text.message_tone_text`):
an apology or advice inside a quote, a log or a patch is not counted. They are lexical
approximations of trained classifiers that favour precision (explicit phrases) over
recall.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.text import contains_patterns, lower_case
from undertow.features.tone_text import message_tone_text
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = ["SUPPORT_MARKERS", "message_support", "support_markers"]

_YOU = r"(?:you|u|ya)"

_FEELING = (
    r"(?:frustrat\w*|annoying|painful|awful|terrible|hard|tough|rough|stressful|upsetting|"
    r"discouraging|disappointing|confusing|maddening|exhausting)"
)

#: Marker -> RE2 pattern on lower-cased prose (curly apostrophes folded).
SUPPORT_MARKERS: dict[str, str] = {
    "emotional_reaction": r"\b(?:sorry to hear|(?:so |really |very )?sorry for your "
    r"(?:loss|trouble)|"
    r"(?:that|this|it) (?:sounds|must be|must have been) (?:so |really |very |pretty |quite )?"
    + _FEELING
    + r"|oh no\b|i feel for "
    + _YOU
    + r"|my sympathies|hugs\b|poor "
    + _YOU
    + r"\b|that sucks for "
    + _YOU
    + r"|hang in there|(?:hope|wish) "
    + _YOU
    + r" (?:feel|get) better|feel better soon)",
    "interpretation": r"\b(?:i (?:know|understand|can imagine|can see) (?:how|what) "
    r"(?:frustrat\w*|annoying|hard|painful|it feels|that feels|"
    + _YOU
    + r" (?:feel|must feel))|i(?:'ve| have) been there"
    r"|i(?:'ve| have) been through (?:this|that|the same)"
    r"|i know (?:the|that) feeling|i feel (?:your|the same) (?:pain|frustration)"
    r"|i understand (?:your|the) frustration|i can imagine how|i hear " + _YOU + r"\b)",
    "exploration": r"\b(?:how (?:are|do) "
    + _YOU
    + r" (?:feel|feeling|holding up|coping)|are "
    + _YOU
    + r" (?:ok|okay|alright|all right)\b|how do "
    + _YOU
    + r" feel about)",
    "reassurance": r"\b(?:don't worry|do not worry|not your fault|"
    r"you(?:'re| are) not (?:alone|the only one|stupid|dumb)"
    r"|happens to (?:everyone|everybody|all of us|the best)"
    r"|no need to (?:apologi[sz]e|worry|feel bad)|don't be sorry|don't feel bad|easy mistake"
    r"|we(?:'ve| have) all been there|(?:it|that)(?:'s| is) (?:a )?(?:common|easy) mistake"
    r"|it will be (?:ok|okay|fine|alright)|you(?:'ll| will) be (?:ok|okay|fine)"
    r"|(?:we|i)(?:'re| are| am) (?:here|always here) (?:to help|for " + _YOU + r"))",
    "encouragement": r"\b(?:don't give up|do not give up|keep (?:at it|trying|going|it up)|"
    r"you(?:'re| are) (?:almost|nearly|so close|getting close)|you(?:'ll| will) get there"
    r"|you can do (?:it|this)|you(?:'re| are) on the right track|don't lose (?:hope|heart))",
    "feeling_validation": r"\b(?:(?:your|the|that) (?:frustration|anger|disappointment|concern) "
    r"is (?:understandable|justified|valid|legitimate)"
    r"|(?:it's|it is) (?:understandable|natural|normal) "
    r"(?:to feel|that you(?:'re| are) (?:frustrated|upset|annoyed|worried)))",
    "thanks": r"\b(?:thanks|thank you|thx|many thanks|(?:i|we) (?:really )?appreciate|grateful)\b",
    "apology": r"\b(?:sorry|apologi[sz]e|apologies|my bad|my mistake|my fault|i regret)\b",
    "appreciation": r"\b(?:(?:good|great|excellent|fair|valid|interesting) "
    r"(?:question|point|idea|catch|find|observation|work|job|suggestion)|"
    r"you(?:'re| are) (?:right|correct|absolutely right)|well done|nice (?:work|job|catch|find)|"
    r"welcome (?:to|aboard)|exactly right|spot on|thanks for "
    r"(?:reporting|the report|raising|pointing|sharing|testing|the patch|your work)|no problem\b|"
    r"no worries|you(?:'re| are) welcome|glad (?:to|i could) help|take care\b)",
    "advice": r"\b(?:(?:you|u) (?:can|could|should|need to|have to|must|might want to|may want to) "
    r"(?:try|use|run|check|install|update|upgrade|set|add|load|enable|disable|compile|apply|"
    r"download|remove|edit|change|look|read|send|post|test|patch|rebuild|reboot|unload)|"
    r"try (?:to |running |using |loading |the |with |adding |a |an |it |this |that |again )|"
    r"(?:have|take) a look at|update to|upgrade to"
    r"|(?:check|read|see) the (?:faq|documentation|docs|"
    r"wiki|manual|man page|howto|readme)|the (?:fix|solution|workaround) (?:is|was)|"
    r"(?:this|it|that) (?:is|was|has been|should be) fixed in"
    r"|please (?:try|test|send|post|run|provide|"
    r"check|apply))",
}

_SUPPORTIVE = (
    "emotional_reaction",
    "interpretation",
    "exploration",
    "reassurance",
    "encouragement",
    "feeling_validation",
)
_COURTESY = ("thanks", "apology", "appreciation")
_INFORMATIONAL = ("advice",)


def support_markers(texts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Emotional support, courtesy and informational-help markers of many texts at once.

    Returns
    -------
    pyarrow.Table
        ``is_supportive`` (emotional support), ``is_courteous``, ``is_informational`` and
        one boolean column per marker of :data:`SUPPORT_MARKERS`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = support_markers(pa.array(["Don't worry, it happens to everyone.",
    ...                                   "Thanks for the report, sorry for the late reply."]))
    >>> table.column("is_supportive").to_pylist(), table.column("is_courteous").to_pylist()
    ([True, False], [False, True])
    """
    # Row slices run in threads and bound the lower-cased copy.
    matched = map_chunks(_marker_matches, texts)
    columns = {name: matched.column(name).combine_chunks() for name in SUPPORT_MARKERS}

    def any_of(names: tuple[str, ...]) -> pa.Array:
        found = np.zeros(len(texts), dtype=bool)
        for name in names:
            found |= columns[name].to_numpy(zero_copy_only=False)
        return pa.array(found)

    return pa.table(
        {
            "is_supportive": any_of(_SUPPORTIVE),
            "is_courteous": any_of(_COURTESY),
            "is_informational": any_of(_INFORMATIONAL),
            **columns,
        }
    )


def _marker_matches(texts: pa.Array) -> pa.Table:
    lowered = lower_case(pc.fill_null(pc.cast(texts, pa.string()), ""))
    if not pc.all(pc.string_is_ascii(lowered)).as_py():
        lowered = pc.replace_substring(lowered, "\u2019", "'")
    found = contains_patterns(lowered, list(SUPPORT_MARKERS.values()))
    return pa.table({name: pa.array(hit) for name, hit in zip(SUPPORT_MARKERS, found, strict=True)})


def message_support(trace: Trace) -> pa.Table:
    """Support, courtesy and help markers of every message's prose (cached on the trace).

    Returns
    -------
    pyarrow.Table
        ``message_id, is_supportive, is_courteous, is_informational`` and one boolean
        column per marker (:data:`SUPPORT_MARKERS`), in the trace's message order.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "Good catch, thanks!"}])
    >>> row = message_support(trace).to_pylist()[0]
    >>> row["is_supportive"], row["is_courteous"], row["appreciation"]
    (False, True, True)
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        table = support_markers(message_tone_text(trace))
        return table.add_column(0, "message_id", messages.column("message_id"))

    result: pa.Table = trace.cached("message_support", compute)
    return result
