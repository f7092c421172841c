"""IRC adapter: tiny logs written here, and the real #duraspace TSV."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from tests.ingest._adapters_a import Run, run_adapter
from undertow.ingest.irc import ingest_irc

HEADER = "date\ttime\tseq\tkind\tnick\ttext\trelay_bot\tcolor\n"


def row(day: str, clock: str, seq: int, kind: str, nick: str, text: str, relay: str = "") -> str:
    return f"{day}\t{clock}\t{seq}\t{kind}\t{nick}\t{text}\t{relay}\tblack\n"


TSV = HEADER + "".join(
    [
        row("2012-01-02", "10:00", 1, "join", "ann", "* ann has joined #dev"),
        row("2012-01-02", "10:01", 2, "msg", "ann", "anyone around?"),
        row("2012-01-02", "10:02", 3, "msg", "bob", "ann: yes, what is up?"),
        row("2012-01-02", "10:03", 4, "msg", "cy", "hello all"),
        row("2012-01-02", "10:04", 5, "msg", "ann", "@bob, the build fails"),
        row("2012-01-02", "10:05", 6, "action", "bob", "* bob looks"),
        row("2012-01-02", "10:05", 7, "msg", "kompewter", "[ DS-1 ] - https://jira"),
        row("2012-01-02", "10:06", 8, "nick", "bob", "* bob is now known as bob_away"),
        row("2012-01-02", "11:30", 9, "msg", "bob_away", "ann: fixed it"),
        row("2012-01-02", "11:31", 10, "msg", "dee", "ann: Slack says hi", "DSpaceSlackBot"),
        row("2012-01-02", "11:32", 11, "quit", "cy", "* cy Quit"),
    ]
)


@pytest.fixture
def tsv_run(tmp_path: Path) -> Run:
    folder = tmp_path / "irc-dev"
    folder.mkdir()
    path = folder / "events.tsv.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(TSV)
    return run_adapter(ingest_irc, [path], tmp_path / "trace")


def test_buckets_and_reconciliation(tsv_run: Run) -> None:
    assert tsv_run.totals == {"read": 11, "accepted": 7, "rejected": 0, "excluded": 4}
    reasons = Counter(reason for _, reason, _ in tsv_run.excluded)
    assert reasons == {"not_a_message": 3, "bot": 1}
    assert ("bot", "line 8") in {(r, loc) for _, r, loc in tsv_run.excluded}


def test_addressing_parents_and_gap_threads(tsv_run: Run) -> None:
    # Text is scrubbed of known nicks in the trace, so rows are found by their line.
    by_line = {m["source_ref"]: m for m in tsv_run.table("messages").to_pylist()}
    first, answer, hello, again = (by_line[f"line {n}"] for n in (3, 4, 5, 6))
    assert answer["parent_id"] == first["message_id"]
    assert answer["addressee_id"] == first["author_id"]
    assert hello["parent_id"] is None and hello["addressee_id"] is None
    assert again["parent_id"] == answer["message_id"]
    assert again["addressee_id"] == answer["author_id"]
    assert by_line["line 7"]["kind"] == "chat" and by_line["line 7"]["text"] == "looks"
    early = {m["thread_id"] for m in by_line.values() if m["created_at"].hour == 10}
    assert early == {first["message_id"]}
    late = by_line["line 10"]
    # 85 minutes of silence: a new conversation, where ann has not spoken yet.
    assert late["thread_id"] == late["message_id"] and late["parent_id"] is None
    assert late["addressee_id"] == first["author_id"]
    assert "ann" not in " ".join(m["text"] for m in by_line.values())


def test_nick_change_merges_and_slack_relay_is_its_own_namespace(tsv_run: Run) -> None:
    ids = tsv_run.identity_map()
    assert ids[("handle", "irc:bob")] == ids[("handle", "irc:bob_away")]
    assert ("handle", "slack:dee") in ids and ("handle", "irc:dee") not in ids
    messages = tsv_run.table("messages")
    assert pc.sum(pc.equal(messages.column("author_id"), ids[("handle", "irc:bob")])).as_py() == 3


def test_plain_log_with_day_markers(tmp_path: Path) -> None:
    log = tmp_path / "#dspace.log"
    log.write_text(
        "--- Log opened Mon Jan 02 09:00:00 2012\n"
        "[23:58] <ann> late night?\n"
        "[23:59] -!- bob [~b@host] has joined #dspace\n"
        "--- Day changed Tue Jan 03 2012\n"
        "[00:01] <@bob> ann: always\n"
        "[00:02] * ann yawns\n"
        "[00:03] -!- ann is now known as ann_zz\n"
    )
    run = run_adapter(ingest_irc, [log], tmp_path / "trace")
    messages = run.table("messages").sort_by("created_at").to_pylist()
    assert [m["created_at"].isoformat() for m in messages] == [
        "2012-01-02T23:58:00+00:00",
        "2012-01-03T00:01:00+00:00",
        "2012-01-03T00:02:00+00:00",
    ]
    assert messages[1]["parent_id"] == messages[0]["message_id"]
    assert run.totals == {"read": 7, "accepted": 3, "rejected": 0, "excluded": 4}
    spaces = run.table("spaces").column("space_id").to_pylist()
    assert len(spaces) == 1
    ids = run.identity_map()
    assert ids[("handle", "irc:ann")] == ids[("handle", "irc:ann_zz")]


def test_weechat_layout(tmp_path: Path) -> None:
    log = tmp_path / "irc.libera.#dev.weechatlog"
    log.write_text(
        "2023-05-01 10:00:00\t-->\tann (~a@host) has joined #dev\n"
        "2023-05-01 10:00:05\t@ann\thello\n"
        "2023-05-01 10:01:00\tbob\tann: hi\n"
        "2023-05-01 10:02:00\t *\tbob waves\n"
        "2023-05-01 10:03:00\t--\tbob is now known as bobby\n"
        "2023-05-01 10:04:00\t<--\tann (~a@host) has quit (Ping timeout)\n"
    )
    run = run_adapter(ingest_irc, [log], tmp_path / "trace")
    assert run.totals == {"read": 6, "accepted": 3, "rejected": 0, "excluded": 3}
    by_line = {m["source_ref"]: m for m in run.table("messages").to_pylist()}
    assert by_line["line 3"]["parent_id"] == by_line["line 2"]["message_id"]
    assert by_line["line 4"]["created_at"].isoformat() == "2023-05-01T10:02:00+00:00"
    ids = run.identity_map()
    assert ids[("handle", "irc:bob")] == ids[("handle", "irc:bobby")]


# -- the real channel ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def duraspace(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("irc")
    return run_adapter(
        ingest_irc,
        [shared_data / "irc-duraspace" / "events.tsv.gz"],
        folder / "trace",
        key_file=folder / "key",
    )


def test_real_duraspace_counts(duraspace: Run) -> None:
    source = duraspace.source("events.tsv.gz")
    assert source["read"] == 176_370
    assert duraspace.balanced()
    reasons = source["reasons"]
    # 90,327 msg + 1,506 actions + 66 continuation lines: every one accepted or a bot's.
    assert source["accepted"] + reasons["bot"] == 90_327 + 1_506 + 66
    # joins 32,371, quits 25,573, parts 3,572, nicks 1,350, topics 4 + 6,736, modes 4,
    # server notices 14,332: none is a message.
    assert reasons["not_a_message"] == 32_371 + 25_573 + 3_572 + 1_350 + 4 + 6_736 + 4 + 14_332
    assert reasons["unparsed_line"] == 529 and source["rejected"] == 529


def test_real_duraspace_people_and_addressing(duraspace: Run) -> None:
    messages = duraspace.table("messages")
    ids = duraspace.identity_map()
    slack = {
        p for (kind, value), p in ids.items() if kind == "handle" and value.startswith("slack:")
    }
    relayed = pc.sum(pc.is_in(messages.column("author_id"), pa.array(sorted(slack))))
    assert relayed.as_py() == 6_520
    addressed = messages.num_rows - messages.column("addressee_id").null_count
    # The README counts 7,909 lines starting with a known nick; "@nick" forms and nicks
    # known from joins add a few.
    assert 7_909 <= addressed <= 7_909 * 1.05
    # The link bot authors nothing; people who address it meet a flagged bot.
    kompewter = ids[("handle", "irc:kompewter")]
    assert kompewter not in set(messages.column("author_id").to_pylist())
    people = {p["person_id"]: p for p in duraspace.table("people").to_pylist()}
    assert people[kompewter]["is_bot"] and people[kompewter]["n_messages"] == 0
    assert ids[("handle", "irc:mdiggory_")] == ids[("handle", "irc:mdiggory")]
