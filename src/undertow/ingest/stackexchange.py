"""Read a Stack Exchange data dump (one site's folder of XML files, plain or ``.gz``).

What becomes what
-----------------
- ``Posts.xml``: questions (``PostTypeId`` 1) are ``post`` messages that start a
  thread; answers (2) are ``answer`` messages replying to their question; tag-wiki
  excerpts and bodies (4, 5) and the other site-wiki types are excluded (``tag_wiki``,
  ``site_wiki``). The title is the first paragraph of a question's text; quotes go to
  ``quoted_text``; code blocks are dropped and a diff among them sets ``has_patch``.
- ``Comments.xml``: ``comment`` messages replying to their post, in the post's thread.
  An ``@name`` mention addresses the most recent earlier commenter on the same post
  whose display name (spaces removed) starts with ``name`` (Stack Exchange's own
  notification rule, at least 3 characters), else the post's author if the name is
  theirs; otherwise nobody is addressed.
- ``AcceptedAnswerId``: an ``accepted_answer`` outcome on the question's thread; the
  message is the answer, the actor the asker, the time that of the answer's
  "accepted" vote (``VoteTypeId`` 1 in ``Votes.xml``) when present.
- Roles. The dump has no moderator flag, so formal position is read from what it has:
  current reputation (``Users.xml``) gives ``edit_privilege`` (rank 1, >= 2,000: edit
  anyone's posts, the first privilege that acts on others' words) or
  ``moderator_tools`` (rank 2, >= 10,000); the dump holds today's reputation only, so
  ``valid_from`` is null (reputation history is not derivable: votes carry no voter and
  the daily cap is unknown). Badges give dated roles (``valid_from`` = award date):
  ``Sheriff`` (served a year as moderator) is ``moderator``, rank 3; review and flag
  badges (Custodian, Reviewer, Steward, Citizen Patrol, Deputy, Marshal) are rank 1;
  election and voting badges (Constituent, Electorate, Civic Duty, Suffrage,
  Vox Populi) are rank 0: a role name without position power.
- People: a user is identified by the network-wide ``AccountId`` (so a person's main-
  and meta-site accounts merge), else by the site and ``Id``. A post or comment without
  an owner id belongs to a deleted account; the ``Community`` user (-1) is a bot.
- Spaces: one per site, named after the folder. A meta site (folder name containing
  ``meta``) is the community's governance venue, where moderators and staff set
  policy, so its governance is ``official``; a main Q&A site is ``unknown``.
- Rows of ``Users.xml``, ``Badges.xml`` and ``Votes.xml`` are no messages but are
  accounted like them: a row used (a user, a role badge, an "accepted" vote) is
  accepted, one not used is excluded with why (``not_a_role_badge``,
  ``not_an_outcome_vote``, ``unknown_user``, ``system_account``), a malformed one rejected.
  ``PostLinks.xml`` and ``Tags.xml`` are not read.
- Display names are not unique on Stack Exchange and the builder merges records that
  share a multi-word name, so a name held by several accounts of the site is left out
  of those identities (which then rest on the account id alone).

Safety: a file whose prolog holds a DTD (``<!DOCTYPE``, hence any ``<!ENTITY``) is
refused before parsing (``dtd_refused``), so no entity is ever expanded. Parsing
streams with :func:`xml.etree.ElementTree.iterparse`, clearing each row. A truncated
or malformed file keeps every row read before the break and rejects the rest once,
with the line and column (``truncated_xml``, ``bad_xml``, ``truncated_gzip``). A row
with an attribute over the field cap is rejected alone (``field_too_large``); a tag
longer than the record cap stops the file there (``record_too_large``) before the
parser buffers it (``docs/limits.md``).
"""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET  # noqa: S405 - DTDs are refused before parsing (see _Prolog)
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from undertow.errors import InputError
from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder
from undertow.ingest.html import html_text
from undertow.ingest.jsonsource import RecordError
from undertow.ingest.limits import DEFAULT_LIMITS, Limits, open_input

__all__ = ["BADGE_ROLES", "REPUTATION_ROLES", "ingest_stackexchange"]

#: Reputation thresholds, highest first: (minimum reputation, role, rank).
REPUTATION_ROLES = ((10_000, "moderator_tools", 2), (2_000, "edit_privilege", 1))

#: Badges that say something about formal position: name -> (role, rank).
BADGE_ROLES = {
    "Sheriff": ("moderator", 3),
    "Custodian": ("reviewer", 1),
    "Reviewer": ("reviewer", 1),
    "Steward": ("reviewer", 1),
    "Citizen Patrol": ("flagger", 1),
    "Deputy": ("flagger", 1),
    "Marshal": ("flagger", 1),
    "Constituent": ("voter", 0),
    "Electorate": ("voter", 0),
    "Civic Duty": ("voter", 0),
    "Suffrage": ("voter", 0),
    "Vox Populi": ("voter", 0),
}

_PROLOG_LIMIT = 64 * 1024
_CHUNK = 1024 * 1024
_MENTION = re.compile(r"(?<![\w@])@([\w.\-']{3,})")
_COMMUNITY = -1
_QUESTION, _ANSWER = "1", "2"
_TAG_WIKI = frozenset({"4", "5"})
_ACCEPTED_VOTE = "1"


class _Refused(Exception):
    def __init__(self, reason: str, location: str) -> None:
        self.reason = reason
        self.location = location
        super().__init__(f"{location}: {reason}")


class _Prolog:
    """A byte stream whose XML prolog was checked for a DTD before anything is parsed."""

    def __init__(self, raw: BinaryIO, max_token: int) -> None:
        self._raw = raw
        self._head = raw.read(_PROLOG_LIMIT)
        self.n_bytes = len(self._head)
        _check_prolog(self._head, complete=len(self._head) < _PROLOG_LIMIT)
        # Bytes since the last ``>``: a tag (a row and its attributes) longer than the
        # record cap is refused before the parser buffers it, whose cost grows with
        # the square of a token's length.
        self._max_token = max_token
        self._open_for = 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                head, self._head = self._head, b""
                return head + self._count(self._raw.read())
            head, self._head = self._head[:size], self._head[size:]
            return head
        return self._count(self._raw.read(size))

    def _count(self, chunk: bytes) -> bytes:
        self.n_bytes += len(chunk)
        close = chunk.rfind(b">")
        self._open_for = self._open_for + len(chunk) if close < 0 else len(chunk) - close - 1
        if self._open_for > self._max_token:
            raise _Refused(
                "record_too_large",
                f"byte {self.n_bytes}: a tag longer than {self._max_token} bytes "
                "(the rest of the file is not read)",
            )
        return chunk


def _check_prolog(head: bytes, *, complete: bool) -> None:
    """Refuse a DTD, which is the only place an entity can be declared."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:256]:
        raise _Refused("bad_encoding", "line 1")
    text = head.removeprefix(b"\xef\xbb\xbf")
    at = 0
    while True:
        while at < len(text) and text[at : at + 1].isspace():
            at += 1
        if text.startswith(b"<?", at):
            close = b"?>"
        elif text.startswith(b"<!--", at):
            close = b"-->"
        elif text.startswith(b"<!", at):
            line = text.count(b"\n", 0, at) + 1
            raise _Refused("dtd_refused", f"line {line}")
        else:
            # The root element (or text the parser will reject itself).
            return
        end = text.find(close, at)
        if end < 0:
            if complete:
                return
            raise _Refused("dtd_refused", f"prolog longer than {_PROLOG_LIMIT} bytes")
        at = end + len(close)


def _open(path: Path, limits: Limits) -> BinaryIO:
    try:
        return open_input(path, limits)
    except OSError as error:
        raise InputError(f"cannot read ({error.strerror})", path=path) from error


def _rows(
    path: Path, log: SourceLog, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the ``<row>`` elements of one dump file as (position, attributes).

    A refused prolog or a broken stream is counted as one read record and rejected
    with its location; rows yielded before a break stay accepted by the caller.
    """
    stream = _open(path, limits)
    field_cap = limits.max_field_bytes
    position = 0
    try:
        try:
            checked = _Prolog(stream, limits.max_record_bytes)
            depth = 0
            root: ET.Element | None = None
            for event, element in ET.iterparse(checked, events=("start", "end")):  # noqa: S314
                if event == "start":
                    depth += 1
                    if root is None:
                        root = element
                    continue
                depth -= 1
                if depth != 1:
                    continue
                position += 1
                if element.tag == "row":
                    oversize = [
                        key
                        for key, value in element.attrib.items()
                        if len(value) * 4 > field_cap and len(value.encode()) > field_cap
                    ]
                    if oversize:
                        log.read()
                        log.reject(
                            "field_too_large",
                            f"{path.name} row {position}: {oversize[0]} over {field_cap} bytes",
                        )
                    else:
                        yield position, dict(element.attrib)
                else:
                    log.read()
                    log.reject("unexpected_element", f"{path.name} row {position} <{element.tag}>")
                element.clear()
                if root is not None:
                    # Cleared rows would still pile up as empty children of the root.
                    root.clear()
        except _Refused as refused:
            log.read()
            log.reject(refused.reason, f"{path.name} {refused.location}")
        except ET.ParseError as error:
            line, column = error.position
            # Expat codes 3 ("no element found") and 5 ("unclosed token"): the file ends early.
            reason = "truncated_xml" if error.code in (3, 5) else "bad_xml"
            log.read()
            log.reject(reason, f"{path.name} line {line}, column {column}, after row {position}")
        except EOFError:
            log.read()
            log.reject("truncated_gzip", f"{path.name} after row {position}")
        except (gzip.BadGzipFile, zlib.error) as error:
            log.read()
            log.reject("corrupt_gzip", f"{path.name} after row {position}: {error}")
    finally:
        stream.close()


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.xml", f"{stem}.xml.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _time(value: str | None, key: str = "CreationDate") -> datetime:
    """A dump timestamp: ISO 8601 without zone, UTC by the dump's documentation."""
    if not value:
        raise RecordError("missing_field", key)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise RecordError("bad_date", f"{key}={value!r}") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _int(row: dict[str, str], key: str) -> int:
    value = row.get(key)
    if value is None or value == "":
        raise RecordError("missing_field", key)
    try:
        return int(value)
    except ValueError as error:
        raise RecordError("bad_field", f"{key}={value!r}") from error


class _Site:
    """State of one site while its files are read in dependency order."""

    def __init__(self, builder: TraceBuilder, folder: Path) -> None:
        self.builder = builder
        self.folder = folder
        self.site = folder.resolve().name
        self.users: dict[int, RawIdentity] = {}
        # Squashed display names for @mention matching (kept even when not unique).
        self.names: dict[int, str] = {}
        # post id -> id of its thread's question
        self.posts: dict[int, int] = {}
        self.tag_wiki: set[int] = set()
        # post id -> its author's user id (for @mentions of the post's author)
        self.owners: dict[int, int] = {}
        self.accepted: list[tuple[int, int, RawIdentity, str]] = []
        self.accepted_at: dict[int, datetime] = {}

    def message_id(self, post_id: int) -> str:
        return f"{self.site}/p{post_id}"

    def person(self, row: dict[str, str], id_key: str) -> RawIdentity:
        raw = row.get(id_key)
        if raw is None or raw == "":
            return RawIdentity(is_deleted=True)
        try:
            user_id = int(raw)
        except ValueError as error:
            raise RecordError("bad_field", f"{id_key}={raw!r}") from error
        if user_id == _COMMUNITY:
            # No name: "Community" is a word posts use, and the builder masks names in text.
            return RawIdentity(source_id=f"stackexchange:{self.site}:{_COMMUNITY}", is_bot=True)
        known = self.users.get(user_id)
        if known is not None:
            return known
        # An id absent from Users.xml (or no Users.xml): the id is all we know.
        return RawIdentity(source_id=f"stackexchange:{self.site}:{user_id}")

    def each(self, stem: str, handle: Callable[[SourceLog, str, dict[str, str]], None]) -> None:
        path = _find(self.folder, stem)
        if path is None:
            return
        log = self.builder.source(path)
        for position, row in _rows(path, log, self.builder.limits):
            # A Users row's Id is the account's public id: file and row only.
            location = f"{path.name} row {position}" + (
                "" if stem == "Users" else f" (Id={row.get('Id', '?')})"
            )
            log.read()
            try:
                handle(log, location, row)
            except RecordError as error:
                log.reject(
                    error.reason, f"{location}: {error.detail}" if error.detail else location
                )

    def read_users(self) -> None:
        """Users first: people, their reputation roles and names for @mentions.

        Display names are not unique on Stack Exchange, and the
        builder merges records sharing a multi-word name, so a name shared by several
        accounts of the site is left out of their identities (the account id is kept).
        """
        rows: list[tuple[int, str | None, str, int, str]] = []

        def user(log: SourceLog, location: str, row: dict[str, str]) -> None:
            user_id = _int(row, "Id")
            if user_id == _COMMUNITY:
                log.exclude("system_account", location)
                return
            reputation = _int(row, "Reputation") if row.get("Reputation") else 0
            account = row.get("AccountId")
            source_id = (
                f"stackexchange:account:{account}"
                if account
                else f"stackexchange:{self.site}:{user_id}"
            )
            name = row.get("DisplayName") or None
            if name is not None:
                self.names[user_id] = _squash(name)
            rows.append((user_id, name, source_id, reputation, location))
            log.accept_record()

        self.each("Users", user)
        shared = Counter(" ".join(name.casefold().split()) for _, name, *_ in rows if name)
        for user_id, name, source_id, reputation, location in rows:
            unique = name is not None and shared[" ".join(name.casefold().split())] == 1
            person = RawIdentity(source_id=source_id, name=name if unique else None)
            self.users[user_id] = person
            for threshold, role, rank in REPUTATION_ROLES:
                if reputation >= threshold:
                    self.builder.add_role(
                        person, role=role, rank=rank, source_ref=location, date_basis="status"
                    )
                    break

    def badge(self, log: SourceLog, location: str, row: dict[str, str]) -> None:
        role = BADGE_ROLES.get(row.get("Name", ""))
        if role is None or row.get("TagBased") == "True":
            log.exclude("not_a_role_badge", location)
            return
        user_id = _int(row, "UserId")
        awarded = _time(row.get("Date"), "Date")
        if user_id not in self.users:
            log.exclude("unknown_user", location)
            return
        self.builder.add_role(
            self.users[user_id],
            role=role[0],
            rank=role[1],
            valid_from=awarded,
            source_ref=f"{location} {row['Name']}",
            date_basis="status",
        )
        log.accept_record()

    def vote(self, log: SourceLog, location: str, row: dict[str, str]) -> None:
        if row.get("VoteTypeId") != _ACCEPTED_VOTE:
            log.exclude("not_an_outcome_vote", location)
            return
        self.accepted_at[_int(row, "PostId")] = _time(row.get("CreationDate"))
        log.accept_record()

    def post(self, log: SourceLog, location: str, row: dict[str, str]) -> None:
        post_id = _int(row, "Id")
        kind_code = row.get("PostTypeId")
        if kind_code in _TAG_WIKI:
            self.tag_wiki.add(post_id)
            log.exclude("tag_wiki", location)
            return
        if kind_code not in (_QUESTION, _ANSWER):
            log.exclude("site_wiki", location)
            return
        created_at = _time(row.get("CreationDate"))
        author = self.person(row, "OwnerUserId")
        body = html_text(row.get("Body", ""))
        if kind_code == _QUESTION:
            thread_id = post_id
            title = row.get("Title", "").strip()
            text = f"{title}\n\n{body.text}".strip() if title else body.text
            parent = None
            kind = "post"
            if row.get("AcceptedAnswerId"):
                answer_id = _int(row, "AcceptedAnswerId")
                self.accepted.append((post_id, answer_id, author, location))
        else:
            thread_id = _int(row, "ParentId")
            text = body.text
            parent = self.message_id(thread_id)
            kind = "answer"
        self.posts[post_id] = thread_id
        owner = row.get("OwnerUserId")
        if owner and int(owner) in self.names:
            self.owners[post_id] = int(owner)
        self.builder.add_message(
            log,
            source_message_id=self.message_id(post_id),
            author=author,
            created_at=created_at,
            kind=kind,
            text=text or None,
            quoted_text=body.quoted,
            parent_source_id=parent,
            thread_source_id=self.message_id(thread_id),
            space=self.site,
            has_patch=body.has_diff,
            location=location,
        )

    def owner(self, post_id: int) -> tuple[str, RawIdentity] | None:
        user_id = self.owners.get(post_id)
        return None if user_id is None else (self.names[user_id], self.users[user_id])

    def read_comments(self) -> None:
        # Earlier commenters per post, oldest first: (squashed display name, person).
        commenters: dict[int, list[tuple[str, RawIdentity]]] = {}

        def comment(log: SourceLog, location: str, row: dict[str, str]) -> None:
            comment_id = _int(row, "Id")
            post_id = _int(row, "PostId")
            created_at = _time(row.get("CreationDate"))
            if post_id in self.tag_wiki:
                log.exclude("tag_wiki", location)
                return
            thread_id = self.posts.get(post_id)
            if thread_id is None:
                raise RecordError("unknown_parent", f"PostId={post_id} not in Posts")
            author = self.person(row, "UserId")
            text = row.get("Text", "")
            earlier = commenters.setdefault(post_id, [])
            self.builder.add_message(
                log,
                source_message_id=f"{self.site}/c{comment_id}",
                author=author,
                created_at=created_at,
                kind="comment",
                text=text or None,
                parent_source_id=self.message_id(post_id),
                thread_source_id=self.message_id(thread_id),
                addressee=_addressee(text, earlier, self.owner(post_id)),
                space=self.site,
                location=location,
            )
            user_id = row.get("UserId")
            if user_id and int(user_id) in self.names:
                earlier.append((self.names[int(user_id)], author))

        self.each("Comments", comment)

    def read(self) -> None:
        if _find(self.folder, "Posts") is None:
            raise InputError("no Posts.xml or Posts.xml.gz in the folder", path=self.folder)
        governance = "official" if "meta" in self.site.casefold() else "unknown"
        self.builder.add_space(self.site, name=self.site, governance=governance)
        self.read_users()
        self.each("Badges", self.badge)
        self.each("Posts", self.post)
        self.read_comments()
        self.each("Votes", self.vote)
        for question_id, answer_id, asker, location in self.accepted:
            self.builder.add_outcome(
                thread_source_id=self.message_id(question_id),
                message_source_id=self.message_id(answer_id),
                kind="accepted_answer",
                created_at=self.accepted_at.get(answer_id),
                actor=asker,
                source_ref=f"{location} AcceptedAnswerId={answer_id}",
            )


def _squash(name: str) -> str:
    return name.replace(" ", "").casefold()


def _addressee(
    text: str,
    earlier: list[tuple[str, RawIdentity]],
    owner: tuple[str, RawIdentity] | None,
) -> RawIdentity | None:
    candidates = [*reversed(earlier), *([] if owner is None else [owner])]
    for match in _MENTION.finditer(text):
        typed = match.group(1).rstrip(".,:;'").casefold()
        if len(typed) < 3:
            continue
        for squashed, person in candidates:
            if squashed.startswith(typed):
                return person
    return None


def ingest_stackexchange(
    builder: TraceBuilder, paths: Sequence[str | Path], **options: Any
) -> None:
    """Read Stack Exchange dump folders (one site each) into a trace builder.

    Parameters
    ----------
    builder
        Collects messages, roles, spaces and outcomes, and does the bookkeeping.
    paths
        Site folders holding ``Posts.xml`` (required), ``Users.xml``, ``Comments.xml``,
        ``Badges.xml`` and ``Votes.xml``, each plain or gzipped; a path to one of these
        files stands for its folder.

    Raises
    ------
    InputError
        When a path is not a folder with a ``Posts`` file, or a file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from undertow.ingest.builder import TraceBuilder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> site = folder / "cooking.meta"
    >>> site.mkdir()
    >>> _ = (site / "Posts.xml").write_text(
    ...     '<posts><row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00" '
    ...     'OwnerUserId="-1" Body="&lt;p&gt;Hi&lt;/p&gt;" /></posts>')
    >>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    >>> ingest_stackexchange(builder, [site])
    >>> [(s["read"], s["accepted"]) for s in builder.write()["sources"]]
    [(1, 1)]
    """
    builder.observe("stackexchange")
    for path in paths:
        folder = Path(path)
        if folder.is_file():
            folder = folder.parent
        if not folder.is_dir():
            raise InputError("not a Stack Exchange dump folder", path=folder)
        _Site(builder, folder).read()
