"""Slack export adapter on a tiny export written here (no real Slack data is shipped)."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _adapters_b import Recorder

from undertow.ingest.slack import ingest_slack

ROOT_TS = "1577872800.000100"  # 2020-01-01T10:00:00.0001Z

USERS = [
    {
        "id": "U1",
        "name": "ann",
        "real_name": "Ann Lee",
        "is_admin": True,
        "profile": {"email": "ann@example.org"},
    },
    {"id": "U2", "name": "bob", "real_name": "Bob Stone", "is_owner": True, "is_admin": True},
    {"id": "U3", "name": "gone", "real_name": "Gone Person", "deleted": True},
    {"id": "U4", "name": "helper", "is_bot": True},
]
CHANNELS = [
    {"id": "C1", "name": "general", "is_general": True},
    {"id": "C2", "name": "random"},
]
GENERAL_DAY1 = [
    {
        "type": "message",
        "user": "U1",
        "text": "hello <@U2|bob> see ```diff\n--- a/x\n+++ b/x\n```",
        "ts": ROOT_TS,
    },
    {
        "type": "message",
        "subtype": "channel_join",
        "user": "U2",
        "text": "joined",
        "ts": "1577872801.0",
    },
    {
        "type": "message",
        "user": "U2",
        "text": "> hello\nthanks!",
        "ts": "1577872900.0",
        "thread_ts": ROOT_TS,
    },
    {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B1",
        "text": "beep",
        "ts": "1577872901.0",
    },
    {"type": "message", "user": "U9", "text": "who am I", "ts": "1577872902.0"},
    {"type": "message", "user": "U3", "text": "left since", "ts": "1577872903.0"},
]
GENERAL_DAY2 = [
    {
        "type": "message",
        "user": "U1",
        "text": "late reply",
        "ts": "1577959300.0",
        "thread_ts": ROOT_TS,
    },
    {
        "type": "message",
        "subtype": "channel_topic",
        "user": "U1",
        "text": "topic",
        "ts": "1577959301.0",
    },
    {"type": "message", "user": "U4", "text": "automated", "ts": "1577959302.0"},
]


def write_export(path: Path, extra: dict[str, Any] | None = None) -> Path:
    members: dict[str, Any] = {
        "users.json": USERS,
        "channels.json": CHANNELS,
        "general/2020-01-01.json": GENERAL_DAY1,
        "general/2020-01-02.json": GENERAL_DAY2,
        "random/2020-01-01.json": [
            {"type": "message", "user": "U2", "text": "hi <@U1>", "ts": "1577872950.0"}
        ],
    }
    members.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            archive.writestr(name, data)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Recorder:
    recorder = Recorder(tmp_path / "trace")
    ingest_slack(recorder, [write_export(tmp_path / "export.zip")])  # type: ignore[arg-type]
    return recorder


def test_threads_replies_and_mentions(tiny: Recorder) -> None:
    assert tiny.kinds() == {"chat": 4, "reply": 2}
    root = tiny.message(f"C1:{ROOT_TS}")
    assert root["kind"] == "chat" and root["thread_source_id"] == f"C1:{ROOT_TS}"
    assert root["created_at"] == datetime(2020, 1, 1, 10, 0, 0, 100, tzinfo=UTC)
    assert root["text"] == "hello @user see" and root["has_patch"] is True
    assert root["addressee"].handle == "slack:bob"
    reply = tiny.message("C1:1577872900.0")
    assert reply["parent_source_id"] == f"C1:{ROOT_TS}" and reply["kind"] == "reply"
    assert reply["quoted_text"] == "hello" and reply["text"] == "thanks!"
    # A reply in a later day file still points at the root.
    assert tiny.message("C1:1577959300.0")["parent_source_id"] == f"C1:{ROOT_TS}"


def test_people_roles_spaces(tiny: Recorder) -> None:
    ann = tiny.message(f"C1:{ROOT_TS}")["author"]
    assert (ann.email, ann.name, ann.source_id) == ("ann@example.org", "Ann Lee", "slack:U1")
    assert tiny.message("C1:1577872902.0")["author"].is_deleted  # unknown user
    assert tiny.message("C1:1577872903.0")["author"].is_deleted  # deleted user
    roles = {(person.handle, kw["role"], kw["rank"]) for person, kw in tiny.roles}
    assert roles == {("slack:ann", "admin", 1), ("slack:bob", "owner", 2)}
    assert tiny.spaces == {
        "C1": {"name": "general", "governance": "official"},
        "C2": {"name": "random", "governance": "emergent"},
    }


def test_exclusions_and_reconciliation(tiny: Recorder) -> None:
    day1, day2 = tiny.log("general/2020-01-01.json"), tiny.log("general/2020-01-02.json")
    assert day1.excluded == [
        ("join_leave", "general/2020-01-01.json[1] channel_join"),
        ("bot", "general/2020-01-01.json[3]"),
    ]
    assert day2.excluded == [
        ("channel_event", "general/2020-01-02.json[1] channel_topic"),
        ("bot", "general/2020-01-02.json[2]"),
    ]
    manifest = tiny.check_reconciled()
    assert manifest["totals"]["read"] == 10
    assert manifest["totals"]["accepted"] == 6
    assert manifest["identity"]["people"] >= 3


def test_unpacked_folder_reads_like_the_zip(tmp_path: Path) -> None:
    archive = write_export(tmp_path / "export.zip")
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    recorder = Recorder(tmp_path / "trace")
    ingest_slack(recorder, [folder])  # type: ignore[arg-type]
    assert recorder.kinds() == {"chat": 4, "reply": 2}
    recorder.check_reconciled()


def test_export_inside_one_top_folder(tmp_path: Path) -> None:
    flat = write_export(tmp_path / "export.zip")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(flat) as source, zipfile.ZipFile(nested, "w") as target:
        for info in source.infolist():
            target.writestr(f"acme-export/{info.filename}", source.read(info))
    recorder = Recorder(tmp_path / "trace")
    ingest_slack(recorder, [nested])  # type: ignore[arg-type]
    assert recorder.kinds() == {"chat": 4, "reply": 2}
    assert recorder.log("acme-export/general/2020-01-01.json").n_read == 6
    recorder.check_reconciled()
