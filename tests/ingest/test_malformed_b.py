"""Malformed inputs for the Stack Exchange, Slack, Discourse and GitHub readers.

Each case feeds one trap to an adapter and checks: no crash, the reason code, the
location (from the quarantine file for rejections, from the adapter for exclusions),
and ``read == accepted + rejected + excluded`` for every source in the manifest.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _adapters_b import Recorder, manifest_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from undertow.errors import InputError
from undertow.ingest.builder import quarantine_path
from undertow.ingest.discourse import ingest_discourse
from undertow.ingest.github import ingest_github
from undertow.ingest.slack import ingest_slack
from undertow.ingest.stackexchange import ingest_stackexchange

Adapter = Callable[..., None]
Made = tuple[Adapter, list[Path], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], Made]
    source: str  # suffix of the source (file name or archive member)
    bucket: str  # where the trap record must end: rejected, excluded or accepted
    reason: str | None = None
    location: str | None = None
    check: Callable[[Recorder], bool] | None = None


# -- Stack Exchange -------------------------------------------------------------------------

PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'
QUESTION = (
    'Id="1" PostTypeId="1" CreationDate="2014-01-01T10:00:00.000" Body="&lt;p&gt;q&lt;/p&gt;"'
)


def se_site(tmp: Path, posts: str | bytes, *, gz: bool = False) -> Made:
    site = tmp / "demo.stackexchange.com"
    site.mkdir()
    data = posts.encode() if isinstance(posts, str) else posts
    name = "Posts.xml.gz" if gz else "Posts.xml"
    (site / name).write_bytes(gzip.compress(data) if gz else data)
    return ingest_stackexchange, [site], {}


def se_rows(*rows: str) -> str:
    return PROLOG + "<posts>\n" + "".join(f"  <row {row} />\n" for row in rows) + "</posts>\n"


def se_dtd(tmp: Path) -> Made:
    lol = '<!DOCTYPE posts [\n<!ENTITY lol "lol">\n<!ENTITY lol2 "&lol;&lol;&lol;">\n]>\n'
    return se_site(tmp, PROLOG + lol + f'<posts><row {QUESTION} Title="&lol2;" /></posts>')


def se_dtd_after_comment(tmp: Path) -> Made:
    dtd = '<!-- dump -->\n<!DOCTYPE posts SYSTEM "file:///etc/passwd">\n'
    return se_site(tmp, PROLOG + dtd + f"<posts><row {QUESTION} /></posts>")


def se_truncated(tmp: Path) -> Made:
    text = se_rows(QUESTION, QUESTION.replace('Id="1"', 'Id="2"'))
    return se_site(tmp, text[: text.index('Id="2"') + 20])


def se_truncated_gzip(tmp: Path) -> Made:
    rows = [QUESTION.replace('Id="1"', f'Id="{i}"') for i in range(1, 3000)]
    packed = gzip.compress(se_rows(*rows).encode())
    site = tmp / "demo.stackexchange.com"
    site.mkdir()
    (site / "Posts.xml.gz").write_bytes(packed[: len(packed) // 2])
    return ingest_stackexchange, [site], {}


def se_not_xml(tmp: Path) -> Made:
    return se_site(tmp, PROLOG + f"<posts><row {QUESTION} /><row Id=2 /></posts>")


def se_utf16(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION).replace("utf-8", "utf-16").encode("utf-16"))


def se_no_owner(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION))


def se_community(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION + ' OwnerUserId="-1"'))


def se_bad_date(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION.replace("2014-01-01T10:00:00.000", "yesterday")))


def se_year_1970(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION.replace("2014-01-01", "1970-01-01")), gz=True)


def se_answer_without_parent(tmp: Path) -> Made:
    answer = 'Id="2" PostTypeId="2" CreationDate="2014-01-01T11:00:00.000" Body=""'
    return se_site(tmp, se_rows(QUESTION, answer))


def se_bad_owner(tmp: Path) -> Made:
    return se_site(tmp, se_rows(QUESTION + ' OwnerUserId="abc"'))


# -- Slack ----------------------------------------------------------------------------------

SLACK_USERS = [{"id": "U1", "name": "ann"}, {"id": "U3", "name": "gone", "deleted": True}]
HELLO = {"type": "message", "user": "U1", "text": "hello", "ts": "1577872800.000100"}


def slack_zip(tmp: Path, members: dict[str, Any], **options: Any) -> Made:
    path = tmp / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps(SLACK_USERS))
        archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        archive.writestr("general/2020-01-01.json", json.dumps([HELLO]))
        for name, content in members.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # ZipInfo would otherwise strip "../" and "/" for us
            info.compress_type = zipfile.ZIP_DEFLATED
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            archive.writestr(info, data)
    return ingest_slack, [path], options


def slack_day(tmp: Path, *messages: dict[str, Any]) -> Made:
    return slack_zip(tmp, {"general/2020-01-02.json": list(messages)})


def slack_slip(tmp: Path) -> Made:
    return slack_zip(tmp, {"../evil/2020-01-01.json": [HELLO]})


def slack_absolute(tmp: Path) -> Made:
    return slack_zip(tmp, {"/etc/2020-01-01.json": [HELLO]})


def slack_bomb(tmp: Path) -> Made:
    # 4 MiB of zeros compress to a few KiB; the cap counts bytes actually inflated.
    return slack_zip(
        tmp, {"general/2020-01-03.json": b"[" + b" " * (4 << 20) + b"]"}, max_member_bytes=1 << 20
    )


def slack_total_cap(tmp: Path) -> Made:
    big = b"[" + b" " * (600 << 10) + b"]"
    members = {"general/2020-01-03.json": big, "general/2020-01-04.json": big}
    return slack_zip(tmp, members, max_total_bytes=1 << 20)


def slack_crc_error(tmp: Path) -> Made:
    made = slack_zip(tmp, {"general/2020-01-05.json": [HELLO] * 50})
    path = made[1][0]
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("general/2020-01-05.json")
    data = bytearray(path.read_bytes())
    # Local header: 30 bytes + name + extra; flip a byte of the compressed data after it.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return made


def slack_unknown_user(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "user": "U999", "ts": "1577959200.0"})


def slack_deleted_user(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "user": "U3", "ts": "1577959200.0"})


def slack_bot(tmp: Path) -> Made:
    bot = {"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": "x", "ts": "1.0"}
    return slack_day(tmp, bot)


def slack_join(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "subtype": "channel_join", "ts": "1577959200.0"})


def slack_corrupt_day(tmp: Path) -> Made:
    return slack_zip(tmp, {"general/2020-01-02.json": b'[{"type": "message", "user": "U1", '})


def slack_missing_ts(tmp: Path) -> Made:
    return slack_day(tmp, {"type": "message", "user": "U1", "text": "no time"})


def slack_bad_ts(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "ts": "soon"})


def slack_epoch_ms(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "ts": "1577959200000"})


def slack_epoch_1970(tmp: Path) -> Made:
    return slack_day(tmp, {**HELLO, "ts": "10.5"})


def slack_stray_member(tmp: Path) -> Made:
    return slack_zip(tmp, {"notes/readme.txt": b"hello"})


# -- Discourse ------------------------------------------------------------------------------


def topic(tmp: Path, data: str | dict[str, Any]) -> Made:
    path = tmp / "42.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return ingest_discourse, [path], {}


FIRST = {"id": 1, "post_number": 1, "username": "ann", "created_at": "2021-01-01T00:00:00Z"}


def discourse_bad_json(tmp: Path) -> Made:
    return topic(tmp, '{"id": 42, "post_stream": {"posts": [')


def discourse_nan(tmp: Path) -> Made:
    return topic(tmp, '{"id": 42, "score": NaN, "post_stream": {"posts": []}}')


def discourse_no_stream(tmp: Path) -> Made:
    return topic(tmp, {"id": 42, "title": "no posts"})


def discourse_no_time(tmp: Path) -> Made:
    post = {k: v for k, v in FIRST.items() if k != "created_at"}
    return topic(tmp, {"id": 42, "post_stream": {"posts": [post]}})


def discourse_naive_time(tmp: Path) -> Made:
    post = {**FIRST, "created_at": "2021-01-01T00:00:00"}
    return topic(tmp, {"id": 42, "post_stream": {"posts": [post]}})


def discourse_deleted_user(tmp: Path) -> Made:
    post = {**FIRST, "username": None, "user_deleted": True}
    return topic(tmp, {"id": 42, "post_stream": {"posts": [post]}})


# -- GitHub ---------------------------------------------------------------------------------

ISSUE = {
    "url": "https://api.github.com/repos/o/r/issues/5",
    "number": 5,
    "title": "t",
    "body": "b",
    "user": {"login": "ann", "id": 1},
    "created_at": "2022-01-01T00:00:00Z",
    "state": "open",
}


def page(tmp: Path, data: str | list[Any]) -> Made:
    path = tmp / "issues.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return ingest_github, [path], {}


def github_null_user(tmp: Path) -> Made:
    return page(tmp, [{**ISSUE, "user": None}])


def github_bad_json(tmp: Path) -> Made:
    return page(tmp, json.dumps([ISSUE])[:-10])


def github_duplicate_keys(tmp: Path) -> Made:
    return page(tmp, '[{"number": 1, "number": 2}]')


def github_no_time(tmp: Path) -> Made:
    return page(tmp, [{k: v for k, v in ISSUE.items() if k != "created_at"}])


def github_bad_time(tmp: Path) -> Made:
    return page(tmp, [{**ISSUE, "created_at": "2022-13-45T00:00:00Z"}])


def github_unknown_record(tmp: Path) -> Made:
    return page(tmp, [{"node_id": "abc", "payload": {}}])


def github_event(tmp: Path) -> Made:
    return page(tmp, [ISSUE, {"id": 9, "event": "labeled", "created_at": "2022-01-02T00:00:00Z"}])


def github_user_string(tmp: Path) -> Made:
    return page(tmp, [{**ISSUE, "user": "ann"}])


def github_bad_merge_time(tmp: Path) -> Made:
    pull = {**ISSUE, "pull_request": {"merged_at": "not a time"}}
    return page(tmp, [pull])


CASES: dict[str, Case] = {
    "se_dtd_entities": Case(se_dtd, "Posts.xml", "rejected", "dtd_refused", "Posts.xml line 2"),
    "se_dtd_after_comment": Case(
        se_dtd_after_comment, "Posts.xml", "rejected", "dtd_refused", "Posts.xml line 3"
    ),
    "se_truncated_xml": Case(
        se_truncated, "Posts.xml", "rejected", "truncated_xml", "Posts.xml line 4, column"
    ),
    "se_truncated_gzip": Case(
        se_truncated_gzip, "Posts.xml.gz", "rejected", "truncated_gzip", "Posts.xml.gz after row"
    ),
    "se_not_well_formed": Case(
        se_not_xml, "Posts.xml", "rejected", "bad_xml", "Posts.xml line 2, column"
    ),
    "se_utf16_refused": Case(se_utf16, "Posts.xml", "rejected", "bad_encoding", "Posts.xml line 1"),
    "se_missing_owner": Case(
        se_no_owner,
        "Posts.xml",
        "accepted",
        check=lambda r: r.messages[0]["author"].is_deleted,
    ),
    "se_community_user": Case(
        se_community, "Posts.xml", "accepted", check=lambda r: r.messages[0]["author"].is_bot
    ),
    "se_bad_date": Case(se_bad_date, "Posts.xml", "rejected", "bad_date", "Posts.xml row 1 (Id=1)"),
    "se_date_1970": Case(
        se_year_1970, "Posts.xml.gz", "rejected", "implausible_date", "Posts.xml.gz row 1 (Id=1)"
    ),
    "se_answer_without_parent": Case(
        se_answer_without_parent, "Posts.xml", "rejected", "missing_field", "row 2 (Id=2): ParentId"
    ),
    "se_bad_owner_id": Case(
        se_bad_owner, "Posts.xml", "rejected", "bad_field", "Posts.xml row 1 (Id=1): OwnerUserId"
    ),
    "slack_zip_slip": Case(
        slack_slip, "../evil/2020-01-01.json", "rejected", "zip_slip", "../evil/2020-01-01.json"
    ),
    "slack_absolute_path": Case(
        slack_absolute, "/etc/2020-01-01.json", "rejected", "zip_slip", "/etc/2020-01-01.json"
    ),
    "slack_zip_bomb": Case(
        slack_bomb, "general/2020-01-03.json", "rejected", "zip_bomb", "general/2020-01-03.json"
    ),
    "slack_zip_total_cap": Case(
        slack_total_cap, "general/2020-01-04.json", "rejected", "zip_bomb", "archive over"
    ),
    "slack_corrupt_member": Case(
        slack_crc_error,
        "general/2020-01-05.json",
        "rejected",
        "corrupt_member",
        "general/2020-01-05.json",
    ),
    "slack_unknown_user": Case(
        slack_unknown_user,
        "general/2020-01-02.json",
        "accepted",
        check=lambda r: r.message("C1:1577959200.0")["author"].is_deleted,
    ),
    "slack_deleted_user": Case(
        slack_deleted_user,
        "general/2020-01-02.json",
        "accepted",
        check=lambda r: r.message("C1:1577959200.0")["author"].is_deleted,
    ),
    "slack_bot_subtype": Case(
        slack_bot, "general/2020-01-02.json", "excluded", "bot", "general/2020-01-02.json[0]"
    ),
    "slack_join_subtype": Case(
        slack_join, "general/2020-01-02.json", "excluded", "join_leave", "2020-01-02.json[0]"
    ),
    "slack_corrupt_day_file": Case(
        slack_corrupt_day,
        "general/2020-01-02.json",
        "rejected",
        "bad_json",
        "general/2020-01-02.json: ",
        # The other day file is still read.
        check=lambda r: r.log("general/2020-01-01.json").n_accepted == 1,
    ),
    "slack_missing_ts": Case(
        slack_missing_ts, "2020-01-02.json", "rejected", "missing_field", "2020-01-02.json[0]: ts"
    ),
    "slack_bad_ts": Case(slack_bad_ts, "2020-01-02.json", "rejected", "bad_date", "json[0]: not"),
    "slack_epoch_milliseconds": Case(
        slack_epoch_ms, "2020-01-02.json", "rejected", "bad_date", "json[0]: beyond the calendar"
    ),
    "slack_epoch_1970": Case(
        slack_epoch_1970, "2020-01-02.json", "rejected", "implausible_date", "2020-01-02.json[0]"
    ),
    "slack_stray_member": Case(
        slack_stray_member, "notes/readme.txt", "excluded", "not_a_day_file", "notes/readme.txt"
    ),
    "discourse_bad_json": Case(discourse_bad_json, "42.json", "rejected", "bad_json", "42.json: "),
    "discourse_nan": Case(discourse_nan, "42.json", "rejected", "bad_json", "constant NaN"),
    "discourse_missing_stream": Case(
        discourse_no_stream, "42.json", "rejected", "missing_field", "42.json: post_stream.posts"
    ),
    "discourse_missing_time": Case(
        discourse_no_time, "42.json", "rejected", "missing_field", "posts[0]: created_at"
    ),
    "discourse_naive_time": Case(
        discourse_naive_time, "42.json", "rejected", "bad_date", "posts[0]: naive time"
    ),
    "discourse_deleted_user": Case(
        discourse_deleted_user,
        "42.json",
        "accepted",
        check=lambda r: r.messages[0]["author"].is_deleted,
    ),
    "github_user_null": Case(
        github_null_user,
        "issues.json",
        "accepted",
        check=lambda r: r.messages[0]["author"].is_deleted,
    ),
    "github_bad_json": Case(github_bad_json, "issues.json", "rejected", "bad_json", "issues.json"),
    "github_duplicate_keys": Case(
        github_duplicate_keys, "issues.json", "rejected", "bad_json", "duplicate key 'number'"
    ),
    "github_missing_time": Case(
        github_no_time, "issues.json", "rejected", "missing_field", "issues.json[0]: created_at"
    ),
    "github_bad_time": Case(
        github_bad_time, "issues.json", "rejected", "bad_date", "issues.json[0]: not a timestamp"
    ),
    "github_unknown_record": Case(
        github_unknown_record, "issues.json", "rejected", "unknown_record", "issues.json[0]"
    ),
    "github_event_excluded": Case(
        github_event, "issues.json", "excluded", "not_a_message", "issues.json[1]"
    ),
    "github_user_not_object": Case(
        github_user_string, "issues.json", "rejected", "bad_field", "issues.json[0]: user"
    ),
    "github_bad_merge_time": Case(
        github_bad_merge_time, "issues.json", "rejected", "bad_date", "issues.json[0]"
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    adapter, paths, options = case.make(tmp_path)
    recorder = Recorder(tmp_path / "trace")
    adapter(recorder, paths, **options)  # must not raise
    manifest = manifest_check(recorder.real.write())
    (source,) = [
        s
        for s in manifest["sources"]
        if (s["member"] or Path(s["path"]).name).endswith(case.source)
    ]
    assert source[case.bucket] >= 1, source
    if case.reason is not None:
        assert source["reasons"].get(case.reason, 0) >= 1, source
    if case.bucket == "rejected":
        quarantined = [
            json.loads(line)
            for line in quarantine_path(tmp_path / "trace").read_text("utf-8").splitlines()
        ]
        locations = [q["location"] for q in quarantined if q["reason"] == case.reason]
        assert any(case.location in where for where in locations), (case.location, quarantined)
    if case.bucket == "excluded":
        log = recorder.log(case.source)
        assert any(
            reason == case.reason and case.location in where for reason, where in log.excluded
        ), log.excluded
    if case.check is not None:
        assert case.check(recorder)


def test_enough_cases() -> None:
    formats = {name.split("_")[0] for name in CASES}
    assert formats == {"se", "slack", "discourse", "github"}
    assert len(CASES) >= 15


def test_unreadable_inputs_fail_naming_the_path(tmp_path: Path) -> None:
    empty = tmp_path / "empty-site"
    empty.mkdir()
    with pytest.raises(InputError, match="no Posts.xml") as error:
        ingest_stackexchange(Recorder(tmp_path / "t1"), [empty])
    assert error.value.path == str(empty)
    no_users = tmp_path / "export.zip"
    with zipfile.ZipFile(no_users, "w") as archive:
        archive.writestr("general/2020-01-01.json", json.dumps([HELLO]))
    with pytest.raises(InputError, match="no users.json"):
        ingest_slack(Recorder(tmp_path / "t2"), [no_users])
    not_zip = tmp_path / "export2.zip"
    not_zip.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match="not a readable zip"):
        ingest_slack(Recorder(tmp_path / "t3"), [not_zip])
    with pytest.raises(InputError, match="no such file"):
        ingest_github(Recorder(tmp_path / "t4"), [tmp_path / "missing.json"])


# -- Property tests: arbitrary records never crash a reader and always reconcile --------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
PLAUSIBLE = st.sampled_from(
    [
        "https://api.github.com/repos/o/r/issues/1",
        "https://api.github.com/repos/o/r/pulls/1",
        "2022-01-01T00:00:00Z",
        "2022-01-01T00:00:00",
        "1577872800.000100",
        {"login": "ann", "id": 1},
        {"merged_at": "2022-01-02T00:00:00Z"},
        "APPROVED",
        "PENDING",
        "closed",
        "completed",
        "bot_message",
        "channel_join",
        "thread_broadcast",
        "U1",
        "<p>hi <a class='mention'>@ann</a></p>",
        1,
        2,
        3,
    ]
)


def records(keys: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
    record = st.dictionaries(st.sampled_from(keys), PLAUSIBLE | VALUES, max_size=len(keys))
    return st.lists(record | VALUES, max_size=4)


GITHUB_KEYS = [
    "url", "html_url", "number", "title", "body", "user", "created_at", "state", "state_reason",
    "pull_request", "issue_url", "pull_request_url", "id", "submitted_at", "diff_hunk",
    "in_reply_to_id", "head", "merged_at", "merged_by", "closed_at", "closed_by",
    "author_association",
]  # fmt: skip
SLACK_KEYS = ["type", "subtype", "user", "text", "ts", "thread_ts", "bot_id"]
DISCOURSE_KEYS = [
    "id", "post_number", "username", "name", "user_id", "created_at", "cooked", "post_type",
    "reply_to_post_number", "accepted_answer", "moderator", "admin", "staff", "trust_level",
    "user_deleted", "action_code",
]  # fmt: skip
SE_KEYS = [
    "Id", "PostTypeId", "ParentId", "AcceptedAnswerId", "CreationDate", "OwnerUserId", "Body",
    "Title",
]  # fmt: skip
SE_VALUES = st.sampled_from(["1", "2", "3", "4", "-1", "", "x", "2014-01-01T00:00:00", "<p>hi</p>"])
PROPERTY = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def reconciles(recorder: Recorder) -> None:
    for source in recorder.real.sources():
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"]
    manifest_check(recorder.real.write())


@PROPERTY
@given(items=records(GITHUB_KEYS))
def test_github_arbitrary_records(tmp_path_factory: pytest.TempPathFactory, items: Any) -> None:
    tmp = tmp_path_factory.mktemp("github")
    (tmp / "page.json").write_text(json.dumps(items))
    recorder = Recorder(tmp / "trace")
    ingest_github(recorder, [tmp / "page.json"])
    reconciles(recorder)


@PROPERTY
@given(items=records(SLACK_KEYS))
def test_slack_arbitrary_messages(tmp_path_factory: pytest.TempPathFactory, items: Any) -> None:
    tmp = tmp_path_factory.mktemp("slack")
    adapter, paths, options = slack_zip(tmp, {"general/2020-01-02.json": items})
    recorder = Recorder(tmp / "trace")
    adapter(recorder, paths, **options)
    reconciles(recorder)


@PROPERTY
@given(items=records(DISCOURSE_KEYS), topic_id=VALUES | st.just(42))
def test_discourse_arbitrary_posts(
    tmp_path_factory: pytest.TempPathFactory, items: Any, topic_id: Any
) -> None:
    tmp = tmp_path_factory.mktemp("discourse")
    data = {"id": topic_id, "category_id": topic_id, "accepted_answer": topic_id}
    adapter, paths, options = topic(tmp, {**data, "post_stream": {"posts": items, "stream": items}})
    recorder = Recorder(tmp / "trace")
    adapter(recorder, paths, **options)
    reconciles(recorder)


@PROPERTY
@given(
    rows=st.lists(
        st.dictionaries(st.sampled_from(SE_KEYS), SE_VALUES | st.text(max_size=8)), max_size=5
    )
)
def test_stackexchange_arbitrary_rows(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    tmp = tmp_path_factory.mktemp("se")
    root = ET.Element("posts")
    for row in rows:
        ET.SubElement(root, "row", row)
    adapter, paths, options = se_site(tmp, PROLOG.encode() + ET.tostring(root))
    recorder = Recorder(tmp / "trace")
    adapter(recorder, paths, **options)
    reconciles(recorder)
