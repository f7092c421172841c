"""Read a Slack workspace export (the zip Slack's admin export produces, or its folder).

What becomes what
-----------------
- Each ``<channel>/<YYYY-MM-DD>.json`` day file is one source; each message in it one
  record. A message whose ``thread_ts`` differs from its ``ts`` is a ``reply`` to the
  thread root (``parent`` = root, which may sit in an earlier day file); every other
  message is ``chat`` and its own thread.
- Excluded with a reason: bot posts (``subtype: bot_message``, a ``bot_id`` or a bot
  account: ``bot``), joins and leaves (``join_leave``), channel events such as
  ``channel_topic`` (``channel_event``) and every other system subtype such as pins,
  reminders, tombstones (``system_message``; the subtype is in the location).
  ``thread_broadcast``, ``file_share`` and ``me_message`` are people talking, so kept.
- People: ``users.json`` gives handle, display name and e-mail (so Slack people merge
  with their mailing-list selves). A user that is missing, unknown or marked
  ``deleted`` is the one deleted-account person. ``<@U123>`` mentions are replaced by
  ``@user`` in the text and the first one is the message's addressee.
- Roles: workspace ``is_primary_owner`` (rank 3), ``is_owner`` (2), ``is_admin`` (1),
  the highest one held; the export holds the current flags only, so ``valid_from``
  is null.
- Spaces: channels (``channels.json``) and private channels (``groups.json``) by id,
  named by channel name. Governance is ``official`` for the workspace's default
  channel (``is_general``) and channels named ``general``, ``announce`` or
  ``announcements``, which the workspace owners run; every other channel was opened by
  members, so ``emergent``. Direct messages (``dms.json``, ``mpims.json``) are
  ``emergent`` spaces without a name (a group DM's name lists its members); a folder
  listed nowhere becomes ``unlisted-<n>``, also unnamed.

Safety: member names with ``..`` or an absolute path are rejected (``zip_slip``);
decompressed bytes are capped per member and per archive (``zip_bomb``); a day file
that is not valid JSON is rejected whole with its member name (``bad_json``) while the
rest is read.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from undertow.errors import InputError
from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder
from undertow.ingest.jsonsource import RecordError, load_json, markdown_text, parse_epoch
from undertow.ingest.safezip import (
    SafeZip,
    UnsafeMemberError,
    unsafe_name_reason,
)

__all__ = ["OFFICIAL_CHANNELS", "SLACK_ROLES", "ingest_slack"]

#: Channel names the workspace runs (besides the ``is_general`` default channel).
OFFICIAL_CHANNELS = frozenset({"general", "announce", "announcements"})
#: Workspace flags as roles, highest first: (flag, role, rank).
SLACK_ROLES = (
    ("is_primary_owner", "primary_owner", 3),
    ("is_owner", "owner", 2),
    ("is_admin", "admin", 1),
)

_DAY_FILE = re.compile(r"^([^/]+)/(\d{4}-\d{2}-\d{2})\.json$")
_METADATA = frozenset({"users.json", "channels.json", "groups.json", "dms.json", "mpims.json"})
_KEEP = frozenset({None, "thread_broadcast", "file_share", "me_message"})
_JOIN_LEAVE = frozenset({"channel_join", "channel_leave", "group_join", "group_leave"})
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(?:#[A-Z0-9]+\|([^>]*)|[^|>]*\|([^>]*)|([^>|]*))>")
_DELETED = RawIdentity(is_deleted=True)

# (member name, reader) pairs; the reader raises UnsafeMemberError.
_Members = Iterator[tuple[str, Callable[[], bytes]]]


def _zip_members(archive: SafeZip) -> _Members:
    for info in archive.members():

        def read(info: zipfile.ZipInfo = info) -> bytes:
            return archive.read(info)

        yield info.filename, read


def _folder_members(folder: Path, max_member_bytes: int) -> _Members:
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):

        def read(file: Path = file) -> bytes:
            if file.stat().st_size > max_member_bytes:
                raise UnsafeMemberError("zip_bomb", file.name, "file too large")
            return file.read_bytes()

        yield file.relative_to(folder).as_posix(), read


def _list(data: bytes, name: str, path: Path) -> list[dict[str, Any]]:
    try:
        value = load_json(data)
    except RecordError as error:
        raise InputError(f"{name}: {error}", path=path) from error
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InputError(f"{name}: expected a list of objects", path=path)
    return value


class _Export:
    def __init__(
        self, builder: TraceBuilder, path: Path, max_member_bytes: int, max_total_bytes: int
    ) -> None:
        self.builder = builder
        self.path = path
        self.max_member_bytes = max_member_bytes
        self.max_total_bytes = max_total_bytes
        self.users: dict[str, RawIdentity] = {}
        self.bots: set[str] = set()
        # folder name -> space key
        self.spaces: dict[str, str] = {}

    def read_users(self, users: list[dict[str, Any]]) -> None:
        # Real names are not unique and the builder merges records sharing a multi-word
        # name, so a name held by several accounts is left out of their identities.
        shared = Counter(_name_key(_real_name(user)) for user in users)
        for index, user in enumerate(users):
            user_id = user.get("id")
            if not isinstance(user_id, str):
                continue
            if user.get("deleted"):
                self.users[user_id] = _DELETED
                continue
            profile = user.get("profile")
            email = profile.get("email") if isinstance(profile, dict) else None
            bot = bool(user.get("is_bot")) or user_id == "USLACKBOT"
            if bot:
                self.bots.add(user_id)
            person = RawIdentity(
                email=email if isinstance(email, str) and email else None,
                name=_real_name(user) if shared[_name_key(_real_name(user))] == 1 else None,
                handle=f"slack:{user['name']}" if user.get("name") else None,
                source_id=f"slack:{user_id}",
                is_bot=bot,
            )
            self.users[user_id] = person
            for flag, role, rank in SLACK_ROLES:
                if user.get(flag):
                    self.builder.add_role(
                        person, role=role, rank=rank, source_ref=f"users.json item {index}"
                    )
                    break

    def read_spaces(self, kind: str, channels: list[dict[str, Any]]) -> None:
        for channel in channels:
            channel_id, name = channel.get("id"), channel.get("name")
            if not isinstance(channel_id, str):
                continue
            if kind in ("channels.json", "groups.json") and isinstance(name, str):
                official = bool(channel.get("is_general")) or name.casefold() in OFFICIAL_CHANNELS
                governance = "official" if official else "emergent"
                self.builder.add_space(channel_id, name=name, governance=governance)
                self.spaces[name] = channel_id
            else:
                self.builder.add_space(channel_id, name=None, governance="emergent")
                # A DM's folder is its id, a group DM's folder its (member-naming) name.
                self.spaces[name if isinstance(name, str) else channel_id] = channel_id

    def space(self, folder: str) -> str:
        if folder not in self.spaces:
            key = f"unlisted-{sum(k.startswith('unlisted-') for k in self.spaces.values()) + 1}"
            self.builder.add_space(key, name=None, governance="unknown")
            self.spaces[folder] = key
        return self.spaces[folder]

    def person(self, user_id: object) -> RawIdentity:
        if isinstance(user_id, str):
            return self.users.get(user_id, _DELETED)
        return _DELETED

    def day(self, log: SourceLog, name: str, data: bytes, folder: str) -> None:
        try:
            messages = load_json(data)
        except RecordError as error:
            log.read()
            log.reject(error.reason, f"{name}: {error.detail}")
            return
        if not isinstance(messages, list):
            log.read()
            log.reject("bad_json", f"{name}: expected a list of messages")
            return
        space = self.space(folder)
        for index, message in enumerate(messages):
            log.read()
            location = f"{name}[{index}]"
            try:
                self.message(log, location, message, space)
            except RecordError as error:
                log.reject(
                    error.reason, f"{location}: {error.detail}" if error.detail else location
                )

    def message(self, log: SourceLog, location: str, message: object, space: str) -> None:
        if not isinstance(message, dict):
            raise RecordError("bad_record", "not an object")
        if message.get("type", "message") != "message":
            log.exclude("system_message", f"{location} type={message.get('type')!r}")
            return
        subtype = message.get("subtype")
        if subtype is not None and not isinstance(subtype, str):
            raise RecordError("bad_field", "subtype")
        user_id = message.get("user")
        if not isinstance(user_id, str):
            # Unknown, hence the deleted account (see person()).
            user_id = None
        if subtype == "bot_message" or "bot_id" in message or user_id in self.bots:
            log.exclude("bot", location)
            return
        if subtype in _JOIN_LEAVE:
            log.exclude("join_leave", f"{location} {subtype}")
            return
        if isinstance(subtype, str) and subtype.startswith(("channel_", "group_")):
            log.exclude("channel_event", f"{location} {subtype}")
            return
        if subtype not in _KEEP:
            log.exclude("system_message", f"{location} {subtype}")
            return
        if "ts" not in message:
            raise RecordError("missing_field", "ts")
        created_at = parse_epoch(message["ts"])
        text = message.get("text", "")
        if not isinstance(text, str):
            raise RecordError("bad_field", "text")
        mentioned = _USER_MENTION.findall(text)
        body = markdown_text(_LINK.sub(_link_label, _USER_MENTION.sub("@user", text)))
        own_id = f"{space}:{message['ts']}"
        thread_ts = message.get("thread_ts")
        if thread_ts is not None and thread_ts != message["ts"]:
            parse_epoch(thread_ts)
            root = f"{space}:{thread_ts}"
            parent, kind = root, "reply"
        else:
            root, parent, kind = own_id, None, "chat"
        self.builder.add_message(
            log,
            source_message_id=own_id,
            author=self.person(user_id),
            created_at=created_at,
            kind=kind,
            text=body.text or None,
            quoted_text=body.quoted,
            parent_source_id=parent,
            thread_source_id=root,
            addressee=self.person(mentioned[0]) if mentioned else None,
            space=space,
            has_patch=body.has_diff,
            location=location,
        )

    def read(self) -> None:
        if self.path.is_dir():
            self.read_members(_folder_members(self.path, self.max_member_bytes))
            return
        with SafeZip(self.path, self.max_member_bytes, self.max_total_bytes) as archive:
            self.read_members(_zip_members(archive))

    def read_members(self, members: _Members) -> None:
        entries = list(members)
        # A re-zipped export often sits in one top folder ("export/users.json").
        prefix = ""
        names = {name for name, _ in entries}
        if "users.json" not in names:
            nested = [n for n in names if n.endswith("/users.json") and n.count("/") == 1]
            if len(nested) == 1:
                prefix = nested[0].removesuffix("users.json")
        # Metadata first: day files need users and channels. Member order in a zip is free.
        pending: list[tuple[str, str, Callable[[], bytes]]] = []
        metadata: dict[str, bytes] = {}
        for name, read in entries:
            relative = name.removeprefix(prefix)
            if relative in _METADATA and unsafe_name_reason(name) is None:
                try:
                    metadata[relative] = read()
                except UnsafeMemberError as error:
                    raise InputError(f"{name}: {error.reason}", path=self.path) from error
            else:
                pending.append((name, relative, read))
        if "users.json" not in metadata:
            raise InputError("not a Slack export: no users.json", path=self.path)
        self.read_users(_list(metadata["users.json"], "users.json", self.path))
        for kind in ("channels.json", "groups.json", "dms.json", "mpims.json"):
            if kind in metadata:
                self.read_spaces(kind, _list(metadata[kind], kind, self.path))
        for name, relative, read in pending:
            self.member(name, relative, read)

    def member(self, name: str, relative: str, read: Callable[[], bytes]) -> None:
        log = self.builder.source(self.path, member=name)
        reason = unsafe_name_reason(name)
        if reason is not None:
            log.read()
            log.reject(reason, name)
            return
        day = _DAY_FILE.match(relative)
        if day is None:
            log.read()
            log.exclude("not_a_day_file", name)
            return
        try:
            data = read()
        except UnsafeMemberError as error:
            log.read()
            log.reject(error.reason, f"{name}: {error}")
            return
        self.day(log, name, data, day.group(1))


def _real_name(user: dict[str, Any]) -> str | None:
    profile = user.get("profile")
    name = user.get("real_name") or (
        profile.get("real_name") if isinstance(profile, dict) else None
    )
    return name if isinstance(name, str) and name.strip() else None


def _name_key(name: str | None) -> str | None:
    return None if name is None else " ".join(name.casefold().split())


def _link_label(match: re.Match[str]) -> str:
    channel, label, bare = match.groups()
    if channel is not None:
        return f"#{channel}"
    return label if label is not None else (bare or "")


def ingest_slack(
    builder: TraceBuilder,
    paths: Sequence[str | Path],
    *,
    max_member_bytes: int | None = None,
    max_total_bytes: int | None = None,
    **options: Any,
) -> None:
    """Read Slack export zips (or their unpacked folders) into a trace builder.

    Parameters
    ----------
    builder
        Collects messages, roles and spaces, and does the bookkeeping.
    paths
        Export zips or folders holding ``users.json``, ``channels.json`` and one folder
        of day files per channel (also when all of it sits in one top folder).
    max_member_bytes, max_total_bytes
        Caps on decompressed bytes actually read, per member and per archive
        (default: the builder's ``max_file_bytes`` and ``max_decompressed_bytes``).

    Raises
    ------
    InputError
        When a path is not a readable zip or folder, or its ``users.json`` is missing
        or unreadable (without it no message can be attributed).

    Examples
    --------
    >>> import tempfile, zipfile, pathlib, json
    >>> from undertow.ingest.builder import TraceBuilder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "export.zip"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     archive.writestr("users.json", json.dumps([{"id": "U1", "name": "ann"}]))
    ...     archive.writestr("channels.json", json.dumps([{"id": "C1", "name": "general"}]))
    ...     archive.writestr("general/2020-01-01.json", json.dumps(
    ...         [{"type": "message", "user": "U1", "text": "hi", "ts": "1577836800.000100"}]))
    >>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    >>> ingest_slack(builder, [path])
    >>> [(s["member"], s["read"], s["accepted"]) for s in builder.write()["sources"]]
    [('general/2020-01-01.json', 1, 1)]
    """
    builder.observe("slack")
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise InputError("no such file or folder", path=path)
        member_cap = builder.limits.max_file_bytes if max_member_bytes is None else max_member_bytes
        total_cap = (
            builder.limits.max_decompressed_bytes if max_total_bytes is None else max_total_bytes
        )
        _Export(builder, path, member_cap, total_cap).read()
