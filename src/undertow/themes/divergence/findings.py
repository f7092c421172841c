"""Finding of T7: the community's words diverged from the official line at a date."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from undertow.themes.decision import Decision, severity_for
from undertow.themes.divergence.workarounds import MIN_ADOPTERS, TOP_TERMS
from undertow.themes.registry import Finding, Results, finding_rule
from undertow.themes.wording import count, p_text

__all__ = ["divergence_shift", "practice_divergence", "straddle_windows"]

#: Months compared on each side of a candidate date.
WINDOW_MONTHS = 6
_PERMUTATIONS = 2000


def straddle_windows(periods: np.ndarray, candidate: int) -> tuple[int, int]:
    """Where the months before ``candidate`` end and the months after it start (indices).

    ``periods`` are sorted month starts. A candidate on a month start splits the series
    there; a candidate inside a month leaves that month out of both sides, because the
    month is compared with the reference valid at its end (the new one) while it holds
    the messages of both regimes.

    Examples
    --------
    >>> import numpy as np
    >>> months = np.array([0, 10, 20, 30])
    >>> straddle_windows(months, 20), straddle_windows(months, 24)
    ((2, 2), (2, 3))
    """
    after_start = int(np.searchsorted(periods, candidate, side="left"))
    inside = after_start > 0 and (after_start == periods.size or periods[after_start] != candidate)
    return (after_start - 1 if inside else after_start), after_start


def divergence_shift(
    periods: np.ndarray, jsd: np.ndarray, candidates: np.ndarray, *, seed: int = 0
) -> tuple[int, float, float]:
    """The candidate after which divergence rose most (its index), the rise, and a p-value.

    The rise at a candidate is the mean divergence of the ``WINDOW_MONTHS`` months from
    it minus the mean of the months before it; the p-value compares the largest rise
    with the largest rise in series whose months were shuffled. A month that straddles
    the candidate (the date falls inside it) is in neither window: its divergence is
    measured against the new reference while most of its messages predate it
    (:func:`straddle_windows`).

    Examples
    --------
    >>> import numpy as np
    >>> periods = np.arange(12)
    >>> jsd = np.r_[np.full(6, 0.2), np.full(6, 0.6)]
    >>> best, rise, p = divergence_shift(periods, jsd, periods)
    >>> int(periods[best]), round(rise, 2), p < 0.05
    (6, 0.4, True)
    """

    def rises(values: np.ndarray) -> np.ndarray:
        out = np.full((values.shape[0], candidates.size), -np.inf)
        for j, candidate in enumerate(candidates):
            # One pass per candidate date (a handful of document versions or months).
            before_end, after_start = straddle_windows(periods, int(candidate))
            before = values[:, max(0, before_end - WINDOW_MONTHS) : before_end]
            after = values[:, after_start : after_start + WINDOW_MONTHS]
            if before.shape[1] >= 2 and after.shape[1] >= 2:
                out[:, j] = after.mean(axis=1) - before.mean(axis=1)
        return out

    observed = rises(jsd[None, :])[0]
    if not np.isfinite(observed).any():
        return -1, float("nan"), float("nan")
    best = int(np.argmax(observed))
    rng = np.random.default_rng(seed)
    shuffled = np.array([rng.permutation(jsd) for _ in range(_PERMUTATIONS)])
    null = rises(shuffled).max(axis=1)
    p_value = float((1 + np.sum(null >= observed[best] - 1e-12)) / (_PERMUTATIONS + 1))
    return best, float(observed[best]), p_value


@finding_rule(theme="divergence")
def practice_divergence(results: Results) -> list[Finding]:
    """The community's vocabulary moved away from the official documents at a date."""
    table = results.get("doc_divergence")
    if table is None or table.num_rows < 6:
        return []
    # Months resting on fewer than k people arrive suppressed (null): they are left out.
    table = table.filter(pc.is_finite(table.column("jsd")).fill_null(False))
    if table.num_rows < 6:
        return []
    table = table.sort_by("period")
    periods = table.column("period").cast(pa.int64()).to_numpy(zero_copy_only=False)
    jsd = table.column("jsd").to_numpy(zero_copy_only=False).astype(np.float64)
    trace = results.trace
    if trace.has("documents"):
        starts = trace.arrow("documents").column("valid_from").drop_null().cast(pa.int64())
        candidates = np.unique(starts.to_numpy())
    else:
        candidates = periods
    candidates = candidates[(candidates > periods[0]) & (candidates <= periods[-1])]
    if candidates.size == 0:
        return []
    best, rise, p_value = divergence_shift(periods, jsd, candidates)
    if best < 0 or not math.isfinite(p_value):
        return []
    moment = pa.array([int(candidates[best])], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    at = moment[0].as_py().date().isoformat()
    workarounds = results.get("workaround_vocabulary")
    terms = workarounds.num_rows if workarounds is not None else 0
    before_end, after_start = straddle_windows(periods, int(candidates[best]))
    months_before = jsd[max(0, before_end - WINDOW_MONTHS) : before_end]
    months_after = jsd[after_start : after_start + WINDOW_MONTHS]
    before, after = float(months_before.mean()), float(months_after.mean())
    # Months as the resampled blocks: Welch's interval for the difference of the means.
    se = math.sqrt(
        months_before.var(ddof=1) / months_before.size
        + months_after.var(ddof=1) / months_after.size
    )
    half = float(stats.t.ppf(0.975, min(months_before.size, months_after.size) - 1)) * se
    decision = Decision(
        test="permutation",
        null="months exchangeable (the largest rise over the candidate dates in shuffled series)",
        estimate=rise,
        ci_low=rise - half,
        ci_high=rise + half,
        p_value=p_value,
        n=int(table.num_rows),
        unit="months",
        n_smallest=int(min(months_before.size, months_after.size)),
    )
    severity = severity_for("practice_divergence", decision)
    return [
        Finding(
            theme="divergence",
            kind="practice_divergence",
            title="The community's words moved away from the official line",
            statement=(
                f"From {at}, the Jensen-Shannon divergence between the community's messages "
                f"and the official reference rose from {before:.2f} to {after:.2f} (0 = same "
                f"vocabulary, 1 = disjoint; mean of up to {WINDOW_MONTHS} months before and "
                f"after; permutation {p_text(p_value)})"
                + (
                    f"; {'at least ' if terms >= TOP_TERMS else ''}"
                    f"{count(terms, 'term')} absent from the official documents "
                    f"{'is' if terms == 1 else 'are each'} used by {MIN_ADOPTERS} or more people."
                    if terms
                    else "."
                )
            ),
            severity=severity,
            n=int(table.num_rows),
            effect=rise * 5,
            confidence=1.0 - p_value,
            decision=decision,
            evidence=("divergence/doc_divergence", "divergence/workaround_vocabulary"),
            caveat="Vocabulary also shifts with topics and people; a divergence in words is a "
            "sign, not proof, of a divergence in practice.",
            estimate=rise,
            ci_low=decision.ci_low,
            ci_high=decision.ci_high,
            null_model="months shuffled (permutation)",
            at=at,
            direction="limits" if rise > 0 else "neutral",
        )
    ]
