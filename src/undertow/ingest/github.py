"""Read GitHub issues, pull requests, comments and reviews saved from the REST API.

Input is JSON as the API returns it: paginated arrays from ``/issues``, ``/pulls``,
``/issues/comments``, ``/pulls/{n}/reviews`` and ``/pulls/comments`` (a folder of
such pages, any names, any nesting), or single objects. Each file is one source and
each object in it one record; the kind of object is recognised from its keys. A page
is parsed one element at a time (memory follows the largest record, not the page):
elements before a break in the JSON are kept and the break is one rejected record
(``bad_json``); an element over the record cap is ``record_too_large``, a file over
the file cap ``too_large`` (``docs/limits.md``).

What becomes what
-----------------
- An issue is a ``post`` and a pull request a ``patch`` (``has_patch``), each starting
  the thread ``owner/repo#number``; the title is the first paragraph of the text.
  An issue comment is a ``reply`` to its issue or pull request; a review is a
  ``review`` (an ``APPROVED`` review an ``ack``) of its pull request; a review comment
  is a ``reply`` to the comment it answers (``in_reply_to_id``) or to the pull request.
- Issue events, timeline items (``event``) and commits (``sha`` + ``commit``) saved in
  the same folder are excluded (``not_a_message``); any other object is rejected
  (``unknown_record``).
- The same issue or pull request saved twice (``/issues`` lists pull requests too) is
  kept once; the copy is excluded (``duplicate``). Unsubmitted reviews (``PENDING``)
  are excluded (``pending_review``).
- Outcomes: a merged pull request (``merged_at``) is ``merged`` (actor ``merged_by``
  when present); an issue closed with ``state_reason: completed`` is ``closed_fixed``
  (actor ``closed_by`` when present).
- Roles: ``author_association`` ``OWNER`` (rank 3), ``MEMBER`` (2) and
  ``COLLABORATOR`` (1) in the repository (``unit``); ``CONTRIBUTOR``,
  ``FIRST_TIME_CONTRIBUTOR`` and ``NONE`` carry no position power and give no role.
  The association is the one at download time, so ``valid_from`` is null.
- People: login (handle) and numeric id; ``"user": null`` and the ``ghost`` login are
  the deleted-account person; ``type: Bot`` and ``[bot]`` logins are bots. The first
  ``@login`` mention in the author's own words (not in quotes or code; team mentions
  ``@org/team`` skipped) is the addressee.
- Spaces: one per repository, ``official`` (the repository's owners run it).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from undertow.errors import InputError
from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder
from undertow.ingest.jsonsource import (
    RecordError,
    iter_json_array,
    markdown_text,
    parse_iso,
)
from undertow.ingest.limits import open_input

__all__ = ["ASSOCIATION_ROLES", "ingest_github"]

#: ``author_association`` values that are formal roles: value -> (role, rank).
ASSOCIATION_ROLES = {
    "OWNER": ("owner", 3),
    "MEMBER": ("member", 2),
    "COLLABORATOR": ("collaborator", 1),
}

_API_URL = re.compile(r"/repos/([^/]+/[^/]+)/(?:issues|pulls)/(\d+)(?:$|[/?#])")
_HTML_URL = re.compile(r"github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)(?:$|[/?#])")
_MENTION = re.compile(r"(?<![\w@/.`-])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))(?![\w/-])")
_DELETED = RawIdentity(is_deleted=True)
_REVIEW_STATES = frozenset({"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"})


def _person(user: object) -> RawIdentity:
    if user is None:
        return _DELETED
    if not isinstance(user, dict):
        raise RecordError("bad_field", "user")
    login = user.get("login")
    if not isinstance(login, str) or not login:
        raise RecordError("missing_field", "user.login")
    if login == "ghost":
        return _DELETED
    user_id = user.get("id")
    return RawIdentity(
        handle=f"github:{login}",
        source_id=f"github:{user_id}" if isinstance(user_id, int) else None,
        is_bot=user.get("type") == "Bot" or login.endswith("[bot]"),
    )


def _issue_ref(record: dict[str, Any], *keys: str) -> tuple[str, int]:
    """(``owner/repo``, number) from the first API or web URL among ``keys``."""
    for key in keys:
        url = record.get(key)
        if isinstance(url, str):
            match = _API_URL.search(url) or _HTML_URL.search(url)
            if match:
                return match.group(1), int(match.group(2))
    raise RecordError("missing_field", "/".join(keys))


def _kind(record: dict[str, Any]) -> str:
    if "issue_url" in record:
        return "issue_comment"
    if "pull_request_url" in record and "diff_hunk" in record:
        return "review_comment"
    if "pull_request_url" in record and _text(record.get("state")) in _REVIEW_STATES:
        return "review"
    if "number" in record and ("head" in record or "pull_request" in record):
        return "pull"
    if "number" in record and "title" in record:
        return "issue"
    raise RecordError("unknown_record", "not an issue, pull request, comment or review")


class _Repos:
    def __init__(self, builder: TraceBuilder) -> None:
        self.builder = builder
        self.seen: set[str] = set()
        self.outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        self.spaces: set[str] = set()
        # (handle, repo) -> (rank, role, where, person): the highest association seen.
        self.roles: dict[tuple[str, str], tuple[int, str, str, RawIdentity]] = {}

    def space(self, repo: str) -> str:
        if repo not in self.spaces:
            self.builder.add_space(repo, name=repo, governance="official")
            self.spaces.add(repo)
        return repo

    def file(self, path: Path) -> None:
        # A page is parsed one array element at a time, so memory follows one record;
        # records before a break in the JSON stay, the break is one rejected record.
        log = self.builder.source(path)
        limits = self.builder.limits
        index = 0
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise RecordError("too_large", f"{size} bytes over the {limits.max_file_bytes} cap")
            with open_input(path, limits) as stream:
                for index, record in enumerate(
                    iter_json_array(stream, max_element=limits.max_record_bytes)
                ):
                    log.read()
                    location = f"{path.name}[{index}]"
                    try:
                        if isinstance(record, RecordError):
                            raise record
                        if not isinstance(record, dict):
                            raise RecordError("bad_record", "not an object")
                        self.record(log, location, record)
                    except RecordError as error:
                        log.reject(error.reason, f"{location}: {error.detail}")
                    index += 1
        except RecordError as error:
            log.read()
            log.reject(error.reason, f"{path.name}: {error.detail}")
        except (EOFError, zlib.error) as error:
            log.read()
            log.reject("truncated", f"{path.name} after element {index}: {error}")
        except OSError as error:
            raise InputError(f"cannot read ({error.strerror or error})", path=path) from error

    def role(self, person: RawIdentity, record: dict[str, Any], repo: str, where: str) -> None:
        role = ASSOCIATION_ROLES.get(_text(record.get("author_association")) or "")
        if role is None or person.handle is None:
            return
        best = self.roles.get((person.handle, repo))
        if best is None or role[1] > best[0]:
            self.roles[(person.handle, repo)] = (role[1], role[0], where, person)

    def record(self, log: SourceLog, location: str, record: dict[str, Any]) -> None:
        if "event" in record or ("sha" in record and "commit" in record):
            # Issue events, timelines and commit lists are valid API output, not messages.
            log.exclude("not_a_message", location)
            return
        kind = _kind(record)
        if kind in ("issue", "pull"):
            self.root(log, location, record, kind)
            return
        if kind == "review" and record.get("state") == "PENDING":
            log.exclude("pending_review", location)
            return
        repo, number = _issue_ref(record, "issue_url", "pull_request_url", "html_url")
        thread = f"github:{repo}#{number}"
        record_id = record.get("id")
        if not isinstance(record_id, int):
            raise RecordError("missing_field", "id")
        prefix = {"issue_comment": "c", "review": "rv", "review_comment": "rc"}[kind]
        message_id = f"github:{repo}:{prefix}{record_id}"
        if message_id in self.seen:
            log.exclude("duplicate", location)
            return
        time_key = "submitted_at" if kind == "review" else "created_at"
        if time_key not in record:
            raise RecordError("missing_field", time_key)
        created_at = parse_iso(record[time_key])
        author = _person(record.get("user"))
        body_raw = record.get("body") or ""
        if not isinstance(body_raw, str):
            raise RecordError("bad_field", "body")
        body = markdown_text(body_raw)
        parent = thread
        message_kind = "reply"
        if kind == "review":
            message_kind = "ack" if record.get("state") == "APPROVED" else "review"
        elif kind == "review_comment" and isinstance(record.get("in_reply_to_id"), int):
            parent = f"github:{repo}:rc{record['in_reply_to_id']}"
        self.seen.add(message_id)
        self.builder.add_message(
            log,
            source_message_id=message_id,
            author=author,
            created_at=created_at,
            kind=message_kind,
            text=body.text or None,
            quoted_text=body.quoted,
            parent_source_id=parent,
            thread_source_id=thread,
            addressee=_addressee(body.text),
            space=self.space(repo),
            has_patch=body.has_diff,
            location=location,
        )
        self.role(author, record, repo, location)

    def root(self, log: SourceLog, location: str, record: dict[str, Any], kind: str) -> None:
        repo, number = _issue_ref(record, "url", "html_url")
        thread = f"github:{repo}#{number}"
        is_pull = kind == "pull" or "pull_request" in record
        if "created_at" not in record:
            raise RecordError("missing_field", "created_at")
        created_at = parse_iso(record["created_at"])
        author = _person(record.get("user"))
        title = record.get("title") or ""
        body_raw = record.get("body") or ""
        if not isinstance(title, str) or not isinstance(body_raw, str):
            raise RecordError("bad_field", "title/body")
        body = markdown_text(body_raw)
        outcomes = self.outcomes_of(record, thread, is_pull, location)
        if thread in self.seen:
            log.exclude("duplicate", location)
        else:
            self.seen.add(thread)
            text = f"{title.strip()}\n\n{body.text}".strip()
            self.builder.add_message(
                log,
                source_message_id=thread,
                author=author,
                created_at=created_at,
                kind="patch" if is_pull else "post",
                text=text or None,
                quoted_text=body.quoted,
                thread_source_id=thread,
                addressee=_addressee(body.text),
                space=self.space(repo),
                has_patch=is_pull or body.has_diff,
                location=location,
            )
            self.role(author, record, repo, location)
        self.keep_outcomes(outcomes)

    def outcomes_of(
        self, record: dict[str, Any], thread: str, is_pull: bool, location: str
    ) -> list[dict[str, Any]]:
        """The record's outcomes, parsed before its message is accepted (bad dates reject it)."""
        found = []
        pull = record.get("pull_request")
        merged_at = pull.get("merged_at") if isinstance(pull, dict) else record.get("merged_at")
        if is_pull and merged_at:
            merger = record.get("merged_by")
            found.append(
                {
                    "thread_source_id": thread,
                    "message_source_id": thread,
                    "kind": "merged",
                    "created_at": parse_iso(merged_at),
                    "actor": _person(merger) if isinstance(merger, dict) else None,
                    "source_ref": location,
                }
            )
        completed = record.get("state") == "closed" and record.get("state_reason") == "completed"
        if not is_pull and completed:
            closer = record.get("closed_by")
            closed_at = record.get("closed_at")
            found.append(
                {
                    "thread_source_id": thread,
                    "kind": "closed_fixed",
                    "created_at": parse_iso(closed_at) if closed_at else None,
                    "actor": _person(closer) if isinstance(closer, dict) else None,
                    "source_ref": location,
                }
            )
        return found

    def keep_outcomes(self, outcomes: list[dict[str, Any]]) -> None:
        # The same pull request saved from /issues and /pulls: only /pulls names merged_by.
        for outcome in outcomes:
            key = (outcome["thread_source_id"], outcome["kind"])
            known = self.outcomes.get(key)
            if known is None:
                self.outcomes[key] = outcome
            elif known["actor"] is None and outcome["actor"] is not None:
                known["actor"] = outcome["actor"]

    def finish(self) -> None:
        for outcome in self.outcomes.values():
            self.builder.add_outcome(**outcome)
        for (_, repo), (rank, role, where, person) in self.roles.items():
            self.builder.add_role(person, role=role, rank=rank, unit=repo, source_ref=where)


def _text(value: object) -> str | None:
    """A field that must be a string, else ``None`` (API pages saved by hand can hold anything)."""
    return value if isinstance(value, str) else None


def _addressee(text: str) -> RawIdentity | None:
    match = _MENTION.search(text)
    return None if match is None else RawIdentity(handle=f"github:{match.group(1)}")


def ingest_github(builder: TraceBuilder, paths: Sequence[str | Path], **options: Any) -> None:
    """Read GitHub REST API JSON (files or folders of pages) into a trace builder.

    Parameters
    ----------
    builder
        Collects messages, roles, spaces and outcomes, and does the bookkeeping.
    paths
        JSON files (arrays or single objects) or folders searched recursively for
        ``*.json``.

    Raises
    ------
    InputError
        When a path does not exist or a file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from undertow.ingest.builder import TraceBuilder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "issues.json"
    >>> _ = path.write_text(json.dumps([{"url": "https://api.github.com/repos/o/r/issues/1",
    ...     "number": 1, "title": "Crash", "body": "it crashes", "user": None,
    ...     "created_at": "2020-01-01T00:00:00Z", "state": "open"}]))
    >>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    >>> ingest_github(builder, [path])
    >>> [(s["read"], s["accepted"]) for s in builder.write()["sources"]]
    [(1, 1)]
    """
    builder.observe("github")
    repos = _Repos(builder)
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(path.rglob("*.json"))
        elif path.is_file():
            files = [path]
        else:
            raise InputError("no such file or folder", path=path)
        for file in files:
            repos.file(file)
    repos.finish()
