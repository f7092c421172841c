"""Tone per message: hostility and polarity from models validated on technical text.

Every tone measure reads :func:`undertow.features.tone_text.message_tone_text` (the
prose a person wrote: no quotes, code, patches, logs, traces, signatures or URLs); a
message without prose has no tone (null), never a negative one.

- **hostility**: probability that a message is toxic/hostile, from the linear model of
  :mod:`undertow.features.tone_model` trained on STRUDEL's human-labelled GitHub
  comments and issues (Raman et al. 2020, MIT licence); ``is_hostile`` is that
  probability at or above the threshold chosen by cross-validation on those labels.
- **polarity**: probabilities of positive / neutral / negative, from the model trained on
  Senti4SD's human-labelled Stack Overflow posts (Calefato et al. 2018, MIT licence);
  ``valence = p_positive - p_negative``; ``is_negative`` uses the CV-chosen threshold on
  ``p_negative``.

A community's own labels replace either model (``undertow tone fit``, then
``undertow analyze --tone-model``; :func:`use_tone_models`). The VADER scores of the
message's own words stay available as ``vader_*`` columns for comparison.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.affect import message_affect
from undertow.features.tone_model import ToneModel, shipped_model, tone_features
from undertow.features.tone_text import message_tone_text
from undertow.model.parallel import map_chunks
from undertow.model.trace import Trace

__all__ = [
    "TONE_COLUMNS",
    "active_tone_model",
    "load_tone_model",
    "message_tone",
    "tone_scores",
    "tone_validity",
    "use_tone_models",
]

#: Columns of :func:`message_tone`.
TONE_COLUMNS = (
    "message_id",
    "has_tone",
    "hostility",
    "is_hostile",
    "p_negative",
    "p_neutral",
    "p_positive",
    "valence",
    "is_negative",
    "is_positive",
    "vader_compound",
    "vader_pos",
    "vader_neg",
    "vader_neu",
)

_ACTIVE: ContextVar[dict[str, ToneModel] | None] = ContextVar("undertow_tone_models", default=None)


def active_tone_model(name: str) -> ToneModel:
    """The model in use for ``hostility`` or ``polarity`` (a community's, else the shipped one).

    Examples
    --------
    >>> active_tone_model("polarity").classes
    ('positive', 'neutral', 'negative')
    """
    chosen = (_ACTIVE.get() or {}).get(name)
    return chosen if chosen is not None else shipped_model(name)


def load_tone_model(path: str | Path) -> tuple[str, ToneModel]:
    """Read a model written by ``undertow tone fit``: ``(measure, model)``.

    The measure is ``polarity`` when the model's classes are positive / neutral /
    negative, else ``hostility``.
    """
    model = ToneModel.load(path)
    measure = "polarity" if len(model.classes) == 3 else "hostility"
    return measure, model


@contextmanager
def use_tone_models(models: dict[str, ToneModel] | None) -> Iterator[None]:
    """Use these models (``{"hostility": ..., "polarity": ...}``) inside the block.

    Examples
    --------
    >>> model = active_tone_model("hostility")
    >>> with use_tone_models({"hostility": model}):
    ...     active_tone_model("hostility") is model
    True
    """
    token = _ACTIVE.set(dict(models or {}))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _fingerprint(model: ToneModel) -> str:
    digest = hashlib.sha256(model.weights_.tobytes())
    digest.update(model.dense_.tobytes() + model.bias_.tobytes() + repr(model.threshold_).encode())
    return digest.hexdigest()[:16]


def tone_validity(name: str) -> str:
    """One sentence: what the active ``hostility`` / ``polarity`` measure is and how valid.

    Examples
    --------
    >>> "STRUDEL" in tone_validity("hostility")
    True
    """
    model = active_tone_model(name)
    v = model.validity_
    data = v.get("training_data", "unknown data")
    if name == "hostility":
        figures = v.get("heldout_test_issues") or v.get("cv", {})
        where = "held-out test" if "heldout_test_issues" in v else "cross-validated"
        return (
            f"Hostility = probability >= {model.threshold_:.2f} from a linear model on word and "
            f"character n-grams trained on {data}; {where} precision "
            f"{figures.get('precision', float('nan')):.2f}, recall "
            f"{figures.get('recall', float('nan')):.2f}, F1 {figures.get('f1', float('nan')):.2f}, "
            f"AUC {figures.get('auc', float('nan')):.2f}."
        )
    macro = v.get("test_macro_f1", v.get("cv_macro_f1", float("nan")))
    return (
        f"Polarity from a linear model trained on {data}; macro-F1 {macro:.2f} "
        f"(VADER on the same texts {v.get('vader_test_macro_f1', float('nan')):.2f}); a "
        f"message is negative at p_negative >= {model.threshold_:.2f}."
    )


def tone_scores(texts: pa.Array | pa.ChunkedArray) -> pa.Table:
    """Hostility and polarity of prepared texts (null text -> null tone).

    Parameters
    ----------
    texts
        Output of :func:`~undertow.features.tone_text.tone_text`.

    Returns
    -------
    pyarrow.Table
        ``has_tone, hostility, is_hostile, p_negative, p_neutral, p_positive, valence,
        is_negative, is_positive`` (all null where the text is null).

    Examples
    --------
    >>> import pyarrow as pa
    >>> texts = ["You are a f***ing idiot, go away.", "Thanks, works now!", None]
    >>> table = tone_scores(pa.array(texts))
    >>> table.column("is_hostile").to_pylist()
    [True, False, None]
    """
    hostility = active_tone_model("hostility")
    polarity = active_tone_model("polarity")

    def score(chunk: pa.Array) -> pa.Table:
        valid = pc.is_valid(chunk).to_numpy(zero_copy_only=False)
        features = tone_features(chunk)
        hostile_p = hostility.probability(features)
        probs = polarity.probabilities(features)
        mask = ~np.asarray(valid, dtype=bool)
        order = {name: i for i, name in enumerate(polarity.classes)}
        p_neg, p_neu, p_pos = (probs[:, order[c]] for c in ("negative", "neutral", "positive"))
        negative = p_neg >= polarity.threshold_
        positive = ~negative & (p_pos >= p_neu)

        def column(values: np.ndarray) -> pa.Array:
            return pa.array(values, mask=mask)

        return pa.table(
            {
                "has_tone": pa.array(valid),
                "hostility": column(hostile_p),
                "is_hostile": column(hostile_p >= hostility.threshold_),
                "p_negative": column(p_neg),
                "p_neutral": column(p_neu),
                "p_positive": column(p_pos),
                "valence": column(p_pos - p_neg),
                "is_negative": column(negative),
                "is_positive": column(positive),
            }
        )

    return map_chunks(score, texts, chunk_rows=50_000)


def message_tone(trace: Trace) -> pa.Table:
    """Tone of every message (cached on the trace for the active models).

    Returns
    -------
    pyarrow.Table
        :data:`TONE_COLUMNS`, one row per message in the trace's message order: the
        columns of :func:`tone_scores`, and ``vader_compound, vader_pos, vader_neg,
        vader_neu`` (VADER on the message's own words, for comparison).

    Examples
    --------
    >>> from undertow.testing import make_trace
    >>> trace = make_trace([
    ...     {"message_id": "m1", "author_id": "a", "text": "[ 3.1] uvcvideo: Failed (129)"},
    ...     {"message_id": "m2", "author_id": "b", "text": "Thanks a lot, it works!"},
    ... ])
    >>> tone = message_tone(trace)
    >>> tone.column("has_tone").to_pylist(), tone.column("is_positive").to_pylist()
    ([False, True], [None, True])
    """
    key = "message_tone:" + ":".join(
        _fingerprint(active_tone_model(name)) for name in ("hostility", "polarity")
    )

    def compute() -> pa.Table:
        messages = trace.arrow("messages")
        scores = tone_scores(message_tone_text(trace))
        vader = message_affect(trace)
        columns = {"message_id": messages.column("message_id")}
        for name in scores.column_names:
            columns[name] = scores.column(name)
        for name in ("compound", "pos", "neg", "neu"):
            columns[f"vader_{name}"] = vader.column(name)
        return pa.table(columns)

    result: pa.Table = trace.cached(key, compute)
    return result
