"""Large synthetic traces for benchmarks: fast, vectorised, heavy-tailed — not a model of power.

The simulator (:mod:`undertow.simulate`) is for realism and planted truth; this generator
is for scale. It draws a community with Zipf-like activity, heavy-tailed thread sizes,
reply trees, formal roles with units, official and emergent spaces, outcomes, and message
text from a fixed vocabulary, at any size (100k, 1M, 10M messages) in seconds, with numpy
and Arrow compute only.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from undertow.model.schema import TABLES, TIMESTAMP

__all__ = ["VOCABULARY", "synthetic_tables"]

#: Words messages are made of: function words (for coordination), tone words (for affect
#: and politeness), and technical terms (for idea uptake and divergence).
_WORDS = """
the a an and but or so because if when while of in on at to for with from by about
i you we they he she it me my your our this that these those there here
is are was were be been have has had do does did can could will would should may
not no never all some many much more most very really just also only even
thanks thank please sorry great good nice helpful works fixed wrong bad broken
hate awful stupid love happy sad worried confused frustrated glad appreciate
driver kernel patch camera device module build config error log crash probe
stream frame format buffer usb video audio bug issue release review commit
test branch merge docs process policy guideline template checklist workaround
"""
VOCABULARY: tuple[str, ...] = (*_WORDS.split(), *(f"term{i:03d}" for i in range(300)))


def _zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights: np.ndarray = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def _ids(prefix: str, index: np.ndarray, seed: int) -> pa.Array:
    """Pseudonym-shaped ids: the prefix, a seed tag and the index in hex."""
    tag = hashlib.sha256(str(seed).encode()).hexdigest()[:4]
    hex_index = pc.utf8_lpad(pa.array(np.char.mod("%x", index)), width=8, padding="0")
    return pc.binary_join_element_wise(f"{prefix}{tag}", hex_index, "")


def synthetic_tables(
    n_messages: int,
    *,
    seed: int = 0,
    people_per_message: float = 0.05,
    thread_size_exponent: float = 2.0,
    max_thread_size: int = 2_000,
    single_thread: bool = False,
    years: float = 3.0,
    words_per_message: float = 18.0,
) -> dict[str, pa.Table]:
    """Generate the tables of a synthetic trace with ``n_messages`` messages.

    Parameters
    ----------
    n_messages
        Number of messages.
    seed
        Seed of the random generator (same seed, same tables).
    people_per_message
        People per message (0.05 → 5,000 people for 100k messages).
    thread_size_exponent
        Exponent of the Zipf law of thread sizes (2.0 gives a mean of about 5).
    max_thread_size
        Largest thread (the Zipf tail is cut there).
    single_thread
        Put every message in one thread (the worst case for per-thread work).
    years
        Time span of the trace.
    words_per_message
        Mean message length in words.

    Returns
    -------
    dict of pyarrow.Table
        ``messages``, ``people``, ``roles``, ``spaces``, ``outcomes``; valid against the schema.

    Examples
    --------
    >>> tables = synthetic_tables(1_000, seed=1)
    >>> tables["messages"].num_rows
    1000
    >>> from undertow.model.trace import Trace
    >>> Trace(tables).n_messages
    1000
    """
    rng = np.random.default_rng(seed)
    n = int(n_messages)
    n_people = max(10, int(n * people_per_message))

    # Threads: heavy-tailed sizes that add up to n.
    if single_thread:
        sizes = np.array([n], dtype=np.int64)
    else:
        draws = np.minimum(rng.zipf(thread_size_exponent, size=n), max_thread_size)
        cumulative = np.cumsum(draws)
        n_threads = int(np.searchsorted(cumulative, n) + 1)
        sizes = draws[:n_threads].astype(np.int64)
        sizes[-1] -= int(cumulative[n_threads - 1] - n)
        sizes = sizes[sizes > 0]
    n_threads = sizes.size
    thread_of = np.repeat(np.arange(n_threads), sizes)
    thread_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(n) - thread_start[thread_of]

    # Reply trees: mostly to the previous message, sometimes to an earlier one.
    earlier = np.floor(rng.random(n) * np.maximum(position, 1)).astype(np.int64)
    previous = position - 1
    parent_position = np.where(rng.random(n) < 0.6, previous, earlier)
    parent_index = np.where(position > 0, thread_start[thread_of] + parent_position, -1)

    # Authors: Zipf-like activity; thread starters and repliers drawn from the same curve.
    activity = _zipf_weights(n_people, 1.1)
    permutation = rng.permutation(n_people)
    author = permutation[rng.choice(n_people, size=n, p=activity)]

    # Times: threads start uniformly over the span; replies follow with exponential gaps.
    span_us = int(years * 365.25 * 86_400 * 1e6)
    origin_us = int(datetime(2018, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    start_us = np.sort(rng.integers(0, span_us, size=n_threads))
    gaps = rng.exponential(6 * 3_600 * 1e6, size=n).astype(np.int64)
    gaps[thread_start] = 0
    offsets = np.cumsum(gaps) - np.repeat(np.cumsum(gaps)[thread_start], sizes)
    created_us = origin_us + start_us[thread_of] + offsets

    # Text: words drawn from the vocabulary with a Zipf curve, joined in Arrow.
    vocabulary = pa.array(VOCABULARY)
    lengths = np.maximum(1, rng.poisson(words_per_message, size=n))
    word_index = rng.choice(
        len(VOCABULARY), size=int(lengths.sum()), p=_zipf_weights(len(VOCABULARY), 0.9)
    )
    list_offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    words = pa.LargeListArray.from_arrays(list_offsets, vocabulary.take(pa.array(word_index)))
    text = pc.binary_join(words, " ").cast(pa.string())

    n_spaces = 6
    space_of_thread = rng.integers(0, n_spaces, size=n_threads)
    message_ids = _ids("m_", np.arange(n), seed)
    person_ids = _ids("p_", np.arange(n_people), seed)
    thread_ids = message_ids.take(pa.array(thread_start[thread_of]))
    has_parent = parent_index >= 0
    parent_ids = message_ids.take(pa.array(np.where(has_parent, parent_index, 0)))
    parent_ids = pc.if_else(pa.array(has_parent), parent_ids, pa.nulls(n, pa.string()))
    kinds = np.where(position == 0, "post", np.where(rng.random(n) < 0.3, "answer", "reply"))
    has_patch = (position == 0) & (rng.random(n) < 0.1)
    kinds = np.where(has_patch, "patch", kinds)
    space_ids = pa.array(np.char.add("s", space_of_thread[thread_of].astype(str)))

    messages = pa.table(
        {
            "message_id": message_ids,
            "thread_id": thread_ids,
            "parent_id": parent_ids,
            "addressee_id": pa.nulls(n, pa.string()),
            "author_id": person_ids.take(pa.array(author)),
            "created_at": pa.array(created_us, type=pa.int64()).cast(TIMESTAMP),
            "space_id": space_ids,
            "kind": pa.array(kinds),
            "text": text,
            "quoted_text": pa.nulls(n, pa.string()),
            "has_patch": pa.array(has_patch),
            "has_signature": pa.array(np.zeros(n, dtype=bool)),
            "source_ref": pa.nulls(n, pa.string()),
            "parent_basis": pa.nulls(n, pa.string()),
        },
        schema=TABLES["messages"].schema,
    )
    return {
        "messages": messages,
        "people": _people(messages),
        "roles": _roles(rng, person_ids, permutation, origin_us, span_us),
        "spaces": _spaces(n_spaces),
        "outcomes": _outcomes(rng, messages, thread_start, sizes, created_us),
    }


def _people(messages: pa.Table) -> pa.Table:
    grouped = messages.group_by("author_id").aggregate(
        [("created_at", "min"), ("created_at", "max"), ("message_id", "count")]
    )
    grouped = grouped.sort_by("author_id")
    n = grouped.num_rows
    return pa.table(
        {
            "person_id": grouped["author_id"],
            "first_seen_at": grouped["created_at_min"],
            "last_seen_at": grouped["created_at_max"],
            "n_messages": grouped["message_id_count"].cast(pa.int64()),
            "is_deleted_account": pa.array(np.zeros(n, dtype=bool)),
            "is_bot": pa.array(np.zeros(n, dtype=bool)),
        },
        schema=TABLES["people"].schema,
    )


def _roles(
    rng: np.random.Generator,
    person_ids: pa.Array,
    permutation: np.ndarray,
    origin_us: int,
    span_us: int,
) -> pa.Table:
    # The most active 1% (at least 3) hold formal roles in one of eight units, appointed
    # at random times; a further 4% hold a junior role.
    n_people = len(person_ids)
    n_leaders = max(3, n_people // 100)
    n_juniors = max(3, n_people // 25)
    holders = permutation[: n_leaders + n_juniors]
    rank = np.where(np.arange(holders.size) < n_leaders, 2, 1).astype(np.int32)
    valid_from = origin_us + rng.integers(0, span_us // 2, size=holders.size)
    units = np.char.add("unit-", rng.integers(0, 8, size=holders.size).astype(str))
    return pa.table(
        {
            "person_id": person_ids.take(pa.array(holders)),
            "role": pa.array(np.where(rank == 2, "maintainer", "reviewer")),
            "rank": pa.array(rank),
            "unit": pa.array(units),
            "valid_from": pa.array(valid_from, type=pa.int64()).cast(TIMESTAMP),
            "valid_to": pa.nulls(holders.size, TIMESTAMP),
            "source_ref": pa.nulls(holders.size, pa.string()),
            "date_basis": pa.nulls(holders.size, pa.string()),
            "valid_from_earliest": pa.nulls(holders.size, TIMESTAMP),
            "valid_to_earliest": pa.nulls(holders.size, TIMESTAMP),
        },
        schema=TABLES["roles"].schema,
    )


def _spaces(n_spaces: int) -> pa.Table:
    return pa.table(
        {
            "space_id": [f"s{i}" for i in range(n_spaces)],
            "name": [f"space {i}" for i in range(n_spaces)],
            "governance": ["official" if i < 2 else "emergent" for i in range(n_spaces)],
        },
        schema=TABLES["spaces"].schema,
    )


def _outcomes(
    rng: np.random.Generator,
    messages: pa.Table,
    thread_start: np.ndarray,
    sizes: np.ndarray,
    created_us: np.ndarray,
) -> pa.Table:
    # About 40% of threads with a reply end in an outcome on their last message.
    resolved = (sizes > 1) & (rng.random(sizes.size) < 0.4)
    last = (thread_start + sizes - 1)[resolved]
    n = int(last.size)
    return pa.table(
        {
            "thread_id": messages["thread_id"].take(pa.array(last)),
            "message_id": messages["message_id"].take(pa.array(last)),
            "kind": pa.array(np.full(n, "resolved")),
            "created_at": pa.array(created_us[last], type=pa.int64()).cast(TIMESTAMP),
            "actor_id": pa.nulls(n, pa.string()),
            "source_ref": pa.nulls(n, pa.string()),
        },
        schema=TABLES["outcomes"].schema,
    )
