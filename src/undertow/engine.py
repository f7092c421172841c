"""Engines: where the trace's Ibis expressions run (embedded DuckDB, or Spark)."""

from __future__ import annotations

import os
import sys
from typing import Any, Literal

import ibis

__all__ = ["ENGINES", "Engine", "connect"]

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")


def connect(engine: Engine = "duckdb", *, threads: int | None = None) -> Any:
    """Return an Ibis backend for ``engine``.

    ``duckdb`` is embedded and needs nothing running. ``spark`` starts a local
    session (``local[2]``) unless ``SPARK_REMOTE`` (Spark Connect) or
    ``SPARK_MASTER`` names a cluster; it needs the ``undertow[spark]`` extra.

    Examples
    --------
    >>> con = connect("duckdb")
    >>> int(con.sql("select 42 as x").execute()["x"][0])
    42
    """
    if engine == "duckdb":
        con = ibis.duckdb.connect(threads=threads) if threads else ibis.duckdb.connect()
        con.raw_sql("SET enable_progress_bar = false")
        con.raw_sql("SET TimeZone = 'UTC'")
        return con
    if engine == "spark":
        return _connect_spark()
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _connect_spark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise RuntimeError(
            "the spark engine needs the optional dependencies: pip install 'undertow[spark]'"
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # A local session binds to loopback only; a cluster sets its own address.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("undertow")
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = (
            builder.master(os.environ.get("SPARK_MASTER", "local[2]"))
            .config("spark.sql.session.timeZone", "UTC")
            .config(
                "spark.sql.shuffle.partitions", os.environ.get("UNDERTOW_SPARK_PARTITIONS", "4")
            )
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", os.environ.get("UNDERTOW_SPARK_DRIVER_MEMORY", "4g"))
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)
