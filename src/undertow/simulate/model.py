"""The community of practice as a Mesa model: one step per day, threads, replies, outcomes.

Every day newcomers arrive (Poisson), members work through their inboxes and start threads
(:meth:`Member.step`, in random order), and the model then decides who is asked to reply
to each message written that day (the community's attention). Replies are the next day's
work; their time stamps follow their parent's by an exponential latency, so the trace
looks like a mailing list or forum.

Knowledge is created when a question is resolved (the asker acknowledges an answer:
``accepted_answer``), a patch is applied, or an idea is taken up (used by at least two
other members: ``idea_adopted``). Power enters through the scenario's mechanisms
(:mod:`undertow.simulate.scenarios`): who is chosen to reply, in what tone, who falls
silent, who burns out, which vocabulary is mandated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np

from undertow.simulate import text
from undertow.simulate.agents import Member, Task
from undertow.simulate.emit import EPOCH_US, Recorder, pseudonym, to_datetime
from undertow.simulate.scenarios import Scenario

__all__ = ["CommunityModel", "Post", "Thread"]

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000

#: Spaces: the organisation runs the first two, members created the others.
SPACES = (
    ("help", "help desk", "official"),
    ("dev", "development list", "official"),
    ("announce", "announcements", "official"),
    ("lounge", "community lounge", "emergent"),
    ("hallway", "hallway chat", "emergent"),
)

_KINDS = ("question", "idea", "patch", "discussion", "vent")
_KIND_WEIGHTS = np.array([0.45, 0.15, 0.15, 0.2, 0.05])

#: Chance that a thread start of each kind gets a first reply (healthy community).
_FIRST_REPLY = {
    "question": 0.88,
    "idea": 0.8,
    "patch": 0.85,
    "discussion": 0.75,
    "vent": 0.6,
    "mandate": 0.8,
}
#: Chance of each further responder, and how many may join.
_EXTRA_REPLY = {"question": (0.3, 1), "idea": (0.5, 3), "discussion": (0.45, 3), "vent": (0.3, 1)}
_RETURN = {
    "warm": 0.85,
    "supportive": 0.85,
    "neutral": 0.65,
    "curt": 0.4,
    "hostile": 0.08,
    "ignored": 0.3,
}
_TONE_QUALITY = {"hostile": 0.15, "curt": 0.35}


@dataclass(slots=True)
class Post:
    """A message as the model remembers it (the trace row is in the recorder)."""

    message_id: str
    author: Member
    at: int
    act: str
    tone: str
    classes: frozenset[str]
    quality: float = 0.0
    parent: Post | None = None


@dataclass(slots=True)
class Thread:
    """A thread: its kind, starter, space, topic and posts."""

    thread_id: str
    kind: str
    starter: Member
    space_id: str
    topic: int
    posts: list[Post] = field(default_factory=list)
    term: str | None = None
    resolved: bool = False
    rounds: int = 0
    dominated: bool = False
    dismissed: bool = False
    uncontained: bool = False
    route: Post | None = None
    newcomer_first: bool = False


class CommunityModel(mesa.Model):  # type: ignore[misc]  # mesa is untyped
    """A community of practice with power politics.

    Parameters
    ----------
    scenario
        The resolved scenario (:func:`undertow.simulate.scenarios.scenario`).
    seed
        Seed of the model's random generators (``model.random`` and ``model.rng``).

    Attributes
    ----------
    recorder
        The trace rows written so far.
    stats
        Raw simulated quantities (questions asked and resolved, ideas and their uptake,
        episodes and their containment, newcomers and their return), by day.

    Examples
    --------
    >>> from undertow.simulate.scenarios import scenario
    >>> model = CommunityModel(scenario("healthy", n_days=60), seed=1)
    >>> model.run()
    >>> len(model.recorder.messages["message_id"]) > 100
    True
    """

    def __init__(self, scenario: Scenario, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.seed_value = int(seed)
        self.scenario = scenario
        self.day = 0
        self.units = ("drivers", "userspace", "docs", "infra")
        self.recorder = Recorder()
        self.pending: list[tuple[Thread, Post]] = []
        self.term_users: dict[str, list[str]] = {}
        self.term_threads: dict[str, tuple[Thread, Post]] = {}
        self.stats: list[dict[str, Any]] = []
        self._n_messages = 0
        self._n_terms = 0
        days = scenario.days
        self.appointment_day = days.get("appointment_day", self._draw_day(0.4, 0.6))
        self.burnout_day = days.get("burnout_day", self._draw_day(0.45, 0.6))
        self.mandate_day = days.get("mandate_day", self._draw_day(0.4, 0.6))
        self.s_dominant = scenario.strength("dominant_actor")
        self.s_manager = scenario.strength("late_manager")
        self.s_gate = scenario.strength("gatekeeping")
        self.s_emotion = scenario.strength("emotion_collapse")
        self.s_divergence = scenario.strength("divergence")
        # Emotion work concentrated: everyone but the carers has little capacity for it.
        # The fifth power makes the plant bite at moderate strengths: at 0.6 the others
        # keep 1% of their capacity, so the three carers give most of the support (a
        # linear factor left them 40%, and the many others still gave most of it).
        self.care_factor = max(0.002, (1.0 - self.s_emotion) ** 5)
        # Supportive replies the carers gave (the planted concentration, for truth.json).
        self.carer_supports = 0
        spaces = list(SPACES)
        for extra in range(scenario.n_spaces - len(SPACES)):
            number = extra // 2 + 2
            if extra % 2 == 0:
                spaces.append((f"help-{number}", f"help desk {number}", "official"))
            else:
                spaces.append((f"lounge-{number}", f"community lounge {number}", "emergent"))
        for space_id, name, governance in spaces:
            self.recorder.spaces.append(
                {"space_id": space_id, "name": name, "governance": governance}
            )
        self._help_spaces = [s for s, _, g in spaces if s.startswith("help")]
        self._lounge_spaces = [s for s, _, g in spaces if s.startswith("lounge")]
        founders = [Member(self, founder=True) for _ in range(scenario.n_founders)]
        self.founders = founders
        self.steward, self.maintainers = founders[0], founders[1:4]
        self.appointee, self.carers = founders[4], founders[5:8]
        for member in founders[:8]:
            member.anchored = True
        self._setup_roles()
        self._setup_mechanisms()
        self._documents()
        self._day_counts: dict[str, int] = {}

    # -- set-up -----------------------------------------------------------------------------

    def _draw_day(self, low: float, high: float) -> int:
        n = self.scenario.n_days
        return int(self.rng.integers(int(low * n), int(high * n)))

    def pseudonym(self, agent_id: int) -> str:
        """The pseudonym of agent ``agent_id`` under this model's seed."""
        return pseudonym(self.seed_value, agent_id)

    def add_role(self, member: Member, role: str, rank: int, unit: str, day: int | None) -> None:
        """Record that ``member`` holds ``role`` from ``day`` (``None``: since before day 0)."""
        self.recorder.roles.append(
            {
                "person_id": member.person_id,
                "role": role,
                "rank": rank,
                "unit": unit,
                "valid_from": None if day is None else EPOCH_US + day * DAY_US,
                "source_ref": "simulated roster",
            }
        )

    def _setup_roles(self) -> None:
        for member in self.founders:
            self.add_role(member, "member", 0, member.unit, None)
        self.steward.rank = 3
        self.steward.expertise = max(self.steward.expertise, 0.85)
        self.add_role(self.steward, "lead", 3, "core", None)
        for member in self.maintainers:
            member.rank = 2
            member.expertise = max(member.expertise, 0.75)
            self.add_role(member, "maintainer", 2, member.unit, None)
        # The appointee is an ordinary, moderately expert member until the appointment.
        self.appointee.expertise = 0.4

    def _setup_mechanisms(self) -> None:
        if self.s_dominant:
            self.steward.activity *= 1.0 + 6.0 * self.s_dominant
            self.steward.responsiveness = max(self.steward.responsiveness, 2.0)
        if self.s_emotion:
            for carer in self.carers:
                carer.care = 1.0

    def _documents(self) -> None:
        charter_terms = [word for topic in text.TECH_WORDS for word in topic[:4]]
        self.recorder.documents.append(
            {
                "document_id": "charter-v1",
                "title": "Community charter",
                "valid_from": EPOCH_US,
                "kind": "charter",
                "text": text.document_text(self.random, terms=charter_terms),
            }
        )
        mandated = self.s_divergence > 0
        terms = list(text.DOCUMENT_TERMS) if mandated else charter_terms
        self.recorder.documents.append(
            {
                "document_id": "practice-v2",
                "title": "Mandated practice" if mandated else "Community charter, revised",
                "valid_from": EPOCH_US + self.mandate_day * DAY_US,
                "kind": "process" if mandated else "charter",
                "text": text.document_text(self.random, terms=terms),
            }
        )

    # -- the day ----------------------------------------------------------------------------

    def step(self) -> None:
        """One simulated day."""
        self._day_counts = {
            key: 0
            for key in (
                "questions",
                "resolved",
                "ideas",
                "episodes",
                "supported",
                "newcomers",
                "returned",
                "left_after_hostile",
                "hostile_first",
                "ideas_adopted",
            )
        }
        self._events()
        for _ in range(int(self.rng.poisson(self.scenario.arrival_rate))):
            Member(self, founder=False)
            self._day_counts["newcomers"] += 1
        self._refresh_weights()
        self.agents.shuffle_do("step")
        self._mandate_posts()
        self._allocate()
        self._ignored_newcomers()
        self.stats.append({"day": self.day, **self._day_counts})
        self.day += 1

    def run(self) -> None:
        """Run every simulated day."""
        for _ in range(self.scenario.n_days):
            self.step()

    def _events(self) -> None:
        if self.day == self.appointment_day:
            managing = self.s_manager > 0
            self.appointee.rank = 3 if managing else 2
            self.add_role(
                self.appointee,
                "manager" if managing else "moderator",
                self.appointee.rank,
                "core",
                self.day,
            )
            if managing:
                self.appointee.responsiveness = max(self.appointee.responsiveness, 2.0)
                self.appointee.active = True
        if self.day == self.burnout_day and self.s_emotion:
            for carer in self.carers:
                carer.care *= 1.0 - self.s_emotion
                carer.activity *= 1.0 - 0.7 * self.s_emotion

    def _mandated(self, thread: Thread) -> bool:
        """Whether the mandate weighs on ``thread`` (after the mandate, outside lounges)."""
        return bool(
            self.s_divergence
            and self.day >= self.mandate_day
            and not thread.space_id.startswith("lounge")
        )

    def activity_factor(self, member: Member) -> float:
        """How much the scenario scales ``member``'s thread starting today (chilling)."""
        if self.s_manager and self.day >= self.appointment_day and member is not self.appointee:
            return 1.0 - 0.5 * self.s_manager
        return 1.0

    def _refresh_weights(self) -> None:
        members: list[Member] = [m for m in self.agents if m.active and not m.newcomer]
        self._candidates: list[Member] = members
        self._index = {m.unique_id: i for i, m in enumerate(members)}
        self._weights = np.array([m.responsiveness * (0.3 + m.expertise) for m in members])
        if self.scenario.activity_skew != 1.0:
            # A skewed community sharpens who is asked to reply.
            self._weights = self._weights**self.scenario.activity_skew
        self._care = np.array([m.care for m in members])
        if self.s_manager and self.day >= self.appointment_day:
            chill = 1.0 - 0.5 * self.s_manager
            self._weights = np.where(
                [m is self.appointee for m in members], self._weights, self._weights * chill
            )

    def _choose(self, weights: np.ndarray, exclude: list[Member]) -> Member | None:
        w = weights.copy()
        for member in exclude:
            i = self._index.get(member.unique_id)
            if i is not None:
                w[i] = 0.0
        total = w.sum()
        if total <= 0:
            return None
        i = int(np.searchsorted(np.cumsum(w), self.rng.random() * total, side="right"))
        return self._candidates[min(i, len(self._candidates) - 1)]

    # -- writing ----------------------------------------------------------------------------

    def _message_id(self) -> str:
        self._n_messages += 1
        return f"m{self._n_messages:06d}"

    def _time_today(self) -> int:
        hour = float(np.clip(self.rng.normal(14.0, 4.0), 0.0, 23.99))
        return EPOCH_US + self.day * DAY_US + int(hour * HOUR_US)

    def _latency(self, after: int) -> int:
        return after + int((0.15 + self.rng.exponential(4.0)) * HOUR_US)

    def _extra_terms(self, member: Member) -> list[str]:
        terms: list[str] = []
        favourite = member.favourite_term()
        if favourite is not None and self.random.random() < 0.15:
            terms.append(favourite)
        if (
            self.s_divergence
            and self.day >= self.mandate_day
            and self.random.random() < 0.35 * self.s_divergence
        ):
            terms.append(self.random.choice(text.WORKAROUND_TERMS))
        return terms

    def write(
        self,
        thread: Thread,
        author: Member,
        *,
        act: str,
        tone: str,
        parent: Post | None = None,
        kind: str = "reply",
        terms: list[str] | None = None,
        closing: str = "",
        quality: float = 0.0,
        addressee: Member | None = None,
    ) -> Post:
        """Write one message into ``thread`` and queue it for the community's attention."""
        at = self._time_today() if parent is None else self._latency(parent.at)
        deferring = parent is not None and parent.author.rank >= 2
        words = list(terms or []) + self._extra_terms(author)
        body = text.compose(
            self.random,
            tone=tone,
            topic=thread.topic,
            echo=parent.classes if parent is not None else (),
            echo_rate=0.8 if deferring else 0.5,
            terms=words,
            closing=closing,
        )
        message_id = thread.thread_id if parent is None else self._message_id()
        post = Post(message_id, author, at, act, tone, text.function_classes(body), quality, parent)
        self.recorder.message(
            message_id=message_id,
            thread_id=thread.thread_id,
            parent_id=None if parent is None else parent.message_id,
            addressee_id=None if addressee is None else addressee.person_id,
            author_id=author.person_id,
            created_at=at,
            space_id=thread.space_id,
            kind=kind,
            text=body,
            has_patch=kind == "patch",
        )
        thread.posts.append(post)
        author.n_posts += 1
        for word in words:
            self._used(word, author, at)
        self.pending.append((thread, post))
        return post

    def _used(self, term: str, author: Member, at: int) -> None:
        users = self.term_users.get(term)
        if users is None or author.person_id in users:
            return
        users.append(author.person_id)
        # users[0] is the introducer: adopted once two others have used the term.
        if len(users) == 3:
            thread, post = self.term_threads[term]
            self.recorder.outcomes.append(
                {
                    "thread_id": thread.thread_id,
                    "message_id": post.message_id,
                    "kind": "idea_adopted",
                    "created_at": at,
                    "actor_id": None,
                    "source_ref": "simulated",
                }
            )
            self._day_counts["ideas_adopted"] += 1

    def start_thread(self, member: Member) -> Thread:
        """``member`` starts a thread (a newcomer's first one is usually a question)."""
        first = member.newcomer and member.n_posts == 0
        if first:
            kind = "question" if self.random.random() < 0.8 else "idea"
        else:
            kind = _KINDS[int(self.rng.choice(len(_KINDS), p=_KIND_WEIGHTS))]
            if kind == "patch" and member.expertise < 0.4:
                kind = "question"
        # Where a thread goes does not depend on its kind, so that governance and thread
        # kind are not confounded in a healthy community.
        official = self.random.random() < 0.6
        if kind in ("question", "patch"):
            space = ("dev" if kind == "patch" else "help") if official else "hallway"
        else:
            space = "help" if official else "lounge"
        if space in ("help", "lounge") and len(self._help_spaces) + len(self._lounge_spaces) > 2:
            # Extra spaces of the same function share its threads evenly.
            choices = self._help_spaces if space == "help" else self._lounge_spaces
            space = choices[int(self.rng.integers(len(choices)))]
        thread = Thread(
            thread_id=self._message_id(),
            kind=kind,
            starter=member,
            space_id=space,
            topic=int(self.rng.integers(len(text.TECH_WORDS))),
            newcomer_first=first,
        )
        terms: list[str] = []
        tone = "neutral"
        if kind == "idea":
            term = text.coined_term(self._n_terms)
            self._n_terms += 1
            thread.term = term
            self.term_users[term] = []
            terms.append(term)
            self._day_counts["ideas"] += 1
        if kind == "question":
            self._day_counts["questions"] += 1
            roll = self.random.random()
            if roll < 0.2:
                tone = "distressed"
            elif roll < 0.2 + (0.5 if member.newcomer else 0.25):
                tone = "deferential"
        if kind == "vent":
            tone = "distressed"
        act = "distress" if tone == "distressed" else "start"
        post = self.write(
            thread,
            member,
            act=act,
            tone=tone,
            kind="patch" if kind == "patch" else "post",
            terms=terms,
        )
        if thread.term is not None:
            self.term_threads[thread.term] = (thread, post)
        return thread

    def _mandate_posts(self) -> None:
        if not self.s_divergence or self.day < self.mandate_day:
            return
        if self.random.random() >= 0.25 * self.s_divergence:
            return
        officials = [m for m in (self.appointee, *self.maintainers, self.steward) if m.active]
        if not officials:
            return
        author = self.random.choice(officials)
        thread = Thread(
            thread_id=self._message_id(),
            kind="mandate",
            starter=author,
            space_id="announce",
            topic=int(self.rng.integers(len(text.TECH_WORDS))),
        )
        mandated = self.random.sample(text.DOCUMENT_TERMS, 4)
        self.write(thread, author, act="start", tone="neutral", kind="post", terms=mandated)

    # -- attention: who is asked to reply ---------------------------------------------------

    def _low_status(self, member: Member) -> bool:
        return member.rank < 2 and not member.founder

    def _allocate(self) -> None:
        pending, self.pending = self.pending, []
        for thread, post in pending:
            if post.act == "distress":
                self._allocate_support(thread, post)
            if post.act == "start" or (post.act == "distress" and post is thread.posts[0]):
                self._allocate_start(thread, post)
            elif post.act in ("answer", "review") and thread.starter is not post.author:
                thread.starter.inbox.append(Task("followup", thread, post))
            elif post.act == "clarify":
                self._allocate_reply(thread, post, first=False)
            elif post.act == "comment":
                self._allocate_back(thread, post)
            elif post.act == "support":
                parent_author = thread.posts[0].author
                for earlier in reversed(thread.posts):
                    if earlier.act == "distress":
                        parent_author = earlier.author
                        break
                parent_author.inbox.append(Task("recover", thread, post))

    def _reply_factor(self, thread: Thread) -> float:
        factor = 1.0
        if thread.uncontained:
            # Distress left alone drives the others out of the thread too.
            factor *= 0.3
        if thread.dismissed:
            # Others follow the dominant actor's lead: a dismissed contribution is dropped.
            factor *= 1.0 - 0.9 * self.s_dominant
        elif thread.dominated:
            factor *= 1.0 - 0.6 * self.s_dominant
        if self.s_manager and self.day >= self.appointment_day:
            factor *= 1.0 - 0.6 * self.s_manager
        if self._mandated(thread):
            factor *= 1.0 - 0.6 * self.s_divergence
        return factor

    def _allocate_start(self, thread: Thread, post: Post) -> None:
        if thread.kind == "mandate":
            if self.random.random() < _FIRST_REPLY["mandate"] * (1 - 0.85 * self.s_divergence):
                responder = self._choose(self._weights, [post.author])
                if responder is not None:
                    responder.inbox.append(Task("comment", thread, post))
            return
        self._allocate_reply(thread, post, first=True)
        extra_p, extra_n = _EXTRA_REPLY.get(thread.kind, (0.0, 0))
        for _ in range(extra_n):
            if self.random.random() < extra_p * self._reply_factor(thread):
                self._allocate_reply(thread, post, first=False, extra=True)

    def _task_kind(self, thread: Thread) -> str:
        return {"question": "answer", "patch": "review"}.get(thread.kind, "comment")

    def _allocate_reply(
        self, thread: Thread, post: Post, *, first: bool, extra: bool = False
    ) -> None:
        author = post.author
        exclude = [author, *(p.author for p in thread.posts if extra)]
        task_kind = self._task_kind(thread)
        if first:
            p_any = _FIRST_REPLY[thread.kind]
            if self._mandated(thread):
                p_any *= 1.0 - 0.6 * self.s_divergence
        else:
            p_any = 1.0 if extra else 0.8 * self._reply_factor(thread)
        if self.random.random() >= p_any:
            return
        tone = "neutral"
        responder: Member | None = None
        starter = thread.starter
        if thread.newcomer_first and post is thread.posts[0]:
            p_hostile = 0.85 * self.s_gate
        elif not starter.founder and self.day - starter.joined_day < 90 and first:
            p_hostile = 0.4 * self.s_gate
        else:
            p_hostile = 0.0
        gatekeepers = [m for m in self.maintainers if m.active and m is not author]
        if gatekeepers and p_hostile and self.random.random() < p_hostile:
            responder, tone = self.random.choice(gatekeepers), "hostile"
        elif (
            self.s_manager
            and self.day >= self.appointment_day
            and self.appointee.active
            and self.appointee is not author
            and not extra
            and self.random.random() < 0.75 * self.s_manager
        ):
            responder = self.appointee
        elif (
            self.s_dominant
            and self.steward.active
            and self.steward is not author
            and not extra
            and self.random.random() < 0.85 * self.s_dominant
        ):
            responder = self.steward
            if self._low_status(thread.starter):
                # The actor ignores or brushes off low-status members; others follow suit.
                thread.dismissed = True
                roll = self.random.random()
                if roll < 0.4 * self.s_dominant:
                    return
                if roll < 0.85:
                    tone = "curt"
        if responder is None:
            if task_kind == "review":
                weights = self._weights * np.array(
                    [3.0 if m.rank >= 2 else 1.0 for m in self._candidates]
                )
            else:
                weights = self._weights
            responder = self._choose(weights, exclude)
            if responder is None:
                return
            # Most communities greet newcomers warmly; regulars get the odd kind word too.
            if self.random.random() < (0.45 if thread.starter.newcomer else 0.12):
                tone = "warm"
        if responder is self.steward and self.s_dominant:
            thread.dominated = True
        responder.inbox.append(Task(task_kind, thread, post, tone))

    def _allocate_back(self, thread: Thread, post: Post) -> None:
        if len(thread.posts) >= 14:
            return
        parent = post.parent
        factor = self._reply_factor(thread)
        managing = self.s_manager and self.day >= self.appointment_day
        hub = (post.author is self.steward and self.s_dominant) or (
            post.author is self.appointee and managing
        )
        if hub:
            # People answer the one with power (and do not talk among themselves).
            if (
                parent is not None
                and parent.author is not post.author
                and parent.author.active
                and self.random.random() < (0.15 if post.tone == "curt" else 0.6)
            ):
                parent.author.inbox.append(Task("comment", thread, post, "neutral"))
            return
        if (
            self.s_dominant
            and self.steward.active
            and self.steward is not post.author
            and self.random.random() < 0.4 * self.s_dominant
        ):
            thread.dominated = True
            self.steward.inbox.append(Task("comment", thread, post, "neutral"))
        elif (
            managing
            and self.appointee.active
            and self.appointee is not post.author
            and self.random.random() < 0.6 * self.s_manager
        ):
            self.appointee.inbox.append(Task("comment", thread, post, "neutral"))
        elif (
            parent is not None
            and parent.author is not post.author
            and parent.author.active
            and self.random.random() < 0.35 * factor
        ):
            parent.author.inbox.append(Task("comment", thread, post, "neutral"))

    def _allocate_support(self, thread: Thread, post: Post) -> None:
        self._day_counts["episodes"] += 1
        active_care = self._care.copy()
        i = self._index.get(post.author.unique_id)
        if i is not None:
            active_care[i] = 0.0
        p_support = 0.85 * min(1.0, float(active_care.sum()) / 2.5)
        if self.random.random() < p_support:
            carer = self._choose(self._care, [post.author])
            if carer is not None:
                carer.inbox.append(Task("support", thread, post, "supportive"))
                self._day_counts["supported"] += 1
                self.carer_supports += carer in self.carers
                return
        thread.uncontained = True
        post.author.mood = max(-1.0, post.author.mood - 0.3)

    # -- doing: what a member writes when asked ---------------------------------------------

    def perform(self, member: Member, task: Task) -> None:
        """``member`` carries out ``task`` (writes the reply the community asked of them)."""
        thread, parent = task.thread, task.parent
        if task.kind == "followup":
            self._followup(member, thread, parent)
            return
        if task.kind == "recover":
            self.write(thread, member, act="recover", tone="recovered", parent=parent)
            member.mood = min(1.0, member.mood + 0.3)
            thread.uncontained = False
            return
        if task.kind == "support":
            self.write(thread, member, act="support", tone="supportive", parent=parent)
            parent.author.received("supportive")
            self._reception(parent.author, thread, "supportive")
            return
        tone = task.tone
        target = parent.author
        if tone == "neutral" and target.rank >= 2 and self.random.random() < 0.3:
            tone = "deferential"
        addressee = None
        hub = thread.route.author if thread.route is not None else None
        if hub is not None and member is not hub and hub.active:
            # Replies route through the hub: people answer the leader, not each other.
            parent, addressee = thread.route, hub
        if task.kind == "answer":
            quality = member.expertise * _TONE_QUALITY.get(tone, 1.0)
            if member is self.appointee and self.s_manager and self.day >= self.appointment_day:
                quality *= 1.0 - 0.5 * self.s_manager
            post = self.write(
                thread,
                member,
                act="answer",
                tone=tone,
                parent=parent,
                kind="answer",
                quality=quality,
                addressee=addressee,
            )
            self._note_hub(thread, member, post)
        elif task.kind == "review":
            accepted = self.random.random() < 0.35 + 0.55 * thread.starter.expertise
            post = self.write(
                thread,
                member,
                act="review",
                tone="warm" if accepted else tone,
                parent=parent,
                kind="review",
                quality=1.0 if accepted else 0.0,
            )
            if accepted and not thread.resolved:
                thread.resolved = True
                self._outcome(thread, thread.posts[0], "applied", member, post.at)
        else:
            terms: list[str] = []
            if thread.term is not None and tone != "curt" and member is not thread.starter:
                p_adopt = 0.6
                if member is self.appointee and self.s_manager and self.day >= self.appointment_day:
                    p_adopt = 0.1
                if self.random.random() < p_adopt:
                    terms.append(thread.term)
                    member.adopt(thread.term)
            post = self.write(
                thread,
                member,
                act="comment",
                tone=tone,
                parent=parent,
                terms=terms,
                kind="reply",
                addressee=addressee,
            )
            self._note_hub(thread, member, post)
        target.received(tone)
        self._reception(target, thread, tone)

    def _note_hub(self, thread: Thread, member: Member, post: Post) -> None:
        managing = member is self.appointee and self.s_manager and self.day >= self.appointment_day
        dominating = member is self.steward and self.random.random() < self.s_dominant
        if managing or dominating:
            thread.route = post

    def _reception(self, target: Member, thread: Thread, tone: str) -> None:
        """A newcomer decides, on their first reply, whether to come back."""
        if not target.newcomer or target.reception is not None or not thread.newcomer_first:
            return
        target.reception = tone
        if tone == "hostile":
            self._day_counts["hostile_first"] += 1
        self._decide_return(target)

    def _decide_return(self, member: Member) -> None:
        reception = member.reception or "ignored"
        if self.random.random() < _RETURN.get(reception, _RETURN["neutral"]):
            member.newcomer = False
            member.activity = max(member.activity, 0.01)
            self._day_counts["returned"] += 1
        else:
            # The newcomer may still react once (a last follow-up tomorrow), then is gone.
            member.leave_day = self.day + 1
            if reception == "hostile":
                self._day_counts["left_after_hostile"] += 1

    def _ignored_newcomers(self) -> None:
        for member in self._pending_newcomers():
            if self.day - member.joined_day >= 7:
                member.reception = "ignored"
                self._decide_return(member)
                if member.newcomer:
                    member.active = False

    def _pending_newcomers(self) -> list[Member]:
        return [
            m
            for m in self.agents
            if m.active and m.newcomer and m.reception is None and m.n_posts > 0
        ]

    def _followup(self, member: Member, thread: Thread, answer: Post) -> None:
        leaving = member.newcomer and member.reception is not None
        if thread.resolved:
            return
        if answer.tone == "curt" and self.random.random() < 0.7:
            # Brushed off: the asker goes quiet.
            if leaving:
                member.active = False
            return
        if answer.act == "review":
            if answer.quality > 0 and self.random.random() < 0.7:
                self.write(thread, member, act="ack", tone="grateful", parent=answer)
            elif answer.quality == 0 and thread.rounds < 2 and not leaving:
                thread.rounds += 1
                self.write(
                    thread, member, act="clarify", tone="neutral", parent=answer, kind="patch"
                )
            if leaving:
                member.active = False
            return
        p_solved = min(0.95, 0.2 + 0.75 * answer.quality)
        if thread.uncontained:
            # Distress nobody contained: the asker gives up on the thread.
            p_solved *= 0.15
        if self.random.random() < p_solved:
            self.write(thread, member, act="ack", tone="grateful", parent=answer)
            thread.resolved = True
            self._day_counts["resolved"] += 1
            self._outcome(thread, answer, "accepted_answer", member, thread.posts[-1].at)
        elif self.random.random() < (
            0.5 if answer.tone == "hostile" else 0.6 if member.mood <= -0.2 else 0.25
        ):
            self.write(thread, member, act="distress", tone="distressed", parent=answer)
        elif thread.rounds < 2 and not leaving:
            thread.rounds += 1
            self.write(thread, member, act="clarify", tone="neutral", parent=answer)
        if leaving:
            member.active = False

    def _outcome(self, thread: Thread, post: Post, kind: str, actor: Member, at: int) -> None:
        self.recorder.outcomes.append(
            {
                "thread_id": thread.thread_id,
                "message_id": post.message_id,
                "kind": kind,
                "created_at": at,
                "actor_id": actor.person_id,
                "source_ref": "simulated",
            }
        )

    # -- truth ------------------------------------------------------------------------------

    def date(self, day: int) -> str:
        """ISO date of simulated ``day``."""
        return to_datetime(EPOCH_US + day * DAY_US).date().isoformat()
