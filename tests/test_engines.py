"""The same Ibis expressions give the same answers on DuckDB and on Spark, from one trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from undertow.ingest.builder import RawIdentity, TraceBuilder
from undertow.model.trace import Trace

pytest.importorskip("pyspark")


def messages_per_person(trace: Trace) -> Any:
    """Messages authored by each person."""
    m = trace.table("messages")
    return m.group_by("author_id").aggregate(n=m.count())


def first_reply_latency(trace: Trace) -> Any:
    """Microseconds from each thread's first message to its first reply."""
    m = trace.table("messages")
    starts = m.filter(m.message_id == m.thread_id).select("thread_id", start_at=m.created_at)
    replies = m.filter(m.message_id != m.thread_id)
    first = replies.group_by("thread_id").aggregate(first_reply_at=replies.created_at.min())
    joined = starts.join(first, "thread_id")
    return joined.select(
        "thread_id",
        latency_us=joined.first_reply_at.delta(joined.start_at, unit="microsecond"),
    )


def _trace(folder: Path) -> Trace:
    builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    log = builder.source("generated")
    t0 = datetime(2023, 1, 2, 9, tzinfo=UTC)
    people = [RawIdentity(email=f"user{i}@example.org", name=f"User Number{i}") for i in range(7)]
    for thread in range(40):
        start = t0 + timedelta(hours=13 * thread, microseconds=thread)
        n_replies = thread % 5
        for k in range(n_replies + 1):
            log.read()
            builder.add_message(
                log,
                source_message_id=f"{thread}-{k}",
                author=people[(thread * 3 + k) % len(people)],
                created_at=start + timedelta(minutes=17 * k * (thread % 7 + 1), microseconds=k),
                kind="post" if k == 0 else "reply",
                parent_source_id=None if k == 0 else f"{thread}-{k - 1}",
            )
    builder.write()
    return Trace.open(folder / "trace")


def _sorted(table: pa.Table, key: str) -> list[dict[str, Any]]:
    return table.sort_by(key).to_pylist()


@pytest.mark.spark
# py4j leaves its gateway sockets to the garbage collector; not ours to close.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_duckdb_and_spark_agree(tmp_path: Path) -> None:
    trace = _trace(tmp_path)
    spark = trace.with_engine("spark")
    for metric, key in ((messages_per_person, "author_id"), (first_reply_latency, "thread_id")):
        on_duckdb = _sorted(metric(trace).to_pyarrow(), key)
        on_spark = _sorted(metric(spark).to_pyarrow(), key)
        assert on_duckdb, metric.__name__
        assert on_duckdb == on_spark, metric.__name__
    latencies = {
        r["latency_us"] for r in _sorted(first_reply_latency(trace).to_pyarrow(), "thread_id")
    }
    assert min(latencies) == 17 * 60 * 1_000_000 + 1
    assert (
        sum(r["n"] for r in messages_per_person(trace).to_pyarrow().to_pylist()) == trace.n_messages
    )
