"""The members of the simulated community (Mesa agents).

A member has expertise, tenure, position power (formal rank), an emotional state (mood)
and a capacity for emotion work (care). Each day (:meth:`Member.step`) a member works
through the replies the community asked of them (their inbox), may start a thread, and
may drift away. Newcomers start at the periphery (little activity, little weight as a
responder) and move towards the core when the community receives them well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from undertow.simulate.model import CommunityModel, Thread

__all__ = ["Member", "Task"]


@dataclass(slots=True)
class Task:
    """Something the community asked of a member: reply to ``parent`` in ``thread``.

    ``kind`` is ``answer``, ``comment``, ``review``, ``support``, ``followup`` or ``recover``.
    """

    kind: str
    thread: Thread
    parent: Any
    tone: str = "neutral"


@dataclass(slots=True)
class _Vocabulary:
    """Idea terms a member has taken up, most recent last."""

    terms: list[str] = field(default_factory=list)


class Member(mesa.Agent):  # type: ignore[misc]  # mesa is untyped
    """One member of the community.

    Parameters
    ----------
    model
        The community.
    founder
        Present from day 0 (otherwise a newcomer arriving today).
    """

    model: CommunityModel

    def __init__(self, model: CommunityModel, *, founder: bool) -> None:
        super().__init__(model)
        rng = model.rng
        self.person_id: str = model.pseudonym(self.unique_id)
        self.founder = founder
        self.joined_day: int = 0 if founder else model.day
        self.expertise = float(rng.beta(5, 2) if founder else rng.beta(2, 3))
        # The log-normal's sigma is scaled by the skew knob and its mu moved so that
        # the mean activity stays exp(mu + sigma² / 2) of the default community.
        mu, sigma = (-3.1, 0.7) if founder else (-3.9, 0.6)
        skewed = sigma * model.scenario.activity_skew
        self.activity = float(rng.lognormal(mu + (sigma * sigma - skewed * skewed) / 2, skewed))
        self.responsiveness = float(rng.lognormal(0.0, 0.6) if founder else 0.25)
        self.care = float(rng.beta(2, 5)) * model.care_factor
        self.mood = 0.3
        self.rank = 0
        self.unit = model.random.choice(model.units)
        self.active = True
        self.newcomer = not founder
        self.reception: str | None = None  # warm / neutral / hostile / ignored (newcomers)
        self.leave_day = 0
        self.anchored = False  # a planted person (leader, gatekeeper, carer) never drifts away
        self.inbox: list[Task] = []
        self.vocabulary = _Vocabulary()
        self.n_posts = 0
        if not founder:
            model.add_role(self, "member", 0, self.unit, model.day)

    # -- the day ----------------------------------------------------------------------------

    def step(self) -> None:
        """Answer the inbox, maybe start a thread, maybe drift away."""
        if not self.active:
            self.inbox.clear()
            return
        model = self.model
        tasks, self.inbox = self.inbox, []
        for task in tasks:
            model.perform(self, task)
            if not self.active:
                return
        if self.newcomer and self.reception is not None:
            # Received, and decided not to come back: gone after one last reaction.
            if model.day >= self.leave_day:
                self.active = False
            return
        first_day = self.newcomer and self.n_posts == 0
        if first_day or model.random.random() < self.activity * model.activity_factor(self):
            model.start_thread(self)
        self.mood += 0.05 * (0.3 - self.mood)
        if not self.newcomer and model.random.random() < self.leave_rate():
            self.active = False

    def leave_rate(self) -> float:
        """Daily probability of drifting away: low for founders, higher when unhappy."""
        if self.anchored:
            return 0.0
        base = 0.0004 if self.founder else 0.0015
        return base + 0.01 * max(0.0, -self.mood)

    # -- reception and learning ----------------------------------------------------------

    def received(self, tone: str) -> None:
        """React to a reply: warm replies pull towards the core, hostile ones push away."""
        if tone in ("warm", "supportive", "grateful"):
            self.mood = min(1.0, self.mood + 0.2)
            self.activity = min(0.2, self.activity * 1.1)
            self.responsiveness = min(3.0, self.responsiveness + 0.08)
        elif tone == "hostile":
            self.mood = max(-1.0, self.mood - 0.5)
            self.activity *= 0.7
        elif tone == "curt":
            self.mood = max(-1.0, self.mood - 0.15)
            self.activity *= 0.9
        else:
            self.responsiveness = min(3.0, self.responsiveness + 0.03)

    def adopt(self, term: str) -> None:
        """Take up an idea term (it may appear in this member's later messages)."""
        if term not in self.vocabulary.terms:
            self.vocabulary.terms.append(term)

    def favourite_term(self) -> str | None:
        """One of the most recently adopted terms, or ``None``."""
        terms = self.vocabulary.terms
        return self.model.random.choice(terms[-3:]) if terms else None
