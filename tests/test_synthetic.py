"""The benchmark generator: valid, deterministic, heavy-tailed, and honest about its shape."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from undertow.model.schema import validate_table
from undertow.model.trace import Trace
from undertow.synthetic import synthetic_tables


def test_tables_validate_against_the_schema() -> None:
    tables = synthetic_tables(5_000, seed=3)
    for name, table in tables.items():
        assert validate_table(name, table).num_rows == table.num_rows
    assert Trace(tables).n_messages == 5_000


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    first = synthetic_tables(2_000, seed=7)
    again = synthetic_tables(2_000, seed=7)
    other = synthetic_tables(2_000, seed=8)
    assert all(first[name].equals(again[name]) for name in first)
    assert not first["messages"].equals(other["messages"])


def test_activity_is_heavy_tailed() -> None:
    people = synthetic_tables(50_000, seed=1)["people"]
    counts = np.sort(people["n_messages"].to_numpy())[::-1]
    top_share = counts[: max(1, counts.size // 10)].sum() / counts.sum()
    assert top_share > 0.5


def test_replies_point_to_earlier_messages_of_the_same_thread() -> None:
    messages = synthetic_tables(10_000, seed=2)["messages"]
    index = {m: i for i, m in enumerate(messages["message_id"].to_pylist())}
    threads = messages["thread_id"].to_pylist()
    for i, parent in enumerate(messages["parent_id"].to_pylist()):
        if parent is not None:
            assert index[parent] < i
            assert threads[index[parent]] == threads[i]


def test_single_thread_holds_every_message() -> None:
    messages = synthetic_tables(3_000, single_thread=True)["messages"]
    assert len(pc.unique(messages["thread_id"])) == 1
    assert messages["parent_id"].null_count == 1
