"""The metric and finding registries: how a theme declares what it computes and concludes.

A **metric** is a pure function ``f(trace, *, seed=0) -> pyarrow.Table`` registered
with :func:`metric`. The decorator records what the metric needs (tables, or
``table.column`` pairs that must be non-null), the columns it returns, the paper it
comes from, and optionally how the report should chart it. The pipeline runs every
metric whose needs are met and skips the rest with the reason; the contract test
reads the same declarations.

A **finding rule** is a function ``rule(results) -> list[Finding]`` registered with
:func:`finding_rule`: it reads computed metric tables and states conclusions in plain
language, with numbers, uncertainty, ``n`` and a caveat.

Conventions for metric tables
-----------------------------
- Every table has an ``n`` column: the number of units (threads, people, messages)
  the row's estimate rests on.
- Group-level rows (one row per group of people) carry ``n_people``; the pipeline
  suppresses rows with ``n_people < k`` (small-cell suppression).
- Person columns hold pseudonyms only and end in ``_id`` (``person_id``).
- Estimates with uncertainty use ``<name>``, ``<name>_lo``, ``<name>_hi``.
- Times are UTC timestamps (``*_at``, ``week``, ``period``).
- Other columns that count people (``n_founders``, a weekly count of newcomers) are
  declared with ``people=``; sets of rows that add up to a known total with ``sums=``;
  dates of one person's role events with ``role_dates=``. The pipeline coarsens all
  three in shareable outputs (:mod:`undertow.diagnosis.privacy`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pyarrow as pa

from undertow.model.observation import FACTS
from undertow.model.schema import TABLES
from undertow.model.trace import Trace

if TYPE_CHECKING:
    from undertow.themes.decision import Decision

__all__ = [
    "FINDING_RULES",
    "REGISTRY",
    "SEVERITIES",
    "THEMES",
    "Chart",
    "Finding",
    "FindingRule",
    "MetricSkipped",
    "MetricSpec",
    "PeopleCount",
    "Results",
    "RowSum",
    "Theme",
    "finding_rule",
    "metric",
]

Theme = Literal[
    "knowledge",
    "timing",
    "leadership",
    "formal_vs_emergent",
    "dominance",
    "emotion_work",
    "novices_masters",
    "divergence",
    "synthesis",
]

#: Themes in report order, with their headings.
THEMES: dict[str, str] = {
    "synthesis": "Where is power limiting knowledge creation?",
    "knowledge": "Knowledge creation",
    "timing": "T1 · Timing of the community's development",
    "leadership": "T2 · Leaders and managers",
    "formal_vs_emergent": "T3 · The emergent community and the formal organisation",
    "dominance": "T4 · Dominant actors",
    "emotion_work": "T5 · Emotional containment and emotion work",
    "novices_masters": "T6 · Novices and masters",
    "divergence": "T7 · Practice diverging from the organisation",
}

Severity = Literal["info", "low", "moderate", "severe"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "moderate", "severe")

ChartKind = Literal[
    "lorenz", "line", "bar", "errorbar", "survival", "network", "timeline", "scatter"
]


class MetricSkipped(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised by a metric whose inputs are present but unusable; carries the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Chart:
    """How the report draws a metric table.

    Attributes
    ----------
    kind
        ``lorenz`` (x = cumulative share of people, y = cumulative share of messages),
        ``line`` (x time or number, y value, one line per ``group``), ``bar``,
        ``errorbar`` (y with ``lo``/``hi``), ``survival`` (step curves per ``group``
        with ``lo``/``hi`` bands), ``network`` (nodes/edges table, see report docs),
        ``timeline`` (line plus vertical ``marks`` from another metric), ``scatter``.
    x, y
        Columns for the axes.
    group
        Column splitting the data into series.
    lo, hi
        Columns with the confidence band.
    marks
        ``"metric_name:column"`` whose values are drawn as vertical markers
        (change points, appointments).
    title
        Caption under the chart.
    """

    kind: ChartKind
    x: str
    y: str
    group: str | None = None
    lo: str | None = None
    hi: str | None = None
    marks: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class PeopleCount:
    """A column that counts people, in every row or only where ``where`` holds.

    Attributes
    ----------
    column
        The counting column.
    where
        ``(column, values)``: the count is of people only in rows whose ``column``
        is one of ``values`` (e.g. a weekly ``value`` of the ``newcomers`` series).
    covers
        Columns of statistics resting on the people counted (the share of support
        the ``n_carers`` carers give): hidden with a hidden count.
    """

    column: str
    where: tuple[str, tuple[str, ...]] | None = None
    covers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowSum:
    """Rows whose numbers add up to a total a reader knows or can find.

    Attributes
    ----------
    over
        The column labelling the cells that add up (rows agreeing on every other
        label column form one sum). A time column sums within calendar quarters
        (quarterly totals such as cohort sizes are published elsewhere).
    labels
        Only the rows with these ``over`` labels add up (``core`` + ``periphery``);
        empty: every label.
    where
        ``(column, values)``: only rows whose ``column`` is one of ``values`` add up.
    """

    over: str
    labels: tuple[str, ...] = ()
    where: tuple[str, tuple[str, ...]] | None = None


class MetricFunction(Protocol):
    """The call signature of a registered metric."""

    def __call__(self, trace: Trace, *, seed: int = 0) -> pa.Table:  # noqa: D102
        ...


@dataclass(frozen=True)
class MetricSpec:
    """A registered metric: the function and its declaration."""

    name: str
    theme: Theme
    func: MetricFunction
    requires: tuple[str, ...]
    columns: tuple[str, ...]
    source: str
    description: str
    chart: Chart | None = None
    seeded: bool = False
    observes: tuple[str, ...] = ()
    people: tuple[PeopleCount, ...] = ()
    sums: tuple[RowSum, ...] = ()
    role_dates: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``theme/name``: where the table is written (``metrics/<theme>/<name>.parquet``)."""
        return f"{self.theme}/{self.name}"

    @property
    def share_columns(self) -> tuple[str, ...]:
        """Columns that hold proportions (in [0, 1]): ``*_share`` and their interval bounds.

        A share is a part of a whole by the naming convention; the contract test checks
        every registered metric's shares lie in [0, 1].
        """
        return tuple(
            c
            for c in self.columns
            if c.endswith(("_share", "_share_lo", "_share_hi")) and not c.startswith("excess_")
        )

    def missing(self, trace: Trace) -> str | None:
        """The first unmet requirement's reason on ``trace``, or ``None``.

        Tables and columns (``requires``) come first, then the observation facts
        (``observes``): a fact the trace's sources cannot show is named with the reason.
        """
        for requirement in self.requires:
            reason = trace.missing(requirement)
            if reason is not None:
                return reason
        for fact in self.observes:
            reason = trace.lacks(fact)
            if reason is not None:
                return f"the source cannot observe {fact}: {reason}"
        return None

    def __call__(self, trace: Trace, *, seed: int = 0) -> pa.Table:
        """Run the metric and check the declared columns are present."""
        table = self.func(trace, seed=seed)
        absent = [c for c in self.columns if c not in table.column_names]
        if absent:
            raise RuntimeError(f"metric {self.key} did not return declared column(s) {absent}")
        return table


#: Every registered metric by name (names are unique across themes).
REGISTRY: dict[str, MetricSpec] = {}


def metric(
    *,
    theme: Theme,
    columns: Sequence[str],
    source: str,
    requires: Iterable[str] = ("messages",),
    chart: Chart | None = None,
    seeded: bool = False,
    observes: Iterable[str] = (),
    people: Iterable[str | PeopleCount] = (),
    sums: Iterable[str | RowSum] = (),
    role_dates: Iterable[str] = (),
) -> Callable[[Callable[..., pa.Table]], Callable[..., pa.Table]]:
    """Register a metric function.

    Parameters
    ----------
    theme
        The theme the metric belongs to.
    columns
        Columns the returned table always has (also when the trace is empty);
        must include ``n``.
    source
        The paper or tool the definition comes from (for the methods appendix).
    requires
        Tables (``"roles"``) or ``"table.column"`` pairs that must be present
        and non-empty; otherwise the pipeline skips the metric with the reason.
    chart
        How the report draws the table, if at all.
    seeded
        Whether the table depends on ``seed`` (bootstraps, permutations, sampling). An
        unseeded metric gives the same table under every seed; the contract test checks
        both declarations.
    observes
        Observation facts (``undertow.model.observation.FACTS``: ``rejections``,
        ``conversation``, ``reply_links``, ``appointments``) the quantity needs the
        source to have recorded; when the trace's observation model lacks one, the
        pipeline skips the metric and names the fact and why it is missing.
    people
        Columns (besides ``n_people``) that count people: in shareable outputs a count
        of 1 to k-1 is hidden (:func:`undertow.diagnosis.privacy.suppress_small_cells`).
    sums
        Sets of rows that add up to a known total (a label column, or a
        :class:`RowSum`); a hidden cell in one gets a complement hidden with it.
        Undeclared: the rows sharing every time and label column but the most varied one.
    role_dates
        Date columns holding one person's role events (appointments, role ends),
        shown to the month in shareable outputs.
    """
    requires = tuple(requires)
    people_counts = tuple(p if isinstance(p, PeopleCount) else PeopleCount(p) for p in people)
    row_sums = tuple(r if isinstance(r, RowSum) else RowSum(r) for r in sums)
    role_dates = tuple(role_dates)
    declared = [c for p in people_counts for c in (p.column, *p.covers)]
    for column in declared + [r.over for r in row_sums] + list(role_dates):
        if column not in columns:
            raise ValueError(f"privacy declaration names undeclared column {column!r}")
    observes = tuple(observes)
    for fact in observes:
        if fact not in FACTS:
            raise ValueError(f"unknown observation fact {fact!r}")
    for requirement in requires:
        table_name = requirement.partition(".")[0]
        if table_name not in TABLES:
            raise ValueError(f"unknown requirement {requirement!r}")
    if "n" not in columns:
        raise ValueError("a metric table must carry an 'n' column")

    def register(func: Callable[..., pa.Table]) -> Callable[..., pa.Table]:
        name = func.__name__
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"metric {name!r} is registered twice")
        parameters = inspect.signature(func).parameters
        if (
            "seed" not in parameters
            or parameters["seed"].kind is not inspect.Parameter.KEYWORD_ONLY
        ):
            raise TypeError(f"metric {name!r} must take a keyword-only 'seed' parameter")
        doc = inspect.getdoc(func) or ""
        REGISTRY[name] = MetricSpec(
            name=name,
            theme=theme,
            func=func,
            requires=requires,
            columns=tuple(columns),
            source=source,
            description=doc.splitlines()[0] if doc else name,
            chart=chart,
            seeded=seeded,
            observes=observes,
            people=people_counts,
            sums=row_sums,
            role_dates=role_dates,
        )
        return func

    return register


@dataclass(frozen=True)
class Finding:
    """One conclusion of the diagnosis.

    Attributes
    ----------
    theme
        The theme the finding belongs to.
    kind
        Machine-readable key of the pattern (``dominant_actor``, ``chilling_leader``,
        ``gatekeeping``, ``uncontained_emotion``, ``divergence``, ``formalisation_shock``, ...).
    title, statement
        A short headline and a plain-language sentence or two with the numbers.
    severity
        ``info``, ``low``, ``moderate`` or ``severe``.
    n
        Units the finding rests on.
    estimate, ci_low, ci_high
        The headline number and its confidence interval (if any).
    null_model
        How the estimate compares to a null model, in words (if any).
    effect
        Size of the effect on a common scale (e.g. |log odds ratio|, standardised
        difference), used for ranking.
    confidence
        0-1: how sure we are (e.g. 1 - p-value, or whether the CI excludes no effect).
    evidence
        Metric keys (``theme/name``) the finding rests on.
    caveat
        What could make the finding wrong.
    subjects
        Pseudonyms the finding is about (never real names).
    at
        ISO date the finding is anchored to (appointments, change points), if any.
    direction
        ``limits`` if power limits knowledge creation here, ``supports`` if it helps,
        ``neutral`` otherwise.
    decision
        The declared test the finding comes from (estimate, interval, p, n; the run's
        q-value once the diagnosis has adjusted the family). See
        :mod:`undertow.themes.decision`.
    """

    theme: Theme
    kind: str
    title: str
    statement: str
    severity: Severity
    n: int
    effect: float
    confidence: float
    evidence: tuple[str, ...]
    caveat: str
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    null_model: str | None = None
    subjects: tuple[str, ...] = ()
    at: str | None = None
    direction: Literal["limits", "supports", "neutral"] = "neutral"
    details: Mapping[str, Any] = field(default_factory=dict)
    decision: Decision | None = None

    @property
    def p_value(self) -> float | None:
        """The p-value of the finding's test (None for a descriptive finding)."""
        return self.decision.p_value if self.decision is not None else None

    @property
    def q_value(self) -> float | None:
        """The Benjamini–Hochberg q-value across the run (None until adjusted)."""
        return self.decision.q_value if self.decision is not None else None

    @property
    def rank_score(self) -> float:
        """Effect size × confidence: the order findings are listed in."""
        return abs(self.effect) * self.confidence


class Results(Protocol):
    """Computed metric tables by metric name, as finding rules see them."""

    def get(self, name: str) -> pa.Table | None:
        """The table of metric ``name``, or ``None`` if it was skipped."""
        ...

    @property
    def trace(self) -> Trace:
        """The trace the metrics were computed on."""
        ...


FindingRule = Callable[[Results], list[Finding]]

#: Finding rules by theme, in registration order.
FINDING_RULES: dict[str, list[FindingRule]] = {}


def finding_rule(*, theme: Theme) -> Callable[[FindingRule], FindingRule]:
    """Register a function that turns computed metric tables into findings."""

    def register(func: FindingRule) -> FindingRule:
        rules = FINDING_RULES.setdefault(theme, [])
        if func not in rules:
            rules.append(func)
        return func

    return register


def specs_by_theme() -> Mapping[str, list[MetricSpec]]:
    """Registered metrics grouped by theme, sorted by name."""
    grouped: dict[str, list[MetricSpec]] = {}
    for spec in sorted(REGISTRY.values(), key=lambda s: (s.theme, s.name)):
        grouped.setdefault(spec.theme, []).append(spec)
    return grouped
