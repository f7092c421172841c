"""An agent-based community of practice with power politics (Mesa) that emits a trace.

:func:`simulate` runs a scenario and returns the canonical trace tables together with
the planted truth: who was made to do what, and when. Every metric, finding and the
report run unchanged on a simulated community, so they can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from undertow.engine import Engine
from undertow.model.trace import Trace
from undertow.simulate import scenarios as _scenarios
from undertow.simulate.emit import EPOCH_US
from undertow.simulate.model import DAY_US, CommunityModel
from undertow.simulate.scenarios import MECHANISMS, SCENARIOS, Scenario, scenario

__all__ = [
    "MEASURABLE",
    "MECHANISMS",
    "SCENARIOS",
    "FINDING_THEMES",
    "Scenario",
    "SimulationResult",
    "knowledge_creation",
    "scenario",
    "simulate",
]

#: The theme whose findings should report each planted kind.
FINDING_THEMES = {
    "dominant_actor": "dominance",
    "centralising_leader": "leadership",
    "formalisation_shock": "timing",
    "gatekeeping": "novices_masters",
    "emotion_work_concentrated": "emotion_work",
    "uncontained_emotion": "emotion_work",
    "practice_divergence": "divergence",
}


@dataclass(frozen=True)
class SimulationResult:
    """A simulated community: its trace tables, its planted truth and raw quantities.

    Attributes
    ----------
    tables
        Trace tables by name, valid against :mod:`undertow.model.schema`.
    truth
        ``scenario``, ``seed``, ``knobs``, ``planted`` (one entry per planted pathology:
        ``kind``, ``theme``, ``subjects`` (pseudonyms), ``at`` (ISO date for the kinds
        anchored to a date: ``centralising_leader``, ``formalisation_shock``,
        ``practice_divergence``; otherwise ``None``), ``direction``) and ``knowledge``
        (resolution rate and idea uptake as simulated). A mechanism that was switched
        on but left too little in the community to be measured (see
        :data:`MEASURABLE`) is listed in ``not_measurable`` with the reason instead of
        ``planted``: it is not ground truth.
    daily
        Raw simulated counts per day (questions, resolved, ideas, ideas adopted, episodes,
        supported, newcomers, returned, hostile first replies, left after hostility).
    """

    tables: dict[str, pa.Table]
    truth: dict[str, Any]
    daily: pa.Table

    def trace(self, engine: Engine = "duckdb") -> Trace:
        """The tables as a :class:`~undertow.model.trace.Trace`."""
        return Trace(self.tables, engine=engine, manifest={"simulation": self.truth})


def simulate(
    scenario: str = "healthy",
    seed: int = 0,
    *,
    n_days: int = 540,
    strength: float = 1.0,
    **knobs: Any,
) -> SimulationResult:
    """Simulate a community of practice under a scenario and return its trace and truth.

    Parameters
    ----------
    scenario
        ``healthy``, ``dominant_actor``, ``late_manager``, ``gatekeeping``,
        ``emotion_collapse``, ``divergence``, or several mechanisms joined by ``+``.
    seed
        Seed of the Mesa model: the same seed gives the same tables.
    n_days
        Simulated days (one step per day).
    strength
        Strength 0..1 of the scenario's mechanisms.
    **knobs
        Per-mechanism strengths, ``n_founders``, ``arrival_rate`` and event days
        (see :func:`undertow.simulate.scenarios.scenario`).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> result = simulate("gatekeeping", seed=3, n_days=90)
    >>> [p["kind"] for p in result.truth["planted"]]
    ['gatekeeping']
    >>> result.tables["messages"].num_rows > 0
    True
    """
    resolved = _scenarios.scenario(scenario, n_days=n_days, strength=strength, **knobs)
    model = CommunityModel(resolved, seed=seed)
    model.run()
    tables = model.recorder.tables()
    posted = set(tables["people"].column("person_id").to_pylist())
    roles = tables["roles"]
    keep = pa.array([person in posted for person in roles.column("person_id").to_pylist()])
    tables["roles"] = roles.filter(keep)
    daily = pa.Table.from_pylist(model.stats)
    planted, not_measurable = _measurable(_planted(model), model, tables, daily)
    truth = {
        "scenario": resolved.name,
        "seed": int(seed),
        "knobs": {**resolved.knobs(), **_event_days(model)},
        "planted": planted,
        "not_measurable": not_measurable,
        "background": background_effects(daily),
        "knowledge": knowledge_creation(daily),
    }
    return SimulationResult(tables=tables, truth=truth, daily=daily)


def background_effects(daily: pa.Table) -> list[dict[str, Any]]:
    """Effects every simulated community has, planted or not, that a finding may report.

    Distress that nobody supports makes its asker give up on the thread (the chance of a
    resolution falls to 15 %) and keeps the others out of it, in every scenario: a
    diagnosis that threads with an uncontained episode are resolved less often reports
    this built-in effect, not a false one. It is listed whenever the run left at least
    one episode unsupported; it is not planted truth (recovery does not count it).

    Examples
    --------
    >>> day = {"episodes": 5, "supported": 3}
    >>> [e["term"] for e in background_effects(pa.Table.from_pylist([day]))]
    ['uncontained_episode']
    >>> background_effects(pa.Table.from_pylist([{"episodes": 2, "supported": 2}]))
    []
    """
    if not daily.num_rows:
        return []
    episodes = int(sum(daily.column("episodes").to_pylist()))
    supported = int(sum(daily.column("supported").to_pylist()))
    if episodes - supported <= 0:
        return []
    return [
        {
            "kind": "power_limits_knowledge",
            "term": "uncontained_episode",
            "direction": "limits",
            "unsupported_episodes": episodes - supported,
            "why": "unsupported distress lowers the asker's chance of resolving the thread "
            "in every scenario",
        }
    ]


def knowledge_creation(daily: pa.Table) -> dict[str, float]:
    """Knowledge created in a run: question resolution rate and idea uptake rate.

    Parameters
    ----------
    daily
        :attr:`SimulationResult.daily`.

    Returns
    -------
    dict
        ``resolution_rate`` (questions resolved / asked), ``idea_uptake`` (ideas used by
        at least two other members / ideas introduced), ``containment_rate`` (emotional
        episodes that got support / episodes), ``newcomer_return_rate``.

    Examples
    --------
    >>> import pyarrow as pa
    >>> day = {"questions": 4, "resolved": 3, "ideas": 2, "ideas_adopted": 1, "episodes": 0,
    ...        "supported": 0, "newcomers": 0, "returned": 0}
    >>> knowledge_creation(pa.Table.from_pylist([day]))["resolution_rate"]
    0.75
    """

    def total(column: str) -> float:
        return float(sum(daily.column(column).to_pylist())) if daily.num_rows else 0.0

    def ratio(numerator: str, denominator: str) -> float:
        below = total(denominator)
        return total(numerator) / below if below else float("nan")

    return {
        "resolution_rate": ratio("resolved", "questions"),
        "idea_uptake": ratio("ideas_adopted", "ideas"),
        "containment_rate": ratio("supported", "episodes"),
        "newcomer_return_rate": ratio("returned", "newcomers"),
    }


#: What a planted kind must leave in the simulated community to count as ground truth.
MEASURABLE = {
    "dominant_actor": "the lead receives at least 1.5 times the replies of the next person",
    "centralising_leader": "8 weeks of activity on both sides of the appointment and at "
    "least 20 replies by the manager after it",
    "formalisation_shock": "8 weeks of activity on both sides of the appointment",
    "gatekeeping": "at least 10 newcomers met with a hostile first reply",
    "emotion_work_concentrated": "at least 20 supported emotional episodes, at least half "
    "of them supported by the carers",
    "uncontained_emotion": "emotional episodes answered with support less often than other "
    "messages of their threads; the simulated community gives support only in answer to "
    "distress, so the carers' burnout leaves later episodes unsupported (a fall over time), "
    "never supported less often than other messages",
    "practice_divergence": "8 weeks of activity on both sides of the mandate",
}

_SIDE_DAYS = 8 * 7


def _measurable(
    planted: list[dict[str, Any]],
    model: CommunityModel,
    tables: dict[str, pa.Table],
    daily: pa.Table,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Split planted kinds into measurable ones and the others (with the reason)."""
    messages = tables["messages"]
    parents = pc.is_valid(messages.column("parent_id"))
    position = pc.index_in(messages.column("parent_id"), value_set=messages.column("message_id"))
    targets = pc.take(messages.column("author_id"), position.filter(pc.is_valid(position)))
    counts = pc.value_counts(targets).to_pylist() if len(targets) else []
    received = {str(row["values"]): int(row["counts"]) for row in counts}
    days = model.scenario.n_days

    def total(column: str, *, since: int = 0) -> int:
        return int(sum(daily.column(column).to_pylist()[since:])) if daily.num_rows else 0

    def inside(day: int) -> bool:
        return _SIDE_DAYS <= day <= days - _SIDE_DAYS

    def manager_replies() -> int:
        after = pc.greater_equal(
            messages.column("created_at").cast(pa.int64()),
            EPOCH_US + model.appointment_day * DAY_US,
        )
        own = pc.equal(messages.column("author_id"), model.appointee.person_id)
        return int(pc.sum(pc.and_(pc.and_(after, own), parents)).as_py() or 0)

    def check(kind: str) -> bool:
        if kind == "dominant_actor":
            lead = received.get(model.steward.person_id, 0)
            others = [n for person, n in received.items() if person != model.steward.person_id]
            return lead >= 1.5 * max(others, default=0) and lead > 0
        if kind == "centralising_leader":
            return inside(model.appointment_day) and manager_replies() >= 20
        if kind == "formalisation_shock":
            return inside(model.appointment_day)
        if kind == "gatekeeping":
            return total("hostile_first") >= 10
        if kind == "emotion_work_concentrated":
            supported = total("supported")
            return supported >= 20 and model.carer_supports >= 0.5 * supported
        if kind == "uncontained_emotion":
            # Support goes only to distress here (model._allocate_support), so the
            # contrast the finding tests cannot be planted.
            return False
        if kind == "practice_divergence":
            return inside(model.mandate_day)
        return True

    kept, dropped = [], []
    for entry in planted:
        if check(str(entry["kind"])):
            kept.append(entry)
        else:
            dropped.append({"kind": str(entry["kind"]), "needs": MEASURABLE[str(entry["kind"])]})
    return kept, dropped


def _event_days(model: CommunityModel) -> dict[str, str]:
    return {
        "appointment_date": model.date(model.appointment_day),
        "burnout_date": model.date(model.burnout_day),
        "mandate_date": model.date(model.mandate_day),
    }


def _planted(model: CommunityModel) -> list[dict[str, Any]]:
    planted: list[dict[str, Any]] = []

    def plant(kind: str, subjects: list[str], at: str | None) -> None:
        planted.append(
            {
                "kind": kind,
                "theme": FINDING_THEMES[kind],
                "subjects": subjects,
                "at": at,
                "direction": "limits",
            }
        )

    if model.s_dominant:
        plant("dominant_actor", [model.steward.person_id], None)
    if model.s_manager:
        appointed = model.date(model.appointment_day)
        plant("centralising_leader", [model.appointee.person_id], appointed)
        plant("formalisation_shock", [], appointed)
    if model.s_gate:
        plant("gatekeeping", sorted(m.person_id for m in model.maintainers), None)
    if model.s_emotion:
        carers = sorted(m.person_id for m in model.carers)
        plant("emotion_work_concentrated", carers, None)
        # The agreed finding carries no date; the burnout date is in knobs["burnout_date"].
        plant("uncontained_emotion", [], None)
    if model.s_divergence:
        plant("practice_divergence", [], model.date(model.mandate_day))
    return planted
