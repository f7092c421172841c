"""T5: episodes and containment on hand-built threads; planted carers and collapse recovered."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from undertow.diagnosis.findings import control_fdr
from undertow.diagnosis.privacy import suppress_small_cells
from undertow.model.trace import Trace
from undertow.simulate import simulate
from undertow.testing import make_trace
from undertow.themes import REGISTRY
from undertow.themes.decision import THRESHOLDS
from undertow.themes.divergence.findings import practice_divergence
from undertow.themes.emotion_work.containment import (
    N_PERMUTATIONS,
    containment_and_resolution,
    containment_contrast,
    containment_rate,
)
from undertow.themes.emotion_work.display_rules import display_rules
from undertow.themes.emotion_work.distribution import (
    emotion_work_by_group,
    unreciprocated_emotion_work,
)
from undertow.themes.emotion_work.episodes import message_emotion
from undertow.themes.emotion_work.findings import (
    emotion_work_concentrated,
    uncontained_emotion,
)
from undertow.themes.emotion_work.hostility import hostility_recurrence, hostility_targets
from undertow.themes.registry import Finding


class Results:
    """Metric tables computed on demand, as the pipeline offers them to finding rules."""

    def __init__(self, trace: Trace) -> None:
        self._trace = trace
        self._tables: dict[str, pa.Table] = {}

    def get(self, name: str) -> pa.Table | None:
        if name not in self._tables:
            self._tables[name] = REGISTRY[name](self._trace, seed=0)
        return self._tables[name]

    @property
    def trace(self) -> Trace:
        return self._trace


def _thread(supportive: bool) -> list[dict[str, object]]:
    reply = "Don't worry, you're not alone, great question." if supportive else "Read the docs."
    return [
        {"message_id": "q", "author_id": "new", "text": "I am so frustrated, nothing works."},
        {"message_id": "r", "author_id": "old", "parent_id": "q", "text": reply, "created_at": 1},
        {
            "message_id": "t",
            "author_id": "new",
            "parent_id": "r",
            "text": "Thanks, great!",
            "created_at": 2,
        },
    ]


def test_episode_contained_by_supportive_reply() -> None:
    contained = make_trace(_thread(supportive=True))
    emotion = message_emotion(contained)
    assert emotion.episode.sum() == 1
    row = containment_rate(contained).to_pylist()[0]
    assert row["containment_rate"] == 1.0
    assert row["median_hours_to_containment"] == pytest.approx(1.0)
    uncontained = make_trace(_thread(supportive=False))
    assert containment_rate(uncontained).to_pylist()[0]["containment_rate"] == 0.0


def test_support_too_late_does_not_contain() -> None:
    messages = _thread(supportive=True)
    messages[1]["created_at"] = 100  # beyond 72 hours
    messages[2]["created_at"] = 101
    assert containment_rate(make_trace(messages)).to_pylist()[0]["containment_rate"] == 0.0


def test_resolution_link_and_unreciprocated() -> None:
    trace = make_trace(_thread(supportive=True), outcomes=[{"thread_id": "q", "kind": "resolved"}])
    row = containment_and_resolution(trace).to_pylist()[0]
    assert row["n_contained"] == 1 and row["resolved_share_contained"] == 1.0
    table = unreciprocated_emotion_work(trace).to_pylist()
    assert table == [
        {
            "person_id": "old",
            "support_given": 1,
            "support_received": 0,
            "unreciprocated": True,
            "n": 1,
        }
    ]


def test_hostility_targets_newcomers() -> None:
    messages: list[dict[str, object]] = []
    for i in range(6):
        messages.append(
            {"message_id": f"q{i}", "author_id": f"new{i}", "text": "How?", "created_at": 1000 + i}
        )
        messages.append(
            {
                "message_id": f"r{i}",
                "author_id": "gate",
                "parent_id": f"q{i}",
                "text": "What a stupid, pathetic question. Useless.",
                "created_at": 1000.5 + i,
            }
        )
    messages.insert(0, {"message_id": "v0", "author_id": "new0", "text": "hello", "created_at": 0})
    trace = make_trace(messages)
    rows = {(r["grouping"], r["group"]): r for r in hostility_targets(trace).to_pylist()}
    assert rows[("tenure", "newcomer")]["hostile_rate"] == 1.0
    recurrence = hostility_recurrence(trace).to_pylist()[0]
    assert recurrence["n_hostile"] == 6 and recurrence["repeat_author_share"] == 1.0


def test_display_rules_same_people() -> None:
    messages = [
        {
            "message_id": f"m{i}",
            "author_id": "ab"[i % 2],
            "space_id": "so"[i // 2 % 2],
            "text": ["Great, love it!", "Awful, I hate it."][i // 2 % 2],
        }
        for i in range(16)
    ]
    spaces = [
        {"space_id": "o", "governance": "official"},
        {"space_id": "s", "governance": "emergent"},
    ]
    table = display_rules(make_trace(messages, spaces=spaces)).to_pylist()
    diff = next(r for r in table if r["governance"] == "difference")
    assert diff["affect_mean"] < -0.5 and diff["n_people"] == 2


@pytest.mark.parametrize("seed", [0])
def test_planted_carers_recovered_and_collapse_not_called_uncontained(seed: int) -> None:
    result = simulate("emotion_collapse", seed=seed)
    planted = {p["kind"]: p for p in result.truth["planted"]}
    # The simulated community supports only distress: its burnout cannot leave episodes
    # contained less often than other messages, so that kind is not planted.
    assert "uncontained_emotion" not in planted
    assert "uncontained_emotion" in {e["kind"] for e in result.truth["not_measurable"]}
    findings = {
        f.kind: f
        for r in (emotion_work_concentrated, uncontained_emotion)
        for f in r(Results(result.trace()))
    }
    assert set(findings["emotion_work_concentrated"].subjects) == set(
        planted["emotion_work_concentrated"]["subjects"]
    )
    assert findings["emotion_work_concentrated"].severity in ("moderate", "severe")
    contained = findings["uncontained_emotion"]
    assert contained.severity == "info" and contained.direction == "neutral"
    assert contained.estimate is not None and contained.estimate < 0


def _contrast_trace(n_threads: int, *, episodes_supported: bool) -> Trace:
    return make_trace(_contrast_messages(n_threads, episodes_supported=episodes_supported))


def _contrast_messages(n_threads: int, *, episodes_supported: bool) -> list[dict[str, object]]:
    """Threads of a log, a reply, thanks, an outburst, a reply and thanks.

    One of the two replies is supportive: with ``episodes_supported`` the one to the
    outburst, otherwise the one to the log (and the outburst gets a plain reply).
    """
    support = "Don't worry, you're not alone, we will sort it out together."
    plain = "Try the option in the docs."
    first, second = (plain, support) if episodes_supported else (support, plain)
    texts = (
        ("asker", "Here is the output of the command."),
        ("helper", first),
        ("asker", "Thanks, great, that helps a lot!"),
        ("asker", "I am so frustrated, nothing works."),
        ("helper", second),
        ("asker", "Thanks, great, that helps a lot!"),
    )
    messages: list[dict[str, object]] = []
    for i in range(n_threads):
        for j, (who, text) in enumerate(texts):
            messages.append(
                {
                    "message_id": f"m{i}-{j}",
                    "author_id": f"asker{i}" if who == "asker" else "helper",
                    "parent_id": f"m{i}-{j - 1}" if j else None,
                    "created_at": 10 * i + j,
                    "text": text,
                }
            )
    return messages


def test_contrast_known_answer_when_support_goes_elsewhere() -> None:
    trace = _contrast_trace(40, episodes_supported=False)
    emotion = message_emotion(trace)
    assert emotion.episode.sum() == 40 and not emotion.contained.any()
    row = containment_contrast(trace).to_pylist()[0]
    answered_others = int(emotion.answered.sum())
    assert answered_others == 40  # every log, and nothing else, is followed by the support
    assert row["n_episodes"] == 40 and row["n_threads"] == 40
    assert row["rate_episodes"] == 0.0
    assert row["rate_others"] == pytest.approx(answered_others / row["n_others"])
    assert row["difference"] == pytest.approx(row["rate_others"])
    assert row["difference_lo"] <= row["difference"] <= row["difference_hi"]
    # Each thread's one contained message falls on its episode with chance 1/6 under
    # the null, so no episode contained (the observed extreme) has chance (5/6)^40.
    exact = (5 / 6) ** 40
    assert row["p_value"] >= 1 / (1 + N_PERMUTATIONS)
    assert row["p_value"] == pytest.approx(exact, abs=3 * math.sqrt(exact / N_PERMUTATIONS))


def test_contrast_negative_when_distress_is_answered() -> None:
    row = containment_contrast(_contrast_trace(40, episodes_supported=True)).to_pylist()[0]
    assert row["rate_episodes"] == 1.0 and row["difference"] < 0 and row["p_value"] > 0.5


def test_uncontained_finding_reads_the_contrast() -> None:
    support_elsewhere = Results(_contrast_trace(40, episodes_supported=False))
    (finding,) = uncontained_emotion(support_elsewhere)
    assert finding.direction == "limits" and finding.severity in ("moderate", "severe")
    assert finding.decision is not None and finding.decision.test == "permutation"
    assert "0.0% of 40 emotional episodes" in finding.statement
    answered = Results(_contrast_trace(40, episodes_supported=True))
    (finding,) = uncontained_emotion(answered)
    assert finding.direction == "neutral" and finding.severity == "info"
    assert finding.title.endswith("no less often than other messages")


def test_low_containment_alone_is_no_finding() -> None:
    # Support in 1 of 40 threads, after the log: containment is rare after every message,
    # as in a technical archive whose replies carry no support phrases. No contrast.
    messages = [
        dict(m, text="Read the docs.")
        if m["message_id"] != "m0-1" and "worry" in str(m["text"])
        else m
        for m in _contrast_messages(40, episodes_supported=False)
    ]
    row = containment_contrast(make_trace(messages)).to_pylist()[0]
    assert row["rate_episodes"] == 0.0 and row["n_contained"] == 1
    assert row["difference"] < THRESHOLDS["uncontained_emotion"].practical
    assert row["p_value"] > 0.05


def test_containment_needs_reply_links() -> None:
    for name in (
        "containment_rate",
        "containment_by_month",
        "containment_contrast",
        "containment_and_resolution",
    ):
        assert "reply_links" in REGISTRY[name].observes


@pytest.mark.parametrize("seed", [0])
def test_healthy_community_gets_no_t5_finding(seed: int) -> None:
    results = Results(simulate("healthy", seed=seed).trace())
    assert control_fdr(emotion_work_concentrated(results) + uncontained_emotion(results))[0] == []
    groups = emotion_work_by_group(results.trace).to_pylist()
    assert {r["grouping"] for r in groups} >= {"formal", "core"}


def _null_numbers(table: pa.Table) -> pa.Table:
    """The table as small-cell suppression leaves a suppressed row: every number null."""
    columns = [
        pa.nulls(table.num_rows, column.type)
        if pa.types.is_integer(column.type)
        or pa.types.is_floating(column.type)
        or pa.types.is_boolean(column.type)
        else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


class _Suppressed(Results):
    """Results whose tables arrive with every number nulled (or, with ``k``, suppressed)."""

    def __init__(self, trace: Trace, k: int | None = None) -> None:
        super().__init__(trace)
        self._k = k

    def get(self, name: str) -> pa.Table | None:
        table = super().get(name)
        if table is None:
            return None
        if self._k is None:
            return _null_numbers(table)
        return suppress_small_cells(table, self._k)


def _all_words(findings: list[Finding]) -> str:
    return " ".join(f.title + " " + f.statement for f in findings)


def test_commit_log_without_support_gets_no_containment_finding() -> None:
    # A Xen-like trace: every commit is its own thread, many read as distress, none can
    # be answered. The rule used to call this severe and print "nan%".
    messages = [
        {
            "message_id": f"c{i}",
            "author_id": f"dev{i % 12}",
            "kind": "commit",
            "created_at": i,
            "text": "Fix the terrible crash, this is broken and awful." if i % 2 else "Add a test.",
        }
        for i in range(240)
    ]
    outcomes = [{"thread_id": f"c{i}", "kind": "merged"} for i in range(0, 240, 3)]
    results = Results(make_trace(messages, outcomes=outcomes))
    rate = results.get("containment_rate")
    assert (
        rate is not None and rate.column("n")[0].as_py() >= THRESHOLDS["uncontained_emotion"].min_n
    )
    link = results.get("containment_and_resolution")
    assert link is not None and math.isnan(link.column("odds_ratio")[0].as_py())
    assert uncontained_emotion(results) == []
    assert emotion_work_concentrated(results) == []


def _one_carer_trace() -> Trace:
    messages: list[dict[str, object]] = []
    for i in range(25):
        messages += [
            {
                "message_id": f"q{i}",
                "author_id": f"asker{i}",
                "created_at": 10 * i,
                "text": "I am so frustrated, nothing works.",
            },
            {
                "message_id": f"s{i}",
                "author_id": "carer",
                "parent_id": f"q{i}",
                "created_at": 10 * i + 1,
                "text": "Don't worry, you're not alone, great question.",
            },
            {
                "message_id": f"r{i}",
                "author_id": f"helper{i % 10}",
                "parent_id": f"s{i}",
                "created_at": 10 * i + 2,
                "text": "Read the docs for the option.",
            },
        ]
    return make_trace(messages)


def test_one_carer_is_one_person_not_one_people() -> None:
    findings = emotion_work_concentrated(Results(_one_carer_trace()))
    assert [f.subjects for f in findings] == [("carer",)]
    assert findings[0].title.startswith("1 person carries ")
    assert findings[0].statement.startswith("1 of 11 repliers gives 100% of all 25 supportive")


def test_containment_charts_read_a_label_not_n() -> None:
    for name in ("containment_rate", "containment_and_resolution", "emotion_work_distribution"):
        chart = REGISTRY[name].chart
        assert chart is not None and chart.kind == "errorbar" and chart.x != "n"
        table = REGISTRY[name](_one_carer_trace(), seed=0)
        assert pa.types.is_string(table.schema.field(chart.x).type)
        assert table.num_rows == 1 and table.column(chart.x)[0].as_py()


def test_rules_survive_suppressed_and_null_tables() -> None:
    trace = simulate("emotion_collapse", seed=0).trace()
    rules = (emotion_work_concentrated, uncontained_emotion, practice_divergence)
    assert all(rule(_Suppressed(trace)) == [] for rule in rules)
    findings = [f for rule in rules for f in rule(_Suppressed(trace, k=5))]
    assert {f.kind for f in findings} >= {"emotion_work_concentrated", "uncontained_emotion"}
    words = _all_words(findings)
    assert "nan" not in words.lower().split() and "None" not in words and "nan%" not in words


class _Tables:
    """Results made of hand-written one-row tables (a trace is never needed here)."""

    def __init__(self, tables: dict[str, dict[str, object]]) -> None:
        self._tables = {name: pa.Table.from_pylist([row]) for name, row in tables.items()}

    def get(self, name: str) -> pa.Table | None:
        return self._tables.get(name)

    @property
    def trace(self) -> Trace:
        raise AssertionError("the rule should not need the trace")


def _uvc_like(resolved_share_contained: float) -> _Tables:
    # A mailing list's few outcomes, none in the contained threads, with episodes
    # contained 20 points less often than other messages.
    return _Tables(
        {
            "containment_contrast": {
                "difference": 0.2,
                "difference_lo": 0.16,
                "difference_hi": 0.24,
                "p_value": 0.0005,
                "rate_episodes": 0.07,
                "rate_others": 0.27,
                "n_episodes": 742,
                "n_others": 2100,
                "n_threads": 553,
            },
            "containment_rate": {
                "containment_rate": 0.07,
                "containment_rate_lo": 0.05,
                "containment_rate_hi": 0.10,
                "n": 742,
            },
            "emotion_work_distribution": {"n_supportive": 426},
            "containment_and_resolution": {
                "odds_ratio": 0.4,
                "odds_ratio_lo": 0.2,
                "odds_ratio_hi": 0.7,
                "resolved_share_contained": resolved_share_contained,
                "resolved_share_uncontained": 0.03,
                "n_contained": 37,
                "n_uncontained": 516,
            },
        }
    )


def test_resolution_link_needs_every_cell_filled() -> None:
    (finding,) = uncontained_emotion(_uvc_like(0.0))
    # Without a readable link to resolution, uncontained emotion is never severe.
    assert "odds ratio" not in finding.statement and finding.severity != "severe"
    (finding,) = uncontained_emotion(_uvc_like(0.3))
    assert "(37 threads)" in finding.statement and "odds ratio 0.4" in finding.statement
