"""The observation model: coverage, reply-link provenance, role dates, facts and their use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from undertow.diagnosis import analyze
from undertow.features.coverage import coverage_bounds
from undertow.ingest.builder import RawIdentity, TraceBuilder
from undertow.ingest.table import read_roster
from undertow.model.observation import (
    LINK_COVERAGE_FLOOR,
    ObservationModel,
    appointment_mask,
    coverage_window,
    observation_model,
)
from undertow.model.trace import Trace
from undertow.testing import make_trace
from undertow.themes.registry import REGISTRY
from undertow.themes.timing.weekly import week_index, weekly_series

DAY = 86_400 * 1_000_000
START = int(datetime(2008, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)


def _active_then_spam() -> tuple[np.ndarray, np.ndarray]:
    """Two busy years (6 authors), silence, then 19 mails from one address two years on."""
    busy = START + np.arange(0, 730, 2) * DAY
    spam = START + (730 + 800) * DAY + np.arange(19) * 3_600 * 1_000_000
    times = np.concatenate([busy, spam]).astype(np.int64)
    authors = np.concatenate([np.arange(busy.size) % 6, np.full(19, 99)]).astype(np.int64)
    return times, authors


def test_coverage_ends_at_the_last_sustained_month_and_reports_the_tail() -> None:
    times, authors = _active_then_spam()
    window = coverage_window(times, authors)
    assert window.sustained_to is not None and window.last_at is not None
    assert window.sustained_to < datetime(2010, 1, 1, tzinfo=UTC) < window.last_at
    assert (window.n_after, window.authors_after, window.n_before) == (19, 1, 0)
    # The silence inside the whole span is outside the window, so no gap is reported.
    assert window.gaps == ()


def test_a_gap_inside_the_window_is_reported() -> None:
    times, authors = _active_then_spam()
    keep = (times < START + 200 * DAY) | (times > START + 320 * DAY)
    window = coverage_window(times[keep], authors[keep])
    assert len(window.gaps) == 1
    start, end = window.gaps[0]
    assert (end - start).days >= 59


def _spam_trace() -> Trace:
    times, authors = _active_then_spam()
    rows = [
        {
            "message_id": f"m{i}",
            "author_id": f"p{a}",
            "created_at": datetime.fromtimestamp(t / 1e6, tz=UTC),
        }
        for i, (t, a) in enumerate(zip(times.tolist(), authors.tolist(), strict=True))
    ]
    plain = make_trace(rows)
    tables = {name: plain.arrow(name) for name in ("messages", "people")}
    model = observation_model(tables, sources=["mbox"])
    return Trace(tables, manifest={"observation": model.as_dict()})


def test_weekly_series_and_bounds_stop_at_the_coverage_edge() -> None:
    trace = _spam_trace()
    low, high = coverage_bounds(trace)
    assert low == START and high is not None
    series = weekly_series(trace)
    assert int(week_index(series.weeks[-1:])[0]) == int(week_index(np.array([high]))[0])
    # The tail's two-year silence is not in the series as weeks of zero activity.
    assert series.values["active_members"][-8:].min() > 0


def test_in_memory_traces_are_taken_as_fully_observed() -> None:
    trace = make_trace([{"message_id": "m1", "author_id": "a"}])
    assert all(trace.lacks(fact) is None for fact in ("rejections", "conversation"))
    assert trace.observation.coverage["sustained_to"] == trace.observation.coverage["last_at"]


def _chat_trace(tmp_path: Path) -> Trace:
    builder = TraceBuilder(tmp_path / "trace", key_file=tmp_path / "key")
    log = builder.source("chat.log")
    builder.observe("irc")
    at = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(20):
        log.read()
        addressed = i % 5 == 4
        builder.add_message(
            log,
            source_message_id=f"c{i}",
            author=RawIdentity(handle=f"irc:n{i % 4}"),
            created_at=at + timedelta(minutes=i),
            kind="chat",
            parent_source_id=f"c{i - 1}" if addressed else None,
            parent_basis="inferred" if addressed else None,
        )
    log.read()
    builder.add_message(
        log,
        source_message_id="c-orphan",
        author=RawIdentity(handle="irc:n0"),
        created_at=at + timedelta(minutes=30),
        kind="reply",
        parent_source_id="not-in-the-log",
    )
    builder.write()
    return Trace.open(tmp_path / "trace")


def test_reply_link_provenance_and_the_floor(tmp_path: Path) -> None:
    trace = _chat_trace(tmp_path)
    basis = trace.arrow("messages").column("parent_basis").to_pylist()
    assert (basis.count("inferred"), basis.count("unknown"), basis.count("explicit")) == (4, 17, 0)
    links = trace.observation.links
    assert links["coverage"] == pytest.approx(4 / 21, abs=1e-4)
    assert links["coverage"] < LINK_COVERAGE_FLOOR
    reason = REGISTRY["newcomer_reception"].missing(trace)
    assert reason is not None and reason.startswith("the source cannot observe reply_links")
    assert "4 of 21" in reason
    assert "carry a reply link" in trace.observation.caveat()


def test_unobservable_facts_skip_metrics_with_the_fact_named(tmp_path: Path) -> None:
    plain = make_trace(
        [
            {"message_id": "p1", "author_id": "a", "kind": "patch"},
            {"message_id": "r1", "author_id": "b", "parent_id": "p1"},
        ]
    )
    tables = {name: plain.arrow(name) for name in ("messages", "people")}
    model = observation_model(
        tables, sources=["git"], unobservable={"rejections": "git holds accepted work only"}
    )
    trace = Trace(tables, manifest={"observation": model.as_dict()})
    diagnosis = analyze(trace, progress=False)
    skipped = {name: run.reason for name, run in diagnosis.runs.items() if run.status == "skipped"}
    expected = "the source cannot observe rejections: git holds accepted work only"
    for name in ("contribution_uptake", "status_uptake", "gatekeeping"):
        assert skipped[name] == expected
    described = [*diagnosis.findings, *diagnosis.notes]
    assert described
    assert all("Source: Git holds accepted work only." in f.caveat for f in described)


def test_model_round_trips_through_the_manifest_form() -> None:
    model = ObservationModel(
        sources=("git",),
        coverage={"right_censored_at": "2020-01-01T00:00:00+00:00"},
        unobservable={"conversation": "why"},
    )
    again = ObservationModel.from_dict(model.as_dict())
    assert again.lacks("conversation") == "why" and again.lacks("rejections") is None
    assert again.moment("right_censored_at") == datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="unknown observation fact"):
        again.lacks("telepathy")


def _roster(tmp_path: Path, rows: list[str]) -> list[dict[str, Any]]:
    (tmp_path / "roster.csv").write_text(
        "identifier,role,rank,unit,valid_from,valid_to,consent,date_basis,valid_from_earliest\n"
        + "".join(row + "\n" for row in rows)
    )
    builder = TraceBuilder(tmp_path / "t", key_file=tmp_path / "key")
    log = builder.source("m.csv")
    log.read()
    builder.add_message(
        log,
        source_message_id="1",
        author=RawIdentity(email="ann@x.org"),
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
        kind="post",
    )
    read_roster(builder, tmp_path / "roster.csv")
    manifest = builder.write()
    reasons = next(s["reasons"] for s in manifest["sources"] if s["path"].endswith("roster.csv"))
    roles: list[dict[str, Any]] = Trace.open(tmp_path / "t").arrow("roles").to_pylist()
    return [*roles, {"reasons": reasons}]


def test_roster_provenance_columns(tmp_path: Path) -> None:
    *roles, extra = _roster(
        tmp_path,
        [
            "ann@x.org,moderator,2,,2021-03-01,,,exact,",
            "bob@x.org,maintainer,2,,2021-03-01,,,interval,2020-03-01",
            "cy@x.org,maintainer,2,,2021-03-01,,,interval,2021-02-26",
            "dee@x.org,gold_badge,1,,2021-03-01,,,status,",
            "eve@x.org,maintainer,2,,2021-03-01,,,elected,",
        ],
    )
    assert extra["reasons"] == {"bad_date_basis": 1}
    table = pa.Table.from_pylist(roles)
    by_role = dict(
        zip(
            [
                f"{r['role']}:{r['date_basis']}:{r['valid_from_earliest'] is not None}"
                for r in roles
            ],
            appointment_mask(table).to_pylist(),
            strict=True,
        )
    )
    assert by_role["gold_badge:status:False"] is False
    assert by_role["moderator:exact:False"] is True
    widths = {
        (r["valid_from"] - r["valid_from_earliest"]).days: ok
        for r, ok in zip(roles, appointment_mask(table).to_pylist(), strict=True)
        if r["date_basis"] == "interval"
    }
    assert widths == {365: False, 3: True}
