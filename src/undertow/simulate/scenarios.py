"""Scenarios: which power mechanisms a simulated community has, how strong, and when.

Each mechanism is one way power limits knowledge creation (Pemberton, Mavin & Stalker 2007):

``dominant_actor``
    A member with position power captures the replies (answers most questions, replies to
    everything), answers low-status askers curtly and ignores their ideas; others fall silent
    in threads the actor has entered. (T4)
``late_manager``
    A manager appointed at a chosen date centralises the conversation: replies route through
    them and the others' participation chills. (T1 timing, T2 leaders)
``gatekeeping``
    A few masters answer newcomers' first messages with hostility; newcomers so treated do not
    come back. (T6)
``emotion_collapse``
    A few carers do all the emotion work, then burn out at a date: distress is no longer
    contained, and uncontained threads are not resolved. (T5)
``divergence``
    The organisation mandates a practice through official documents at a date; the community
    ignores it and works around it in its own words. (T7)
``healthy``
    The baseline: the same people, roles and appointments, no pathology.

A scenario name may combine mechanisms with ``+`` (``dominant_actor+gatekeeping``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MECHANISMS", "SCENARIOS", "Scenario", "scenario"]

#: The mechanisms, each a knob with strength 0..1.
MECHANISMS = ("dominant_actor", "late_manager", "gatekeeping", "emotion_collapse", "divergence")

#: Named scenarios: the healthy baseline and one per mechanism.
SCENARIOS = ("healthy", *MECHANISMS)

_NUMBER_KNOBS = {
    "n_founders": 40,
    "arrival_rate": 0.45,
    "activity_skew": 1.0,
    "n_spaces": 5,
}
_DAY_KNOBS = ("appointment_day", "burnout_day", "mandate_day")


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: mechanism strengths, community size and event days.

    Attributes
    ----------
    name
        The scenario name as given (``healthy``, a mechanism, or ``a+b``).
    strengths
        Strength 0..1 of every mechanism (0 = absent).
    n_days
        Simulated days (one Mesa step per day).
    n_founders
        Members present on day 0.
    arrival_rate
        Mean newcomers per day (Poisson).
    activity_skew
        Spread of members' activity: the log-normal sigma of their daily chance of
        starting a thread is multiplied by it (its mean is kept), and the weights by
        which members are asked to reply are raised to its power, so 1.8 gives a few
        very active members and many quiet ones.
    n_spaces
        Spaces (at least 5: help desk, development list, announcements, lounge, hallway);
        the extra ones alternate official help desks and emergent lounges, and threads
        spread evenly over the spaces of their function.
    days
        Event days fixed by the caller (``appointment_day``, ``burnout_day``,
        ``mandate_day``); the others are drawn from the seed.
    """

    name: str
    strengths: Mapping[str, float]
    n_days: int
    n_founders: int = 40
    arrival_rate: float = 0.45
    activity_skew: float = 1.0
    n_spaces: int = 5
    days: Mapping[str, int] = field(default_factory=dict)

    def strength(self, mechanism: str) -> float:
        """Strength of ``mechanism`` (0 when absent)."""
        return float(self.strengths.get(mechanism, 0.0))

    def knobs(self) -> dict[str, Any]:
        """Every setting, as plain JSON-ready values (for ``truth.json`` and manifests)."""
        return {
            "n_days": self.n_days,
            "n_founders": self.n_founders,
            "arrival_rate": self.arrival_rate,
            "activity_skew": self.activity_skew,
            "n_spaces": self.n_spaces,
            **{name: self.strength(name) for name in MECHANISMS},
            **dict(self.days),
        }


def scenario(name: str, *, n_days: int = 540, strength: float = 1.0, **knobs: Any) -> Scenario:
    """Resolve a scenario name and knobs into a :class:`Scenario`.

    Parameters
    ----------
    name
        ``healthy``, a mechanism of :data:`MECHANISMS`, or mechanisms joined by ``+``.
    n_days
        Simulated days.
    strength
        Strength 0..1 of every named mechanism.
    **knobs
        A mechanism's own strength (``gatekeeping=0.5``, also to add a mechanism to the
        named ones), ``n_founders``, ``arrival_rate``, ``activity_skew``, ``n_spaces``,
        or an event day
        (``appointment_day``, ``burnout_day``, ``mandate_day``).

    Raises
    ------
    ValueError
        On an unknown scenario or knob, or a strength outside 0..1.

    Examples
    --------
    >>> s = scenario("dominant_actor+gatekeeping", strength=0.5)
    >>> s.strength("dominant_actor"), s.strength("gatekeeping"), s.strength("divergence")
    (0.5, 0.5, 0.0)
    """
    parts = [part.strip() for part in name.split("+") if part.strip()]
    unknown = [part for part in parts if part not in SCENARIOS]
    if not parts or unknown:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be within 0..1, got {strength}")
    if n_days < 60:
        raise ValueError(f"n_days must be at least 60, got {n_days}")
    strengths = {part: float(strength) for part in parts if part != "healthy"}
    numbers = dict(_NUMBER_KNOBS)
    days: dict[str, int] = {}
    for key, value in knobs.items():
        if key in MECHANISMS:
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{key} must be within 0..1, got {value}")
            strengths[key] = float(value)
        elif key in _NUMBER_KNOBS:
            numbers[key] = value
        elif key in _DAY_KNOBS:
            if not 0 < int(value) < n_days:
                raise ValueError(f"{key} must fall within the {n_days} simulated days")
            days[key] = int(value)
        else:
            known = ", ".join((*MECHANISMS, *_NUMBER_KNOBS, *_DAY_KNOBS))
            raise ValueError(f"unknown knob {key!r}; known knobs: {known}")
    if int(numbers["n_spaces"]) < 5:
        raise ValueError(f"n_spaces must be at least 5, got {numbers['n_spaces']}")
    if not float(numbers["activity_skew"]) > 0:
        raise ValueError(f"activity_skew must be positive, got {numbers['activity_skew']}")
    return Scenario(
        name="+".join(parts),
        strengths=strengths,
        n_days=int(n_days),
        n_founders=int(numbers["n_founders"]),
        arrival_rate=float(numbers["arrival_rate"]),
        activity_skew=float(numbers["activity_skew"]),
        n_spaces=int(numbers["n_spaces"]),
        days=days,
    )
