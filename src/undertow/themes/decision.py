"""The decision layer: the declared test behind every finding, its severity, and FDR control.

A finding rule does not decide on its own whether a pattern is worth raising. It
states a :class:`Decision`: which declared test was run (a permutation or rewiring of
who replies to whom, placebo dates from the same community, a cluster bootstrap), the
null that test stands for, the estimate with its 95% interval, the p-value and the
``n`` it rests on. Then

1. :func:`severity_for` maps the effect and its interval to a severity through the
   kind's :class:`Threshold` (the practical size of an effect and the information it
   needs), the same way for every kind, and
2. the diagnosis runs :func:`benjamini_hochberg` over every decision of the run and
   does not raise findings whose q-value exceeds :data:`FDR_LEVEL`
   (``undertow.diagnosis.findings``).

Every constant that decides a finding is in :data:`THRESHOLDS` (or named at the top of
this module), with its rationale; ``docs/decisions.md`` lists them.

Severity mapping (effects are oriented so that larger means more concern). An effect
counts as practically relevant only when its whole 95% interval lies beyond the
smallest effect size of interest, the *practical* threshold (a minimum-effect test;
Lakens, Scheel & Isager 2018):

- ``info``: the minimum-information rule fails (fewer units than the kind needs), or
  the interval reaches back to effects smaller than the practical threshold, or the
  kind cannot show harm by its design (its :attr:`Threshold.ceiling`);
- ``low``: the whole interval is beyond the practical threshold;
- ``moderate``: so is the interval, and the estimate is beyond the *large* threshold;
- ``severe``: the whole interval is beyond the large threshold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

from undertow.features.bootstrap import clopper_pearson_interval, wilson_interval

__all__ = [
    "FDR_LEVEL",
    "THRESHOLDS",
    "Decision",
    "Severity",
    "Threshold",
    "benjamini_hochberg",
    "clopper_pearson_interval",
    "holm",
    "permutation_p",
    "severity_for",
    "wald_p",
    "wilson_interval",
]

#: False-discovery rate controlled across every decision test of a run
#: (Benjamini & Hochberg 1995): the conventional 5%.
FDR_LEVEL = 0.05

_Z95 = 1.959963984540054

Severity = Literal["info", "low", "moderate", "severe"]

#: Severities from least to most concern.
SEVERITY_ORDER: tuple[Severity, ...] = ("info", "low", "moderate", "severe")

TestKind = Literal[
    "rewiring", "permutation", "placebo", "cluster_bootstrap", "exact", "model", "estimate"
]


@dataclass(frozen=True)
class Decision:
    """The declared test a finding comes from.

    Attributes
    ----------
    test
        What kind of test: ``rewiring`` (who replies to whom reassigned under a null),
        ``permutation`` (labels or periods shuffled), ``placebo`` (the same statistic at
        placebo dates of the same community, or for placebo people: members of similar
        activity who hold no role), ``cluster_bootstrap`` (thread or person
        resampling; the p-value is the Wald test with the bootstrap standard error),
        ``exact`` (Fisher, binomial), ``model`` (a regression's Wald test) or
        ``estimate`` (a descriptive estimate with an interval; no null, no p-value,
        never above ``info``).
    null
        The null hypothesis in words.
    estimate, ci_low, ci_high
        The effect on the kind's scale and its 95% interval.
    p_value
        The test's p-value (``None`` only for ``test == "estimate"``).
    n
        Units the test rests on.
    unit
        What ``n`` counts (``threads``, ``replies``, ``people``, ``weeks`` ...).
    n_smallest
        Units in the smallest group compared (threads with a leader, episodes ...),
        for the minimum-information rule; ``n`` when there is one group.
    q_value
        The Benjamini–Hochberg q-value across the run's family (set by the diagnosis).
    family_size
        Decision tests in the run's family (set by the diagnosis).
    """

    test: TestKind
    null: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None
    n: int
    unit: str
    n_smallest: int | None = None
    q_value: float | None = None
    family_size: int | None = None

    def __post_init__(self) -> None:
        """Reject decisions a finding could not honestly stand on."""
        if self.test != "estimate" and self.p_value is None:
            raise ValueError(f"a {self.test} decision needs a p-value")
        if self.p_value is not None and not 0.0 <= self.p_value <= 1.0:
            raise ValueError(f"p-value {self.p_value} outside [0, 1]")
        if not self.ci_low <= self.estimate <= self.ci_high:
            raise ValueError(
                f"estimate {self.estimate} outside its interval [{self.ci_low}, {self.ci_high}]"
            )

    @property
    def tested(self) -> bool:
        """Whether the decision is a test (in the run's family), not a bare estimate."""
        return self.p_value is not None

    def with_q(self, q_value: float, family_size: int) -> Decision:
        """The same decision with its q-value and the family it was adjusted in."""
        return replace(self, q_value=q_value, family_size=family_size)


@dataclass(frozen=True)
class Threshold:
    """What a kind's effect must reach, and the information it needs, to be raised.

    Attributes
    ----------
    scale
        The effect's scale, in words.
    practical
        Smallest effect that matters in practice (moderate when the whole interval is
        beyond it).
    large
        A large effect (severe when the whole interval is beyond it).
    min_n
        Minimum information: below this many units (``n``) nothing above ``info``.
    min_group
        Minimum information in the smallest group compared (``n_smallest``).
    rationale
        Why these values (and the citation, where a convention exists).
    ceiling
        The highest severity the kind can carry: ``info`` for measures that describe
        power without showing that it limits knowledge creation (an unadjusted
        comparison, a sign of deference).
    """

    scale: str
    practical: float
    large: float
    min_n: int
    min_group: int
    rationale: str
    ceiling: Severity = "severe"


#: Cohen's (1988) conventions for standardised differences, and Chen, Cohen & Chen
#: (2010) for odds ratios (equivalent to Cohen's d = 0.2 / 0.5 at a 1% base rate).
_COHEN = "Cohen (1988): d = 0.2 small, 0.5 medium, 0.8 large"
_CHEN = "Chen, Cohen & Chen (2010): OR 1.68 small, 3.47 medium, 6.71 large"

#: Practical thresholds and minimum information per finding kind.
THRESHOLDS: dict[str, Threshold] = {
    "dominant_actor": Threshold(
        scale="the top recipient's share of replies minus the largest share expected when "
        "people are exchangeable (rewiring null)",
        practical=0.05,
        large=0.15,
        min_n=200,
        min_group=50,
        rationale="5 points of all replies above what the next busiest people receive is a "
        "hub others must go through; 15 points means one person stands between the "
        "community and most of its answers. 200 replies, 50 to the person, before the share "
        "of one person is read at all.",
    ),
    "chilling_leader": Threshold(
        scale="drop in new non-leader participants per thread (or in the follow-up rate, "
        "scaled by 2) after a leader's first message, vs leaderless threads, beyond the same "
        "drop of activity-matched members without a role and of the leader before the role",
        practical=0.2,
        large=0.5,
        min_n=40,
        min_group=20,
        rationale="0.2 participants per thread is one person fewer in every fifth thread; "
        "half a person per thread is large. 20 threads with the leader and 20 without "
        "before a person is named.",
    ),
    "centralising_leader": Threshold(
        scale="change in degree centralisation of the reply network (0-1) after an "
        "appointment, vs placebo dates",
        practical=0.05,
        large=0.15,
        min_n=50,
        min_group=20,
        rationale="Freeman centralisation moves by a few hundredths week to week; 0.05 is "
        "a visible re-centring, 0.15 a network reorganised around one person. 50 reply ties "
        "and 20 placebo dates.",
    ),
    "formalisation_shock": Threshold(
        scale="level change of a weekly series at the appointment, in pre-period SDs",
        practical=0.5,
        large=1.0,
        min_n=26,
        min_group=8,
        rationale=_COHEN + " (medium and beyond large for 1.0). Half a year of weeks, 8 on "
        "each side of the date.",
    ),
    "gatekeeping": Threshold(
        scale="excess share of hostile first replies to newcomers (proportion points) over "
        "everyone else's; for the community-wide comparison, log odds ratio",
        practical=0.1,
        large=0.2,
        min_n=40,
        min_group=10,
        rationale="10 points more hostile first replies is one newcomer in ten met worse "
        "than by others; 20 points is large. 10 first replies by the person.",
    ),
    "gatekeeping_odds": Threshold(
        scale="log odds ratio of a novice's message being met with hostility or ignored, "
        "vs a master's",
        practical=math.log(1.68),
        large=math.log(3.47),
        min_n=100,
        min_group=20,
        rationale=_CHEN + "; 20 messages in each group. Strata control only for message "
        "kind and year (novices may ask harder questions), so at most moderate.",
        ceiling="moderate",
    ),
    "newcomers_ignored": Threshold(
        scale="return rate of replied newcomers minus ignored newcomers (proportion points)",
        practical=0.05,
        large=0.15,
        min_n=50,
        min_group=20,
        rationale="Joyce & Kraut (2006) found replies raised return by about 12 points; 5 "
        "points is a practical loss, 15 large. 20 ignored and 20 replied newcomers.",
    ),
    "emotion_work_concentrated": Threshold(
        scale="Gini of supportive replies minus Gini of messages across repliers",
        practical=0.1,
        large=0.25,
        min_n=50,
        min_group=10,
        rationale="Gini differences of 0.1 separate visibly different Lorenz curves; 0.25 "
        "means support is far more concentrated than talk. 50 supportive replies from at "
        "least 10 repliers.",
    ),
    "uncontained_emotion": Threshold(
        scale="containment rate after comparable non-episode messages of the same threads "
        "minus the rate after emotional episodes (positive when distress is contained less "
        "often than ordinary messages are)",
        practical=0.05,
        large=0.15,
        min_n=30,
        min_group=30,
        rationale="Containment follows a few percent of ordinary messages in technical "
        "communities; distress answered 5 points less often than they are (practical) is "
        "support visibly withheld from it, 15 points (large) support going mostly elsewhere. "
        "30 episodes and 30 comparable messages before the rates are compared.",
    ),
    "uptake_gap": Threshold(
        scale="uptake rate of leaders' (core members') contributions minus others'",
        practical=0.1,
        large=0.2,
        min_n=60,
        min_group=30,
        rationale="Cohen's h of about 0.2 (small) at mid-range rates is 10 points; 20 points "
        "is about h = 0.4. 30 contributions per group. Unadjusted (leaders and core members "
        "may simply contribute better), so never above info: the status-conditioned uptake "
        "model carries the controls.",
        ceiling="info",
    ),
    "unit_silos": Threshold(
        scale="E-I index below its permutation null mean (index points, -1 to 1)",
        practical=0.1,
        large=0.3,
        min_n=50,
        min_group=10,
        rationale="An E-I index 0.1 below chance is one tie in twenty moved inside units; "
        "0.3 below is a siloed organisation (Krackhardt & Stern 1988). 50 ties, 10 people.",
    ),
    "practice_divergence": Threshold(
        scale="rise in Jensen-Shannon divergence between messages and the official "
        "documents (0-1) after a date",
        practical=0.05,
        large=0.15,
        min_n=12,
        min_group=6,
        rationale="Monthly JSD fluctuates by about 0.02 between months of the same vocabulary; "
        "0.05 is a shift, 0.15 a different vocabulary. A year of months, 6 on each side.",
    ),
    "deference_to_power": Threshold(
        scale="coordination toward leaders minus toward peers",
        practical=0.01,
        large=0.03,
        min_n=10,
        min_group=10,
        rationale="Danescu-Niculescu-Mizil et al. (2012) report power gaps of 0.01-0.03 in "
        "coordination. Deference describes power; it does not show that power limits "
        "knowledge creation, so it is never above info.",
        ceiling="info",
    ),
    "power_limits_knowledge": Threshold(
        scale="log odds ratio of a thread reaching an outcome (inverted: larger = fewer outcomes)",
        practical=math.log(1.68),
        large=math.log(3.47),
        min_n=200,
        min_group=50,
        rationale=_CHEN + "; 50 outcome events (about 10 per model term).",
    ),
}


def severity_for(kind: str, decision: Decision, *, concern: float = 1.0) -> Severity:
    """The severity of a decision under its kind's :class:`Threshold`.

    Parameters
    ----------
    kind
        Key in :data:`THRESHOLDS`.
    decision
        The decision (estimate and interval on the kind's scale).
    concern
        ``+1`` when larger values mean more concern, ``-1`` when smaller ones do
        (a drop); the estimate and interval are multiplied by it first.

    Examples
    --------
    >>> d = Decision(test="cluster_bootstrap", null="no difference", estimate=0.3,
    ...              ci_low=0.25, ci_high=0.35, p_value=0.001, n=100, unit="threads")
    >>> severity_for("newcomers_ignored", d)
    'severe'
    >>> severity_for("newcomers_ignored", replace(d, ci_low=0.1))
    'moderate'
    >>> severity_for("newcomers_ignored", replace(d, estimate=0.1, ci_low=0.06))
    'low'
    >>> severity_for("newcomers_ignored", replace(d, ci_low=0.01))
    'info'
    >>> severity_for("newcomers_ignored", replace(d, n=10))
    'info'
    """
    threshold = THRESHOLDS[kind]
    if not decision.tested:
        return "info"
    smallest = decision.n if decision.n_smallest is None else decision.n_smallest
    if decision.n < threshold.min_n or smallest < threshold.min_group:
        return "info"
    point = concern * decision.estimate
    bound = min(concern * decision.ci_low, concern * decision.ci_high)
    if not (math.isfinite(point) and math.isfinite(bound)) or bound < threshold.practical:
        return "info"
    severity: Severity = "low"
    if bound >= threshold.large:
        severity = "severe"
    elif point >= threshold.large:
        severity = "moderate"
    ceiling = SEVERITY_ORDER.index(threshold.ceiling)
    return SEVERITY_ORDER[min(SEVERITY_ORDER.index(severity), ceiling)]


def wald_p(
    estimate: float,
    low: float,
    high: float,
    *,
    null: float = 0.0,
    alternative: Literal["two-sided", "greater", "less"] = "two-sided",
) -> float:
    """p-value of ``estimate`` against ``null`` with the standard error of a 95% interval.

    For bootstrap intervals this is the Wald test with the bootstrap standard error
    (Efron & Tibshirani 1993, §16); NaN when the interval has no width.

    Examples
    --------
    >>> round(wald_p(0.2, 0.1, 0.3), 4)
    0.0001
    >>> round(wald_p(0.2, 0.1, 0.3, alternative="less"), 3)
    1.0
    """
    se = (high - low) / (2 * _Z95)
    if not (se > 0 and math.isfinite(se) and math.isfinite(estimate)):
        return float("nan")
    z = (estimate - null) / se
    if alternative == "greater":
        return float(stats.norm.sf(z))
    if alternative == "less":
        return float(stats.norm.cdf(z))
    return float(min(1.0, 2 * stats.norm.sf(abs(z))))


def permutation_p(
    observed: float,
    null: npt.ArrayLike,
    *,
    alternative: Literal["greater", "less", "two-sided"] = "greater",
) -> float:
    """Monte-Carlo p-value ``(1 + #{null at least as extreme}) / (1 + B)`` (Phipson & Smyth 2010).

    Examples
    --------
    >>> permutation_p(5.0, [1.0, 2.0, 6.0])
    0.5
    >>> permutation_p(0.0, [1.0, 2.0, 3.0], alternative="less")
    0.25
    """
    draws = np.asarray(null, dtype=np.float64)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0 or not math.isfinite(observed):
        return float("nan")
    tolerance = 1e-12 * max(1.0, abs(observed))
    if alternative == "greater":
        extreme = int(np.sum(draws >= observed - tolerance))
    elif alternative == "less":
        extreme = int(np.sum(draws <= observed + tolerance))
    else:
        centre = float(np.mean(draws))
        extreme = int(np.sum(np.abs(draws - centre) >= abs(observed - centre) - tolerance))
    return float((1 + extreme) / (1 + draws.size))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg (1995) step-up q-values, in the input order.

    ``q_i = min_{j >= i} (m p_(j) / j)`` over the sorted p-values, capped at 1; a test
    is a discovery at level ``alpha`` when its q-value is at most ``alpha``.

    Examples
    --------
    >>> [round(q, 3) for q in benjamini_hochberg([0.01, 0.04, 0.03, 0.5])]
    [0.04, 0.053, 0.053, 0.5]
    >>> benjamini_hochberg([])
    []
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return [float(v) for v in q]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm (1979) step-down adjusted p-values, in the input order.

    For the tests of one claim made several times over (one roster's appointment
    dates, one person among several): the family-wise error of the claim is at most
    the level, whichever of the tests is reported. ``p_(i)`` is multiplied by
    ``m - i + 1`` over the sorted p-values, made monotone and capped at 1.

    Examples
    --------
    >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03, 0.5])]
    [0.04, 0.09, 0.09, 0.5]
    >>> holm([])
    []
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(p[order] * (m - np.arange(m)), 1.0)
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return [float(v) for v in adjusted]
