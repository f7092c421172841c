"""A community's own tone labels: adapt the shipped model and report its cross-validated validity.

A researcher codes a sample of the community's messages by hand (``hostile`` / not, or
``positive`` / ``neutral`` / ``negative``). :func:`fit_community_tone` then

1. prepares every text as at run time (:func:`~undertow.features.tone_text.tone_text`;
   texts without prose are left out and counted);
2. refits the shipped model's weights *towards* themselves (an L2 prior on the shipped
   weights, so a few hundred labels adapt the model rather than replace it), the
   penalty chosen from :data:`L2_GRID` by stratified cross-validation;
3. reports, on the same folds, the adapted model's out-of-fold precision, recall, F1
   and AUC (or macro-F1 for polarity), next to the shipped model and the VADER rule on
   the same labels, and picks the label threshold by the F0.5-best out-of-fold cut
   (precision weighted, as for the shipped models).

``undertow tone fit LABELS.csv -o model.npz`` writes the model;
``undertow analyze TRACE -o OUT --tone-model model.npz`` uses it and states its figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from undertow.errors import InputError
from undertow.features.affect import vader_scores
from undertow.features.tone_model import (
    ToneModel,
    auc,
    best_threshold,
    binary_figures,
    cross_validated,
    macro_f1,
    shipped_model,
    tone_features,
)
from undertow.features.tone_text import tone_text
from undertow.model.trace import Trace

__all__ = ["L2_GRID", "CommunityTone", "fit_community_tone", "read_labels"]

#: Penalties (towards the shipped weights) tried by cross-validation.
L2_GRID = (1.0, 3.0, 10.0, 30.0)

_HOSTILE = {"hostile", "toxic", "uncivil", "1", "yes", "y", "true"}
_NOT_HOSTILE = {"not_hostile", "not hostile", "civil", "ok", "0", "no", "n", "false", "none"}
_POLARITY = ("positive", "neutral", "negative")


@dataclass
class CommunityTone:
    """The result of :func:`fit_community_tone`.

    Attributes
    ----------
    measure
        ``hostility`` or ``polarity``.
    model
        The adapted model (its ``validity_`` holds the figures below).
    figures
        Cross-validated figures of the adapted model, the shipped model and VADER.
    n_labels, n_without_prose
        Labelled rows read, and rows left out because their text has no prose.
    """

    measure: str
    model: ToneModel
    figures: dict[str, Any] = field(default_factory=dict)
    n_labels: int = 0
    n_without_prose: int = 0


def read_labels(path: str | Path, trace: Trace | None = None) -> tuple[pa.Array, list[str]]:
    r"""Texts and labels of a labels file: ``text,label`` or ``message_id,label`` (+ ``trace``).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("text,label\nyou idiot,hostile\nthanks,not_hostile\n")
    >>> texts, labels = read_labels(path)
    >>> texts.to_pylist(), labels
    (['you idiot', 'thanks'], ['hostile', 'not_hostile'])
    """
    location = Path(path)
    if not location.is_file():
        raise InputError(f"{location}: no such labels file")
    try:
        table = pacsv.read_csv(
            location,
            convert_options=pacsv.ConvertOptions(
                column_types={"text": pa.string(), "label": pa.string(), "message_id": pa.string()}
            ),
        )
    except pa.ArrowInvalid as error:
        raise InputError(f"{location}: not a readable CSV ({error})") from error
    if "label" not in table.column_names:
        raise InputError(f"{location}: needs a 'label' column")
    labels = [str(v).strip().lower() if v is not None else "" for v in table["label"].to_pylist()]
    if "text" in table.column_names:
        texts = table.column("text").combine_chunks()
    elif "message_id" in table.column_names:
        if trace is None:
            raise InputError(f"{location}: message_id labels need the trace (--trace)")
        messages = trace.arrow("messages")
        index = pc.index_in(table.column("message_id"), value_set=messages.column("message_id"))
        missing = int(pc.sum(pc.is_null(index)).as_py() or 0)
        if missing:
            raise InputError(f"{location}: {missing} message_id values are not in the trace")
        texts = messages.column("text").combine_chunks().take(index.combine_chunks())
    else:
        raise InputError(f"{location}: needs a 'text' or a 'message_id' column")
    return texts, labels


def _classes(labels: list[str], location: str) -> tuple[str, np.ndarray]:
    values = set(labels)
    if values <= set(_POLARITY):
        return "polarity", np.array([_POLARITY.index(v) for v in labels], dtype=np.int64)
    unknown = values - _HOSTILE - _NOT_HOSTILE
    if unknown:
        raise InputError(
            f"{location}: labels must be hostile/not_hostile (or 1/0) or "
            f"positive/neutral/negative; found {sorted(unknown)[:5]}"
        )
    return "hostility", np.array([v in _HOSTILE for v in labels], dtype=np.int64)


def fit_community_tone(
    path: str | Path, *, trace: Trace | None = None, folds: int = 5, seed: int = 0
) -> CommunityTone:
    """Adapt the shipped hostility or polarity model to a community's hand-coded labels.

    Raises
    ------
    InputError
        On an unreadable file, unknown labels, or too few labelled texts with prose
        (at least ``folds`` of each class).
    """
    texts, labels = read_labels(path, trace)
    measure, y_all = _classes(labels, str(path))
    prepared = tone_text(texts)
    keep = pc.is_valid(prepared).to_numpy(zero_copy_only=False)
    y = y_all[keep]
    prose = prepared.filter(pa.array(keep))
    k = 2 if measure == "hostility" else 3
    counts = np.bincount(y, minlength=k)
    if counts.min() < folds:
        raise InputError(
            f"{path}: each label needs at least {folds} texts with prose; counts {counts.tolist()}"
        )
    prior = shipped_model(measure)
    x = tone_features(prose).matrix()
    compound = vader_scores(prose).column("compound").to_numpy()
    best: tuple[float, float, np.ndarray] = (-np.inf, L2_GRID[0], np.zeros((0, k)))
    for l2 in L2_GRID:
        oof = cross_validated(x, y, prior.classes, l2=l2, folds=folds, seed=seed, prior=prior)
        value = auc(oof[:, 1], y) if measure == "hostility" else macro_f1(oof.argmax(axis=1), y, 3)
        if value > best[0]:
            best = (value, l2, oof)
    _, l2, oof = best
    shipped = prior.probabilities_matrix(x)
    figures: dict[str, Any] = {"l2": l2, "folds": folds, "n": int(y.size)}
    if measure == "hostility":
        threshold = best_threshold(oof[:, 1], y, beta=0.5)
        figures["adapted_cv"] = binary_figures(oof[:, 1], y, threshold)
        figures["shipped"] = binary_figures(shipped[:, 1], y, prior.threshold_)
        figures["vader_rule"] = binary_figures(-compound, y, 0.5)
    else:
        negative = (y == 2).astype(np.int64)
        threshold = best_threshold(oof[:, 2], negative, beta=0.5)
        vader = np.where(compound >= 0.05, 0, np.where(compound <= -0.05, 2, 1))
        figures["adapted_cv"] = {"macro_f1": macro_f1(oof.argmax(axis=1), y, 3)}
        figures["adapted_cv"].update(binary_figures(oof[:, 2], negative, threshold))
        figures["shipped"] = {"macro_f1": macro_f1(shipped.argmax(axis=1), y, 3)}
        figures["vader_rule"] = {"macro_f1": macro_f1(vader, y, 3)}
    model = ToneModel(prior.classes, l2=l2).fit_matrix(x, y, prior=prior)
    model.threshold_ = threshold
    source = Path(path).name
    cv = figures["adapted_cv"]
    model.validity_ = {
        "measure": f"{measure} (community labels)",
        "training_data": f"the community's own labels in {source} (n={y.size}), adapting the "
        f"shipped model ({prior.validity_.get('training_data', 'shipped model')})",
        "threshold": threshold,
        "cv": cv,
        "shipped_on_labels": figures["shipped"],
        "vader_on_labels": figures["vader_rule"],
    }
    if measure == "polarity":
        model.validity_["cv_macro_f1"] = cv["macro_f1"]
        model.validity_["vader_test_macro_f1"] = figures["vader_rule"]["macro_f1"]
    return CommunityTone(
        measure=measure,
        model=model,
        figures=figures,
        n_labels=len(labels),
        n_without_prose=int((~keep).sum()),
    )
