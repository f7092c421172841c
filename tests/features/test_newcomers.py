"""Tests for newcomers' first messages and their reception."""

from __future__ import annotations

import pytest

from undertow.features.newcomers import FIRST_MESSAGE_SCHEMA, first_messages
from undertow.model.trace import Trace
from undertow.testing import make_trace


def _trace() -> Trace:
    return make_trace(
        [
            {"message_id": "a0", "author_id": "old", "created_at": 0},
            {"message_id": "n1", "author_id": "new", "created_at": 5},
            {"message_id": "n1s", "author_id": "new", "parent_id": "n1", "created_at": 6},
            {"message_id": "r2", "author_id": "helper", "parent_id": "n1", "created_at": 9},
            {"message_id": "r1", "author_id": "old", "parent_id": "n1", "created_at": 8},
            {"message_id": "x1", "author_id": "lonely", "parent_id": "a0", "created_at": 10},
        ]
    )


def test_first_message_and_first_reply_by_someone_else() -> None:
    table = first_messages(_trace())
    assert table.schema == FIRST_MESSAGE_SCHEMA
    rows = {row["person_id"]: row for row in table.to_pylist()}
    assert set(rows) == {"old", "new", "helper", "lonely"}
    new = rows["new"]
    assert new["message_id"] == "n1"
    assert new["is_thread_start"] is True
    assert new["replied"] is True
    # The self-reply n1s does not count; r1 (hour 8) precedes r2 (hour 9).
    assert new["first_reply_id"] == "r1"
    assert new["first_replier_id"] == "old"
    assert rows["lonely"]["replied"] is False
    assert rows["lonely"]["is_thread_start"] is False
    assert rows["lonely"]["first_reply_at"] is None
    assert rows["helper"]["message_id"] == "r2"


def test_empty_trace_and_row_order() -> None:
    assert first_messages(make_trace([])).num_rows == 0
    forward = first_messages(_trace())
    messages = _trace().arrow("messages")
    reversed_trace = Trace(
        {
            "messages": messages.take(list(range(messages.num_rows))[::-1]),
            "people": _trace().arrow("people"),
        }
    )
    assert first_messages(reversed_trace).equals(forward)


@pytest.mark.spark
# py4j leaves its gateway sockets and Spark its temp folders to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_same_first_messages_and_core_on_spark() -> None:
    from undertow.features.core import core_membership
    from undertow.testing import tiny_trace

    duck, spark = tiny_trace(), tiny_trace(engine="spark")
    assert first_messages(spark).equals(first_messages(duck))
    assert core_membership(spark).equals(core_membership(duck))
