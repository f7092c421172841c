"""Newcomer reception: was a person's first message answered, how fast, how warmly, by whom.

Joyce & Kraut (2006) found that newcomers whose first post got a reply were more
likely to post again; Arguello et al. (2006) traced what makes a first post answered.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.features.bootstrap import bootstrap_ci, bootstrap_ratio_ci
from undertow.features.core import core_membership
from undertow.features.coverage import coverage_bounds
from undertow.features.newcomers import first_messages
from undertow.features.status import message_status
from undertow.features.threads import distinct
from undertow.model.schema import TIMESTAMP
from undertow.model.trace import Trace
from undertow.themes.novices_masters._intervals import newcombe_interval, wilson_interval
from undertow.themes.registry import Chart, metric

__all__ = [
    "FOLLOW_UP_DAYS",
    "RECEPTION_SCHEMA",
    "TONE_THRESHOLD",
    "newcomer_reception",
    "newcomer_table",
    "reception_by_replier_role",
    "return_by_reception",
]

#: A newcomer *returned* if they wrote in another thread within this many days of their
#: first message; a newcomer *left* if their last message is this long before the end.
FOLLOW_UP_DAYS = 180

#: VADER compound at or beyond which a first reply counts as warm (>=) or hostile (<=-).
TONE_THRESHOLD = 0.05

_DAY_US = 86_400 * 1_000_000

RECEPTION_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string()),
        pa.field("message_id", pa.string()),
        pa.field("joined_at", TIMESTAMP),
        pa.field("cohort", TIMESTAMP),
        pa.field("is_thread_start", pa.bool_()),
        pa.field("replied", pa.bool_()),
        pa.field("latency_hours", pa.float64()),
        pa.field("replier_id", pa.string()),
        pa.field("replier_is_core", pa.bool_()),
        pa.field("replier_is_formal", pa.bool_()),
        pa.field("reply_compound", pa.float64()),
        pa.field("reply_tone", pa.string()),
        pa.field("returned", pa.bool_()),
        pa.field("posted_again", pa.bool_()),
        pa.field("duration_days", pa.float64()),
        pa.field("left", pa.bool_()),
        pa.field("n_messages", pa.int64()),
    ]
)


def _affect(trace: Trace) -> pa.Table | None:
    """Affect of every message, or ``None`` when the affect feature is unavailable."""
    try:
        from undertow.features.affect import message_affect
    except ImportError:  # the language feature is optional for this theme
        return None
    table: pa.Table = message_affect(trace)
    return table


def _lookup(keys: pa.Array, table: pa.Table, key: str, column: str) -> pa.Array:
    """Values of ``table[column]`` for ``keys`` matched on ``table[key]`` (null if absent)."""
    index = pc.index_in(keys, value_set=table.column(key))
    return (
        table.column(column).take(index).combine_chunks()
        if table.num_rows
        else pa.nulls(len(keys), table.schema.field(column).type)
    )


def newcomer_table(trace: Trace) -> pa.Table:
    """One row per newcomer: reception of the first message and what happened after.

    Columns (:data:`RECEPTION_SCHEMA`): the first message, its quarter ``cohort``,
    whether someone else replied and the latency; the first replier, whether they were
    in the core that quarter (:func:`~undertow.features.core.core_membership`) or held
    a formal role; the first reply's VADER compound and ``reply_tone``
    (``warm``/``neutral``/``hostile``; null when no reply or affect is unavailable);
    ``returned`` (wrote in another thread within :data:`FOLLOW_UP_DAYS`, null when the
    trace ends before that); ``posted_again`` (wrote anything later within that time,
    the same thread included: Joyce & Kraut's looser sense); ``duration_days`` from
    the first to the last message
    (or to the end of the trace when censored) and ``left`` (the last message is more
    than :data:`FOLLOW_UP_DAYS` before the end of the trace).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> table = newcomer_table(tiny_trace())
    >>> table["person_id"].to_pylist(), table["replied"].to_pylist()
    (['asker', 'dev', 'helper', 'lead', 'newbie'], [True, True, True, True, False])
    """

    def compute() -> pa.Table:
        firsts = first_messages(trace)
        if firsts.num_rows == 0:
            return RECEPTION_SCHEMA.empty_table()
        messages = trace.arrow("messages")
        last_message = pc.max(messages.column("created_at")).cast(pa.int64()).as_py()
        # Silence after the source stopped observing the community is censoring.
        observed_to = coverage_bounds(trace)[1]
        end = last_message if observed_to is None else min(last_message, observed_to)
        joined = firsts.column("created_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
        reply_at = firsts.column("first_reply_at").cast(pa.int64())
        latency = (
            pc.subtract(reply_at, pa.array(joined))
            .cast(pa.float64())
            .to_numpy(zero_copy_only=False)
            / 3.6e9
        )
        # Later activity per newcomer, from the messages table (vectorised with NumPy).
        author_index = pc.index_in(
            messages.column("author_id"), value_set=firsts.column("person_id")
        )
        valid = author_index.is_valid().to_numpy(zero_copy_only=False)
        who = author_index.fill_null(0).to_numpy(zero_copy_only=False)[valid]
        when = messages.column("created_at").cast(pa.int64()).to_numpy(zero_copy_only=False)[valid]
        first_thread = firsts.column("thread_id").combine_chunks().take(pa.array(who))
        own_thread = messages.column("thread_id").combine_chunks().filter(pa.array(valid))
        other_thread = pc.not_equal(own_thread, first_thread).to_numpy(zero_copy_only=False)
        n_people = firsts.num_rows
        last = np.full(n_people, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, who, when)
        n_messages = np.bincount(who, minlength=n_people)
        horizon = FOLLOW_UP_DAYS * _DAY_US
        in_window = other_thread & (when > joined[who]) & (when <= joined[who] + horizon)
        returned = np.bincount(who[in_window], minlength=n_people) > 0
        again = (when > joined[who]) & (when <= joined[who] + horizon)
        posted_again = np.bincount(who[again], minlength=n_people) > 0
        followed = joined + horizon <= end
        left = last < end - horizon
        duration = np.where(left, last - joined, np.maximum(end - joined, 0)) / _DAY_US

        replier = firsts.column("first_replier_id").combine_chunks()
        cohort = pc.floor_temporal(firsts.column("created_at"), unit="quarter")
        reply_period = pc.floor_temporal(firsts.column("first_reply_at"), unit="quarter")
        core = core_membership(trace, window="quarter")
        core_key = pc.binary_join_element_wise(
            core.column("period").cast(pa.int64()).cast(pa.string()), core.column("person_id"), "|"
        )
        reply_key = pc.binary_join_element_wise(
            reply_period.cast(pa.int64()).cast(pa.string()), replier, "|"
        )
        core_index = pc.index_in(reply_key, value_set=core_key)
        replier_is_core = pc.if_else(
            firsts.column("replied"),
            core.column("is_core").combine_chunks().take(core_index).fill_null(False)
            if core.num_rows
            else pa.repeat(pa.scalar(False), n_people),
            pa.scalar(None, pa.bool_()),
        )
        status = message_status(trace)
        rank = _lookup(
            firsts.column("first_reply_id").combine_chunks(), status, "message_id", "formal_rank"
        )
        replier_is_formal = pc.if_else(
            firsts.column("replied"), pc.greater(rank.fill_null(0), 0), pa.scalar(None, pa.bool_())
        )
        affect = _affect(trace)
        if affect is None:
            compound = pa.nulls(n_people, pa.float64())
        else:
            compound = _lookup(
                firsts.column("first_reply_id").combine_chunks(), affect, "message_id", "compound"
            ).cast(pa.float64())
        values = compound.to_numpy(zero_copy_only=False)
        tone = np.where(
            values >= TONE_THRESHOLD,
            "warm",
            np.where(values <= -TONE_THRESHOLD, "hostile", "neutral"),
        )
        reply_tone = pa.array(tone, pa.string(), mask=np.isnan(values))
        return pa.table(
            {
                "person_id": firsts.column("person_id"),
                "message_id": firsts.column("message_id"),
                "joined_at": firsts.column("created_at"),
                "cohort": cohort,
                "is_thread_start": firsts.column("is_thread_start"),
                "replied": firsts.column("replied"),
                "latency_hours": pa.array(latency, pa.float64(), mask=np.isnan(latency)),
                "replier_id": replier,
                "replier_is_core": replier_is_core,
                "replier_is_formal": replier_is_formal,
                "reply_compound": compound,
                "reply_tone": reply_tone,
                "returned": pa.array(returned, pa.bool_(), mask=~followed),
                "posted_again": pa.array(posted_again, pa.bool_(), mask=~followed),
                "duration_days": pa.array(duration, pa.float64()),
                "left": pa.array(left, pa.bool_()),
                "n_messages": pa.array(n_messages, pa.int64()),
            },
            schema=RECEPTION_SCHEMA,
        )

    result: pa.Table = trace.cached("newcomer_table", compute)
    return result


RECEPTION_COLUMNS = (
    "measure",
    "group",
    "value",
    "value_lo",
    "value_hi",
    "n",
    "n_people",
    "tone_source",
)


def _share_row(
    measure: str, group: str, hits: np.ndarray, seed: int, tone_source: str
) -> dict[str, object]:
    estimate, low, high = bootstrap_ratio_ci(hits.astype(float), np.ones(hits.size), seed=seed)
    return {
        "measure": measure,
        "group": group,
        "value": estimate,
        "value_lo": low,
        "value_hi": high,
        "n": int(hits.size),
        "n_people": int(hits.size),
        "tone_source": tone_source,
    }


@metric(
    seeded=True,
    theme="novices_masters",
    columns=RECEPTION_COLUMNS,
    source="Joyce & Kraut 2006; Arguello et al. 2006 (newcomer reception)",
    chart=Chart(
        kind="errorbar",
        x="measure",
        y="value",
        group="group",
        lo="value_lo",
        hi="value_hi",
        title="How newcomers' first messages were received",
    ),
    observes=("conversation", "reply_links"),
)
def newcomer_reception(trace: Trace, *, seed: int = 0) -> pa.Table:
    """How newcomers' first messages were received: replied, how fast, how warmly, by whom.

    Rows (``measure``/``group``): ``replied_share`` (all, thread starts, replies in
    others' threads); ``latency_hours_median`` of replied first messages; among replied
    ones, ``replier_core_share``, ``replier_formal_share``, ``hostile_reply_share`` and
    ``warm_reply_share`` (VADER compound ≤ −0.05 / ≥ 0.05). CIs bootstrap newcomers
    (500 replicates, seeded). ``tone_source`` says ``vader`` or ``unavailable`` (the
    affect feature could not be imported: tone rows are then NaN).

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> rows = newcomer_reception(tiny_trace()).to_pylist()
    >>> rows[0]["measure"], rows[0]["value"], rows[0]["n"]
    ('replied_share', 0.8, 5)
    """
    table = newcomer_table(trace)
    tone_source = "unavailable" if _affect_missing() else "vader"
    if table.num_rows == 0:
        return pa.table({c: [] for c in RECEPTION_COLUMNS}, schema=_reception_summary_schema())
    replied = table.column("replied").to_numpy(zero_copy_only=False).astype(bool)
    start = table.column("is_thread_start").to_numpy(zero_copy_only=False).astype(bool)
    rows = [
        _share_row("replied_share", "all", replied, seed, tone_source),
        _share_row("replied_share", "thread_start", replied[start], seed, tone_source),
        _share_row("replied_share", "reply_in_thread", replied[~start], seed, tone_source),
    ]
    latency = table.column("latency_hours").to_numpy(zero_copy_only=False)[replied]
    median, low, high = (
        bootstrap_ci(latency, np.median, seed=seed)
        if latency.size
        else (
            float("nan"),
            float("nan"),
            float("nan"),
        )
    )
    rows.append(
        {
            "measure": "latency_hours_median",
            "group": "replied",
            "value": median,
            "value_lo": low,
            "value_hi": high,
            "n": int(latency.size),
            "n_people": int(latency.size),
            "tone_source": tone_source,
        }
    )
    for measure, column in (
        ("replier_core_share", "replier_is_core"),
        ("replier_formal_share", "replier_is_formal"),
    ):
        values = table.column(column).to_numpy(zero_copy_only=False)[replied].astype(bool)
        rows.append(_share_row(measure, "replied", values, seed, tone_source))
    tone_column = table.column("reply_tone")
    for measure, label in (("hostile_reply_share", "hostile"), ("warm_reply_share", "warm")):
        if tone_source == "unavailable":
            rows.append(
                {
                    "measure": measure,
                    "group": "replied",
                    "value": float("nan"),
                    "value_lo": float("nan"),
                    "value_hi": float("nan"),
                    "n": 0,
                    "n_people": 0,
                    "tone_source": tone_source,
                }
            )
        else:
            is_label = pc.fill_null(pc.equal(tone_column, label), False)
            flags = np.asarray(is_label.to_numpy(zero_copy_only=False), dtype=bool)[replied]
            rows.append(_share_row(measure, "replied", flags, seed, tone_source))
    return pa.Table.from_pylist(rows, schema=_reception_summary_schema())


def _affect_missing() -> bool:
    try:
        import undertow.features.affect  # noqa: F401
    except ImportError:
        return True
    return False


def _reception_summary_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("measure", pa.string()),
            pa.field("group", pa.string()),
            pa.field("value", pa.float64()),
            pa.field("value_lo", pa.float64()),
            pa.field("value_hi", pa.float64()),
            pa.field("n", pa.int64()),
            pa.field("n_people", pa.int64()),
            pa.field("tone_source", pa.string()),
        ]
    )


RETURN_SCHEMA = pa.schema(
    [
        pa.field("measure", pa.string()),
        pa.field("group", pa.string()),
        pa.field("return_rate", pa.float64()),
        pa.field("return_rate_lo", pa.float64()),
        pa.field("return_rate_hi", pa.float64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    theme="novices_masters",
    columns=RETURN_SCHEMA.names,
    source="Joyce & Kraut 2006 (a reply lifted return from 44% to 56%)",
    chart=Chart(
        kind="errorbar",
        x="group",
        y="return_rate",
        group="measure",
        lo="return_rate_lo",
        hi="return_rate_hi",
        title="Newcomers who came back, by reception of their first message",
    ),
    observes=("conversation", "reply_links"),
)
def return_by_reception(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Share of newcomers who came back, replied vs ignored, and the difference.

    Two measures of coming back within :data:`FOLLOW_UP_DAYS` (180) days of the first
    message: ``new_thread`` (wrote in another thread: a new question or contribution,
    so a thank-you in the same thread does not count) and ``any_message`` (wrote
    anything later, as in Joyce & Kraut 2006). Newcomers who joined less than that
    before the end of the trace are left out. Rows per measure: ``replied``,
    ``ignored`` (Wilson 95% CIs) and ``difference`` (replied − ignored, Newcombe's
    hybrid interval); ``seed`` is unused.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> return_by_reception(tiny_trace()).num_rows
    0
    """
    table = newcomer_table(trace)
    followed = table.filter(pc.is_valid(table.column("returned")))
    if followed.num_rows == 0:
        return RETURN_SCHEMA.empty_table()
    replied = followed.column("replied").to_numpy(zero_copy_only=False).astype(bool)
    rows = []
    for measure, column in (("new_thread", "returned"), ("any_message", "posted_again")):
        came_back = followed.column(column).to_numpy(zero_copy_only=False).astype(bool)
        x1, n1 = float(came_back[replied].sum()), float(replied.sum())
        x2, n2 = float(came_back[~replied].sum()), float((~replied).sum())
        for group, x, size in (("replied", x1, n1), ("ignored", x2, n2)):
            low, high = wilson_interval(x, size)
            rows.append(
                {
                    "measure": measure,
                    "group": group,
                    "return_rate": x / size if size else float("nan"),
                    "return_rate_lo": low,
                    "return_rate_hi": high,
                    "n_people": int(size),
                    "n": int(size),
                }
            )
        gap, low, high = newcombe_interval(x1, n1, x2, n2)
        rows.append(
            {
                "measure": measure,
                "group": "difference",
                "return_rate": gap,
                "return_rate_lo": low,
                "return_rate_hi": high,
                "n_people": int(n1 + n2),
                "n": int(n1 + n2),
            }
        )
    return pa.Table.from_pylist(rows, schema=RETURN_SCHEMA)


BY_ROLE_SCHEMA = pa.schema(
    [
        pa.field("replier_role", pa.string()),
        pa.field("replier_rank", pa.int64()),
        pa.field("share", pa.float64()),
        pa.field("share_lo", pa.float64()),
        pa.field("share_hi", pa.float64()),
        pa.field("latency_hours_median", pa.float64()),
        pa.field("return_rate", pa.float64()),
        pa.field("return_rate_lo", pa.float64()),
        pa.field("return_rate_hi", pa.float64()),
        pa.field("n_people", pa.int64()),
        pa.field("n", pa.int64()),
    ]
)


@metric(
    seeded=True,
    theme="novices_masters",
    columns=BY_ROLE_SCHEMA.names,
    requires=("roles",),
    source="Joyce & Kraut 2006; Lave & Wenger 1991",
    chart=Chart(
        kind="bar",
        x="replier_role",
        y="share",
        lo="share_lo",
        hi="share_hi",
        title="Who first answered newcomers, by formal role (or reputation tier)",
    ),
    observes=("conversation", "reply_links"),
)
def reception_by_replier_role(trace: Trace, *, seed: int = 0) -> pa.Table:
    """Newcomers' first messages by the formal role of their first replier, and what followed.

    For first messages that got a reply: the share first answered by holders of each
    role at the time of the reply (highest rank wins; ``none`` without a role; on Stack
    Exchange the roles are reputation tiers), the median latency, and the share of those
    newcomers who came back in another thread within 180 days (Wilson 95% CI). Shares
    have 95% CIs bootstrapping newcomers (seeded). ``n`` = newcomers in the row,
    ``n_people`` = distinct repliers.

    Examples
    --------
    >>> from undertow.testing import tiny_trace
    >>> [(r["replier_role"], r["n"]) for r in reception_by_replier_role(tiny_trace()).to_pylist()]
    [('maintainer', 3), ('none', 1)]
    """
    table = newcomer_table(trace).filter(pc.field("replied"))
    if table.num_rows == 0:
        return BY_ROLE_SCHEMA.empty_table()
    firsts = first_messages(trace)
    status = message_status(trace)
    reply_ids = _lookup(table.column("message_id"), firsts, "message_id", "first_reply_id")
    role = _lookup(reply_ids, status, "message_id", "formal_role").fill_null("none")
    rank = _lookup(reply_ids, status, "message_id", "formal_rank").fill_null(0)
    encoded_role = pc.dictionary_encode(role)
    role_code = np.asarray(encoded_role.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    code_of = {name: code for code, name in enumerate(encoded_role.dictionary.to_pylist())}
    ranks = np.asarray(rank.to_numpy(zero_copy_only=False), dtype=np.int64)
    latency = table.column("latency_hours").to_numpy(zero_copy_only=False)
    returned_column = table.column("returned")
    followed = np.asarray(pc.is_valid(returned_column).to_numpy(zero_copy_only=False), dtype=bool)
    returned = np.asarray(
        pc.fill_null(returned_column, False).to_numpy(zero_copy_only=False), dtype=bool
    )
    encoded_replier = pc.dictionary_encode(table.column("replier_id").combine_chunks())
    repliers = np.asarray(encoded_replier.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    rows = []
    for name in sorted(code_of, key=lambda r: (-int(ranks[role_code == code_of[r]].max()), r)):
        mask = role_code == code_of[name]
        share, low, high = bootstrap_ratio_ci(mask.astype(float), np.ones(mask.size), seed=seed)
        x, size = float((returned & followed & mask).sum()), float((followed & mask).sum())
        r_low, r_high = wilson_interval(x, size)
        rows.append(
            {
                "replier_role": name,
                "replier_rank": int(ranks[mask].max()),
                "share": share,
                "share_lo": low,
                "share_hi": high,
                "latency_hours_median": float(np.median(latency[mask])),
                "return_rate": x / size if size else None,
                "return_rate_lo": r_low if size else None,
                "return_rate_hi": r_high if size else None,
                "n_people": int(distinct(repliers[mask]).size),
                "n": int(mask.sum()),
            }
        )
    return pa.Table.from_pylist(rows, schema=BY_ROLE_SCHEMA)
