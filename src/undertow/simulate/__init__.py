"""An agent-based community of practice with power politics (Mesa) that emits a trace.

:func:`simulate` runs a scenario and returns the canonical trace tables together with
the planted truth: who was made to do what, and when. Every metric, finding and the
report run unchanged on a simulated community, so they can be checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from undertow.engine import Engine
from undertow.model.trace import Trace
from undertow.simulate import scenarios as _scenarios
from undertow.simulate.model import CommunityModel
from undertow.simulate.scenarios import MECHANISMS, SCENARIOS, Scenario, scenario

__all__ = [
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
        (resolution rate and idea uptake as simulated).
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
    truth = {
        "scenario": resolved.name,
        "seed": int(seed),
        "knobs": {**resolved.knobs(), **_event_days(model)},
        "planted": _planted(model),
        "knowledge": knowledge_creation(daily),
    }
    return SimulationResult(tables=tables, truth=truth, daily=daily)


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
