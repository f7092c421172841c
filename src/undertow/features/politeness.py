"""Politeness strategies and a politeness score per message, by vectorised regexes.

The strategies are those of Danescu-Niculescu-Mizil, Sudhof, Jurafsky, Leskovec &
Potts (2013), "A computational approach to politeness with application to social
factors" (ACL), Table 3. The paper detects them with a dependency parse; here each
is a lexical/positional regular expression (RE2, run by Arrow over the whole column
at once), an approximation that keeps the strategy's definition: e.g. *please start*
is "please" as the first word of a sentence, *counterfactual modal* is "could/would
you". *Positive*/*negative lexicon* use VADER's lexicon (the paper used Liu's opinion
lexicon, which undertow does not bundle).

The score is a transparent weighted sum of strategy indicators
(:data:`POLITENESS_WEIGHTS`): the coefficients of a logistic regression of the
paper's binary label (top vs bottom quartile of the human politeness score) on the
indicators, fitted on the Stanford Politeness Corpus' 4,353 annotated Wikipedia
requests (``bench/politeness_fit.py``; cross-validated figures in
``bench/RESULTS-language.md``). Positive scores read as polite, negative as impolite.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.affect import message_affect, vader_scores
from undertow.features.text import contains_patterns, lower_case, message_own_words
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "POLITENESS_INTERCEPT",
    "POLITENESS_WEIGHTS",
    "STRATEGIES",
    "message_politeness",
    "politeness_strategies",
]

# A sentence starts at the beginning of the text or after ., ! or ? and spaces
# (RE2 has no look-behind, so the boundary is part of the match).
_START = r"(?:^|[.!?\n]\s*)\W*"
_WORD_END = r"(?:\b|$)"

#: Strategy name -> RE2 pattern on the lower-cased own words.
STRATEGIES: dict[str, str] = {
    "gratitude": r"\b(?:thanks|thank you|thx|(?:i|we) (?:really )?appreciate|grateful)\b",
    "deference": _START
    + r"(?:great|good|nice|interesting|cool|excellent|awesome|impressive|wonderful)\b",
    "greeting": _START + r"(?:hi|hello|hey|greetings|good (?:morning|afternoon|evening)|dear)\b",
    "apologizing": r"\b(?:sorry|apologi[sz]e|apologies|excuse me|forgive me|pardon me|my bad|"
    r"oops|i regret)\b",
    "please": r"[a-z0-9,;:]\s+please\b",
    "please_start": _START + r"please\b",
    "indirect_btw": r"\b(?:by the way|btw|incidentally)\b",
    "direct_question": _START + r"(?:what|why|who|whom|how|where|when)\b[^.!?]*\?",
    "direct_start": _START + r"(?:so|then|and|but|or)\b",
    "counterfactual_modal": r"\b(?:could|would) (?:you|u)\b",
    "indicative_modal": r"\b(?:can|will) (?:you|u)\b",
    "first_person_start": _START + r"(?:i|my|mine|myself|i'm|i've|i'd|i'll)\b",
    "first_person_plural": r"\b(?:we|our|ours|us|ourselves|we're|we've|let's)\b",
    "first_person": r"[a-z0-9,;:'\"]\s+(?:i|my|mine|me|myself|i'm|i've|i'd|i'll)\b",
    "second_person": r"[a-z0-9,;:'\"]\s+(?:you|your|yours|yourself|yourselves|you're|you've|u)\b",
    "second_person_start": _START + r"(?:you|your|yours|yourself|you're|you've)\b",
    "hedges": r"\b(?:think|thought|believe|suggest|suggested|guess|perhaps|maybe|possibly|"
    r"probably|presumably|apparently|seems?|seemed|somewhat|sort of|kind of|might|"
    r"appears?|i wonder|wondering|assume|likely|unlikely|fairly|in my opinion|imho|imo)\b",
    "factuality": r"\b(?:in fact|actually|really|the point|the reality|the truth|obviously|"
    r"clearly|of course|honestly)\b",
    "positive_lexicon": "",
    "negative_lexicon": "",
}

#: Logistic-regression weights of each strategy: L2-penalised (lambda = 1) fit on the 2,178
#: top/bottom-quartile requests of the Stanford corpus by ``bench/politeness_fit.py``
#: (10-fold CV accuracy 0.788; out-of-fold Spearman 0.52 with the human score).
POLITENESS_WEIGHTS: dict[str, float] = {
    "gratitude": 2.733,
    "deference": 1.664,
    "greeting": 1.91,
    "apologizing": 1.854,
    "please": 0.576,
    "please_start": -0.429,
    "indirect_btw": 0.77,
    "direct_question": -0.532,
    "direct_start": -1.416,
    "counterfactual_modal": 1.426,
    "indicative_modal": 0.777,
    "first_person_start": 0.744,
    "first_person_plural": 0.313,
    "first_person": 0.319,
    "second_person": 0.222,
    "second_person_start": -0.685,
    "hedges": 0.495,
    "factuality": -1.354,
    "positive_lexicon": 1.091,
    "negative_lexicon": -1.132,
}

#: Intercept of the fitted logistic regression (the score of a request with no strategy).
POLITENESS_INTERCEPT = -1.268


def politeness_strategies(
    texts: pa.Array | pa.ChunkedArray, *, affect: pa.Table | None = None
) -> pa.Table:
    """Which politeness strategies each text uses, and its politeness score.

    Parameters
    ----------
    texts
        Texts (already reduced to the author's own words; null counts as empty).
    affect
        Their VADER scores (``pos``, ``neg``), if already computed.

    Returns
    -------
    pyarrow.Table
        ``politeness`` (the weighted sum of strategies plus the intercept, a logit) and
        one boolean column per strategy in :data:`STRATEGIES`.

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = politeness_strategies(pa.array(["Could you please check? Thanks!", "Why?"]))
    >>> table.column("counterfactual_modal").to_pylist(), table.column("gratitude").to_pylist()
    ([True, False], [True, False])
    >>> a, b = table.column("politeness").to_pylist()
    >>> a > b
    True
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if affect is None:
        affect = vader_scores(texts)
    # The regexes see one text at a time: row slices run in threads and bound the
    # lower-cased copy.
    matched = map_chunks(_strategy_matches, texts)
    columns: dict[str, pa.Array] = {}
    for name in STRATEGIES:
        if name == "positive_lexicon":
            columns[name] = pc.greater(affect.column("pos"), 0.0).combine_chunks()
        elif name == "negative_lexicon":
            columns[name] = pc.greater(affect.column("neg"), 0.0).combine_chunks()
        else:
            columns[name] = matched.column(name).combine_chunks()
    score = np.full(len(texts), POLITENESS_INTERCEPT)
    for name, weight in POLITENESS_WEIGHTS.items():
        score += weight * columns[name].to_numpy(zero_copy_only=False)
    return pa.table({"politeness": pa.array(score, type=pa.float64()), **columns})


def _strategy_matches(texts: pa.Array) -> pa.Table:
    names = [name for name, pattern in STRATEGIES.items() if pattern]
    lowered = lower_case(pc.fill_null(pc.cast(texts, pa.string()), ""))
    found = contains_patterns(lowered, [STRATEGIES[name] for name in names])
    return pa.table({name: pa.array(hit) for name, hit in zip(names, found, strict=True)})


def message_politeness(trace: Trace) -> pa.Table:
    """Politeness strategies and score of every message's own words (cached on the trace).

    Returns
    -------
    pyarrow.Table
        ``message_id, politeness`` and one boolean column per strategy
        (:data:`STRATEGIES`), in the trace's message order.

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([{"message_id": "m1", "author_id": "a", "text": "Thanks a lot!"}])
    >>> message_politeness(trace).column("gratitude").to_pylist()
    [True]
    """

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        table = politeness_strategies(message_own_words(trace), affect=message_affect(trace))
        return table.add_column(0, "message_id", messages.column("message_id"))

    result: pa.Table = trace.cached("message_politeness", compute)
    return result
