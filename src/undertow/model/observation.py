"""The observation model: what a source could record about its community, and what it could not.

A trace holds what the source *recorded*, which is not all that happened. A git history
holds accepted work only; an IRC log records who spoke, rarely to whom; a MAINTAINERS
file read at release tags dates each role by the snapshot it first appears in, not by
the appointment; an archive's last months may hold only spam. The observation model
states these limits once, at ingest, so that metrics can skip what the source cannot
show and findings can say what they rest on. It is written into the trace's
``manifest.json`` under ``observation`` (see ``docs/outputs.md``):

``sources``
    The adapters that filled the trace (``git``, ``mbox``, ``irc``, ...).
``coverage``
    The window in which the source really observed the community: the first and last
    month of *sustained* activity (:func:`coverage_window`), the messages before it
    (strays) and after it (a tail, e.g. spam in an abandoned archive), the gaps inside
    it, and ``right_censored_at``: activity is not observed after it, so an absence
    after it is censoring, not departure.
``links``
    Reply-link provenance (messages ``parent_basis``): how many messages have a parent
    (or are a thread start) from an explicit header or field, an inferred one
    (``nick:`` addressing, quote matching), or an unknown one; ``coverage`` is the share
    with a known basis. Reply-structure metrics need ``coverage >=``
    :data:`LINK_COVERAGE_FLOOR`.
``roles``
    Role-date provenance (roles ``date_basis``): ``exact`` (a roster date, an election),
    ``interval`` (first seen in a snapshot: the start lies between ``valid_from_earliest``
    and ``valid_from``) or ``status`` (a badge or reputation tier: a standing, not an
    appointment); and the ends.
``facts``
    Each observation fact (:data:`FACTS`) with ``observable`` and, when it is not,
    the ``reason``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.schema import DATE_BASES, PARENT_BASES

__all__ = [
    "DATE_BASES",
    "DATE_TOLERANCE_DAYS",
    "FACTS",
    "LINK_COVERAGE_FLOOR",
    "PARENT_BASES",
    "Coverage",
    "ObservationModel",
    "appointment_mask",
    "coverage_window",
    "observation_model",
]


#: Reply-structure metrics need at least this share of messages with a known reply basis.
#: Below it (an IRC log where few lines say whom they answer) an unanswered message is
#: mostly an unrecorded link, not neglect.
LINK_COVERAGE_FLOOR = 0.5

#: An interval-censored role start narrower than this (days) is used as a date.
DATE_TOLERANCE_DAYS = 7

#: Observation facts a metric may need, and what each means.
FACTS: dict[str, str] = {
    "rejections": "contributions that were not taken up are recorded (so uptake and "
    "rejection can be compared)",
    "conversation": "the source records conversation as it happened (who answered whom, "
    "who stayed silent), not only the record of accepted work",
    "reply_links": f"at least {LINK_COVERAGE_FLOOR:.0%} of messages carry a known reply basis",
    "appointments": "some formal roles have appointment dates (exact, or an interval of at "
    f"most {DATE_TOLERANCE_DAYS} days), not snapshot or status dates",
}

#: Below this reply-link coverage, findings say how many links the source recorded.
_CAVEAT_COVERAGE = 0.95

_MONTH_MIN_MESSAGES = 5
_MONTH_MIN_AUTHORS = 3
_MONTH_SHARE = 0.1


@dataclass(frozen=True)
class Coverage:
    """The window of sustained activity (UTC), and what lies outside it.

    Attributes
    ----------
    first_at, last_at
        First and last message of the trace.
    sustained_from, sustained_to
        First and last message inside the first and last month of sustained activity.
    n_before, n_after
        Messages before ``sustained_from`` (strays) and after ``sustained_to`` (tail).
    authors_after
        Distinct authors of the tail (a one-author tail is typically spam).
    gaps
        ``(from, to)`` month starts of runs of two or more months inside the window
        without sustained activity.
    """

    first_at: datetime | None
    last_at: datetime | None
    sustained_from: datetime | None
    sustained_to: datetime | None
    n_before: int = 0
    n_after: int = 0
    authors_after: int = 0
    gaps: tuple[tuple[datetime, datetime], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (ISO dates)."""
        return {
            "first_at": _iso(self.first_at),
            "last_at": _iso(self.last_at),
            "sustained_from": _iso(self.sustained_from),
            "sustained_to": _iso(self.sustained_to),
            "right_censored_at": _iso(self.sustained_to),
            "strays_before": self.n_before,
            "tail_after": self.n_after,
            "tail_authors": self.authors_after,
            "gaps": [[_iso(a), _iso(b)] for a, b in self.gaps],
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_iso(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _month(microseconds: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    months: npt.NDArray[np.int64] = (
        microseconds.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
    )
    return months


def _month_start(month: int) -> datetime:
    value = np.datetime64(int(month), "M").astype("datetime64[s]").item()
    assert isinstance(value, datetime)  # noqa: S101 - numpy returns datetime for [s]
    return value.replace(tzinfo=UTC)


def _utc(microseconds: int) -> datetime:
    return datetime.fromtimestamp(microseconds / 1e6, tz=UTC)


def coverage_window(created_us: npt.NDArray[np.int64], author: npt.NDArray[np.int64]) -> Coverage:
    """The window of sustained activity of a message stream.

    A calendar month is *sustained* when it has at least
    max(5, 10 % of the median active month) messages and max(3, 10 % of the median
    active month) distinct authors. The window runs from the first message of the
    first sustained month to the last message of the last one; messages outside it are
    counted as strays (before) and tail (after), never dropped from the trace.

    Examples
    --------
    >>> import numpy as np
    >>> day = 86_400 * 1_000_000
    >>> start = 1_704_067_200 * 1_000_000  # 2024-01-01
    >>> times = np.array([start + i * day for i in range(90)] + [start + 400 * day] * 6)
    >>> authors = np.array([i % 7 for i in range(90)] + [99] * 6)
    >>> window = coverage_window(times, authors)
    >>> window.sustained_to.date().isoformat(), window.n_after, window.authors_after
    ('2024-03-30', 6, 1)
    """
    if created_us.size == 0:
        return Coverage(None, None, None, None)
    month = _month(created_us)
    first_month = int(month.min())
    index = month - first_month
    n_months = int(index.max()) + 1
    messages = np.bincount(index, minlength=n_months)
    pairs = np.unique(index * (int(author.max()) + 1) + author)
    authors = np.bincount(pairs // (int(author.max()) + 1), minlength=n_months)
    active = messages > 0
    min_messages = max(_MONTH_MIN_MESSAGES, _MONTH_SHARE * float(np.median(messages[active])))
    min_authors = max(_MONTH_MIN_AUTHORS, _MONTH_SHARE * float(np.median(authors[active])))
    sustained = (messages >= min_messages) & (authors >= min_authors)
    if not sustained.any():
        # Too little activity to tell sustained from stray: the whole span counts.
        sustained = active
    months = np.flatnonzero(sustained)
    low, high = int(months[0]), int(months[-1])
    inside = (index >= low) & (index <= high)
    sustained_from = int(created_us[inside].min())
    sustained_to = int(created_us[inside].max())
    after = index > high
    gaps: list[tuple[datetime, datetime]] = []
    run_start = None
    for m in range(low, high + 1):
        if not sustained[m]:
            run_start = m if run_start is None else run_start
            continue
        if run_start is not None and m - run_start >= 2:
            gaps.append((_month_start(first_month + run_start), _month_start(first_month + m)))
        run_start = None
    return Coverage(
        first_at=_utc(int(created_us.min())),
        last_at=_utc(int(created_us.max())),
        sustained_from=_utc(sustained_from),
        sustained_to=_utc(sustained_to),
        n_before=int((index < low).sum()),
        n_after=int(after.sum()),
        authors_after=int(np.unique(author[after]).size),
        gaps=tuple(gaps),
    )


@dataclass(frozen=True)
class ObservationModel:
    """What the trace's sources could observe (see the module docstring).

    ``unobservable`` maps a fact of :data:`FACTS` to the reason the source cannot show
    it; every other fact is observable.
    """

    sources: tuple[str, ...] = ()
    coverage: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, Any] = field(default_factory=dict)
    roles: Mapping[str, Any] = field(default_factory=dict)
    outcomes: tuple[str, ...] = ()
    unobservable: Mapping[str, str] = field(default_factory=dict)

    def lacks(self, fact: str) -> str | None:
        """The reason ``fact`` is not observable in the trace, or ``None`` if it is."""
        if fact not in FACTS:
            raise ValueError(f"unknown observation fact {fact!r}; expected one of {sorted(FACTS)}")
        return self.unobservable.get(fact)

    def moment(self, key: str) -> datetime | None:
        """A coverage date (``sustained_from``, ``right_censored_at``, ...) as a datetime."""
        value = self.coverage.get(key)
        return _from_iso(value) if isinstance(value, str) else None

    def caveat(self) -> str:
        """What the source could not record, in one or two sentences (for findings)."""
        parts = []
        links = self.links
        if links.get("n_messages") and float(links.get("coverage", 0.0)) < _CAVEAT_COVERAGE:
            parts.append(
                f"{links.get('coverage', 0.0):.0%} of messages carry a reply link from the "
                f"source ({links.get('explicit', 0)} explicit, {links.get('inferred', 0)} "
                "inferred); an unrecorded link reads as an unanswered message"
            )
        if "rejections" in self.unobservable:
            parts.append(self.unobservable["rejections"])
        tail = int(self.coverage.get("tail_after", 0) or 0)
        if tail:
            parts.append(
                f"{tail} messages after {str(self.coverage.get('right_censored_at'))[:10]} "
                "lie outside the sustained activity and are not read as a decline"
            )
        text = "; ".join(parts)
        return (text[0].upper() + text[1:] + ".") if text else ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to the manifest."""
        return {
            "sources": list(self.sources),
            "coverage": dict(self.coverage),
            "links": dict(self.links),
            "roles": dict(self.roles),
            "outcomes": list(self.outcomes),
            "facts": {
                fact: (
                    {"observable": False, "reason": self.unobservable[fact]}
                    if fact in self.unobservable
                    else {"observable": True}
                )
                for fact in FACTS
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObservationModel:
        """Read the manifest form back."""
        facts = data.get("facts", {})
        return cls(
            sources=tuple(data.get("sources", ())),
            coverage=dict(data.get("coverage", {})),
            links=dict(data.get("links", {})),
            roles=dict(data.get("roles", {})),
            outcomes=tuple(data.get("outcomes", ())),
            unobservable={
                name: str(value.get("reason", ""))
                for name, value in facts.items()
                if not value.get("observable", True)
            },
        )


def _timestamps(column: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.int64]:
    values: npt.NDArray[np.int64] = (
        column.cast(pa.timestamp("us", tz="UTC"))
        .cast(pa.int64())
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
    )
    return values


def _link_summary(messages: pa.Table) -> dict[str, Any]:
    n = messages.num_rows
    if "parent_basis" in messages.column_names:
        basis = pc.fill_null(messages.column("parent_basis"), "explicit")
    else:
        basis = pa.array(["explicit"] * n, pa.string())
    counts = {str(v["values"]): int(v["counts"]) for v in pc.value_counts(basis).to_pylist()}
    known = counts.get("explicit", 0) + counts.get("inferred", 0)
    return {
        "n_messages": n,
        "explicit": counts.get("explicit", 0),
        "inferred": counts.get("inferred", 0),
        "unknown": counts.get("unknown", 0),
        "with_parent": n - messages.column("parent_id").null_count,
        "coverage": round(known / n, 4) if n else 0.0,
        "floor": LINK_COVERAGE_FLOOR,
    }


def _role_summary(roles: pa.Table | None) -> dict[str, Any]:
    if roles is None or roles.num_rows == 0:
        return {"n_roles": 0, "exact": 0, "interval": 0, "status": 0, "ends": 0, "dated_starts": 0}
    basis = (
        pc.fill_null(roles.column("date_basis"), "exact")
        if "date_basis" in roles.column_names
        else pa.array(["exact"] * roles.num_rows)
    )
    counts = {str(v["values"]): int(v["counts"]) for v in pc.value_counts(basis).to_pylist()}
    formal = pc.greater(roles.column("rank"), 0)
    dated = pc.and_(formal, pc.is_valid(roles.column("valid_from")))
    appointment = pc.and_(dated, appointment_mask(roles))
    return {
        "n_roles": roles.num_rows,
        "exact": counts.get("exact", 0),
        "interval": counts.get("interval", 0),
        "status": counts.get("status", 0),
        "ends": roles.num_rows - roles.column("valid_to").null_count,
        "dated_starts": int(pc.sum(dated).as_py() or 0),
        "appointment_starts": int(pc.sum(appointment).as_py() or 0),
    }


def appointment_mask(roles: pa.Table) -> pa.Array:
    """Rows whose ``valid_from`` dates an appointment (not a snapshot or a status).

    Exact dates count; interval-censored starts count when the interval is at most
    :data:`DATE_TOLERANCE_DAYS` wide; status roles (badges, reputation tiers) never.
    """
    n = roles.num_rows
    if "date_basis" not in roles.column_names:
        return pa.array(np.ones(n, dtype=bool))
    basis = pc.fill_null(roles.column("date_basis"), "exact")
    exact = pc.equal(basis, "exact")
    width = pc.subtract(
        roles.column("valid_from").cast(pa.int64()),
        roles.column("valid_from_earliest").cast(pa.int64()),
    )
    narrow = pc.fill_null(pc.less_equal(width, DATE_TOLERANCE_DAYS * 86_400 * 1_000_000), False)
    mask = pc.or_(exact, pc.and_(pc.equal(basis, "interval"), narrow))
    return mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask


def observation_model(
    tables: Mapping[str, pa.Table],
    *,
    sources: Iterable[str] = (),
    unobservable: Mapping[str, str] | None = None,
    detect_coverage: bool = True,
) -> ObservationModel:
    """Compute the observation model of trace tables plus what the adapters declared.

    ``unobservable`` holds the facts the adapters declared they cannot show (git:
    ``rejections``, ``conversation``); ``reply_links`` and ``appointments`` are
    computed here from the tables. With ``detect_coverage=False`` (a simulated or
    hand-built trace, observed completely by construction) the coverage window is the
    whole span of the messages.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> model = observation_model(tiny_trace()._arrow)
    >>> model.lacks("reply_links") is None, model.links["coverage"]
    (True, 1.0)
    """
    messages = tables["messages"]
    created = _timestamps(messages.column("created_at"))
    author_codes = pc.index_in(
        messages.column("author_id"), value_set=pc.unique(messages.column("author_id"))
    )
    author = np.asarray(author_codes.to_numpy(zero_copy_only=False), dtype=np.int64)
    coverage = (
        coverage_window(created, author)
        if detect_coverage or created.size == 0
        else Coverage(
            first_at=_utc(int(created.min())),
            last_at=_utc(int(created.max())),
            sustained_from=_utc(int(created.min())),
            sustained_to=_utc(int(created.max())),
        )
    )
    links = _link_summary(messages)
    roles = _role_summary(tables.get("roles"))
    outcomes_table = tables.get("outcomes")
    outcomes = (
        tuple(sorted(str(v) for v in pc.unique(outcomes_table.column("kind")).to_pylist()))
        if outcomes_table is not None and outcomes_table.num_rows
        else ()
    )
    lacking = dict(unobservable or {})
    if links["n_messages"] and links["coverage"] < LINK_COVERAGE_FLOOR:
        lacking["reply_links"] = (
            f"only {links['coverage']:.0%} of messages carry a known reply link "
            f"({links['explicit'] + links['inferred']} of {links['n_messages']}; the floor "
            f"is {LINK_COVERAGE_FLOOR:.0%})"
        )
    if roles["n_roles"] and not roles.get("appointment_starts"):
        lacking["appointments"] = (
            "no formal role has an appointment date: "
            f"{roles['interval']} role dates are snapshot intervals and {roles['status']} "
            "are status (badges, reputation), not appointments"
        )
    return ObservationModel(
        sources=tuple(sorted(set(sources))),
        coverage=coverage.as_dict(),
        links=links,
        roles=roles,
        outcomes=outcomes,
        unobservable=dict(sorted(lacking.items())),
    )
