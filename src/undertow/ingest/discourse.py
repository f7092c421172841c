"""Read Discourse topics saved as JSON (``/t/{id}.json``), one file per topic or a folder.

What becomes what
-----------------
- Each topic file is one source; each post in ``post_stream.posts`` one record (a
  ``/t/{id}/posts.json`` page, which carries the posts beyond the first 20, is read
  too: its topic is the posts' ``topic_id``). The
  first post (``post_number`` 1) is a ``post`` starting the topic's thread; every other
  post is a ``reply`` whose parent is the post named by ``reply_to_post_number``, or the
  first post when Discourse records no target (a reply "to the topic").
- Posts listed in ``post_stream.stream`` but not included in the file (Discourse sends
  only the first 20 per request) are counted and excluded (``post_not_in_file``), so the
  manifest shows what a fuller download would add. Small-action posts (``post_type`` 3:
  "closed", "pinned", ...) are system events (``system_action``).
- Text is the ``cooked`` HTML: quotes (``<aside class="quote">``, ``<blockquote>``) go to
  ``quoted_text``, code blocks are dropped (a diff sets ``has_patch``), and the first
  ``@mention`` link is the addressee.
- Outcomes: a solved topic (``accepted_answer``, ``has_accepted_answer`` or a post with
  ``accepted_answer: true``) is an ``accepted_answer`` outcome; its actor is the
  accepter when the file names one, else the topic's author.
- Roles: the per-post flags, as of the download: trust levels 0-4 are roles
  ``trust_level_<n>`` with rank = the level; ``moderator`` is rank 5, ``admin`` rank 6
  (``staff`` without either is ``staff``, rank 5). Only the highest is kept per person;
  the flags carry no history, so ``valid_from`` is null.
- Spaces: categories (``category_id``), named from a ``categories.json`` or
  ``site.json`` saved beside the topics when present. Staff create every category, so
  creation says nothing; a category is ``official`` when it is read-restricted or named
  like a governance venue (staff, moderators, announcements, site feedback, meta,
  governance), else ``unknown``.
- People: username (handle), display name and user id; ``system`` (id -1) and
  ``discobot`` (id -2) are bots; a post whose user was deleted (``user_deleted``, or no
  username) is the deleted-account person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from undertow.errors import InputError
from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder
from undertow.ingest.html import html_text
from undertow.ingest.jsonsource import RecordError, load_json, parse_iso

__all__ = ["OFFICIAL_CATEGORY", "ingest_discourse"]

#: Category names that mark a governance venue.
OFFICIAL_CATEGORY = re.compile(
    r"\b(staff|moderators?|announcements?|site[ -]feedback|meta|governance)\b", re.IGNORECASE
)
_SMALL_ACTION = 3
_METADATA = frozenset({"categories.json", "site.json"})
_DELETED = RawIdentity(is_deleted=True)
_SYSTEM_IDS = (-1, -2)
_SYSTEM_USERS = ("system", "discobot")


def _categories(folder: Path) -> dict[int, dict[str, Any]]:
    """Categories by id from ``categories.json`` or ``site.json``, when saved."""
    found: dict[int, dict[str, Any]] = {}
    for name in sorted(_METADATA):
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = load_json(path.read_bytes())
        except (RecordError, OSError) as error:
            raise InputError(f"unreadable category list ({error})", path=path) from error
        listing = data.get("category_list", data) if isinstance(data, dict) else {}
        categories = listing.get("categories", []) if isinstance(listing, dict) else []
        for category in categories if isinstance(categories, list) else []:
            if isinstance(category, dict) and isinstance(category.get("id"), int):
                found[category["id"]] = category
    return found


def _person(post: dict[str, Any]) -> RawIdentity:
    username = post.get("username")
    if post.get("user_deleted") or not isinstance(username, str) or not username:
        return _DELETED
    user_id = post.get("user_id")
    if user_id in _SYSTEM_IDS or username in _SYSTEM_USERS:
        # Neither handle nor name: "system" is a word posts use, and names are masked in text.
        return RawIdentity(source_id=f"discourse:{username}", is_bot=True)
    name = post.get("name")
    return RawIdentity(
        name=name if isinstance(name, str) and name else None,
        handle=f"discourse:{username}",
        source_id=f"discourse:{user_id}" if isinstance(user_id, int) else None,
    )


def _post_id(value: object) -> str:
    """A post id as a set key (ids are ints; anything else is kept apart by its repr)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def _role(post: dict[str, Any]) -> tuple[str, int] | None:
    if post.get("admin"):
        return "admin", 6
    if post.get("moderator"):
        return "moderator", 5
    if post.get("staff"):
        return "staff", 5
    level = post.get("trust_level")
    if isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 4:
        return f"trust_level_{level}", level
    return None


class _Forum:
    def __init__(self, builder: TraceBuilder, categories: dict[int, dict[str, Any]]) -> None:
        self.builder = builder
        self.categories = categories
        self.spaces: set[str] = set()
        # handle -> (rank, role, where, person) of the highest role seen; the same user
        # may appear with and without a display name, so the handle is the key.
        self.roles: dict[str, tuple[int, str, str, RawIdentity]] = {}

    def space(self, category: object) -> str | None:
        if not isinstance(category, int) or isinstance(category, bool):
            return None
        key = f"category-{category}"
        if key not in self.spaces:
            info = self.categories.get(category, {})
            name = info.get("name") if isinstance(info.get("name"), str) else None
            official = bool(info.get("read_restricted")) or bool(
                name and OFFICIAL_CATEGORY.search(name)
            )
            self.builder.add_space(key, name=name, governance="official" if official else "unknown")
            self.spaces.add(key)
        return key

    def topic(self, path: Path) -> None:
        log = self.builder.source(path)
        posts: list[Any] | None = None
        try:
            cap = self.builder.limits.max_file_bytes
            if path.stat().st_size > cap:
                raise RecordError("too_large", f"{path.stat().st_size} bytes over the {cap} cap")
            topic = load_json(path.read_bytes())
            if not isinstance(topic, dict):
                raise RecordError("bad_json", "expected a topic object")
            stream = topic.get("post_stream")
            listed_posts = stream.get("posts") if isinstance(stream, dict) else None
            if not isinstance(listed_posts, list):
                raise RecordError("missing_field", "post_stream.posts")
            posts = listed_posts
            topic_id = topic.get("id")
            if "id" not in topic and posts and isinstance(posts[0], dict):
                # /t/{id}/posts.json (the posts beyond the first 20) names no topic itself.
                topic_id = posts[0].get("topic_id")
            if not isinstance(topic_id, int) or isinstance(topic_id, bool):
                raise RecordError("missing_field", "id")
        except RecordError as error:
            if posts is None:
                log.read()
                log.reject(error.reason, f"{path.name}: {error.detail}")
                return
            # The posts are there but the topic cannot be placed: each post is a record.
            for index, post in enumerate(posts):
                log.read()
                location = f"{path.name} post_stream.posts[{index}]"
                log.reject(error.reason, f"{location}: topic {error.detail}", repr(post)[:1000])
            return
        except OSError as error:
            raise InputError(f"cannot read ({error.strerror})", path=path) from error
        space = self.space(topic.get("category_id"))
        thread = f"discourse:{topic_id}#1"
        included = {_post_id(post.get("id")) for post in posts if isinstance(post, dict)}
        first_author: RawIdentity | None = None
        accepted_number: int | None = None
        for index, post in enumerate(posts):
            log.read()
            location = f"{path.name} post_stream.posts[{index}]"
            try:
                author, number = self.post(log, location, post, topic_id, thread, space)
            except RecordError as error:
                log.reject(error.reason, f"{location}: {error.detail}")
                continue
            if number == 1:
                first_author = author
            if isinstance(post, dict) and post.get("accepted_answer") is True:
                accepted_number = number
        listed = stream.get("stream") if isinstance(stream, dict) else None
        for post_id in listed if isinstance(listed, list) else []:
            if _post_id(post_id) not in included:
                log.read()
                log.exclude("post_not_in_file", f"{path.name} post_stream.stream id={post_id}")
        self.outcome(topic, topic_id, thread, accepted_number, first_author, path.name)

    def post(
        self,
        log: SourceLog,
        location: str,
        post: object,
        topic_id: int,
        thread: str,
        space: str | None,
    ) -> tuple[RawIdentity, int]:
        if not isinstance(post, dict):
            raise RecordError("bad_record", "not an object")
        number = post.get("post_number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise RecordError("missing_field", "post_number")
        if "created_at" not in post:
            raise RecordError("missing_field", "created_at")
        created_at = parse_iso(post["created_at"])
        author = _person(post)
        if post.get("post_type") == _SMALL_ACTION:
            log.exclude("system_action", f"{location} {post.get('action_code', '')}".strip())
            return author, number
        cooked = post.get("cooked", "")
        if not isinstance(cooked, str):
            raise RecordError("bad_field", "cooked")
        body = html_text(cooked)
        if number == 1:
            kind, parent = "post", None
        else:
            target = post.get("reply_to_post_number")
            target = target if isinstance(target, int) and 0 < target < number else 1
            kind, parent = "reply", f"discourse:{topic_id}#{target}"
        self.builder.add_message(
            log,
            source_message_id=f"discourse:{topic_id}#{number}",
            author=author,
            created_at=created_at,
            kind=kind,
            text=body.text or None,
            quoted_text=body.quoted,
            parent_source_id=parent,
            thread_source_id=thread,
            addressee=RawIdentity(handle=f"discourse:{body.mentions[0]}")
            if body.mentions
            else None,
            space=space,
            has_patch=body.has_diff,
            location=location,
        )
        role = _role(post)
        if role is not None and author.handle is not None:
            best = self.roles.get(author.handle)
            if best is None or role[1] > best[0]:
                self.roles[author.handle] = (role[1], role[0], location, author)
        return author, number

    def outcome(
        self,
        topic: dict[str, Any],
        topic_id: int,
        thread: str,
        accepted_number: int | None,
        asker: RawIdentity | None,
        file_name: str,
    ) -> None:
        accepted = topic.get("accepted_answer")
        actor = asker
        if isinstance(accepted, dict):
            number = accepted.get("post_number")
            if isinstance(number, int) and not isinstance(number, bool):
                accepted_number = number
            accepter = accepted.get("accepter_username")
            if isinstance(accepter, str) and accepter:
                actor = RawIdentity(handle=f"discourse:{accepter}")
        if accepted_number is None and not topic.get("has_accepted_answer"):
            return
        self.builder.add_outcome(
            thread_source_id=thread,
            message_source_id=(
                None if accepted_number is None else f"discourse:{topic_id}#{accepted_number}"
            ),
            kind="accepted_answer",
            actor=actor,
            source_ref=f"{file_name} accepted_answer",
        )

    def finish(self) -> None:
        for rank, role, where, person in self.roles.values():
            self.builder.add_role(person, role=role, rank=rank, source_ref=where)


def ingest_discourse(builder: TraceBuilder, paths: Sequence[str | Path], **options: Any) -> None:
    """Read Discourse topic JSON files (or folders of them) into a trace builder.

    Parameters
    ----------
    builder
        Collects messages, roles, spaces and outcomes, and does the bookkeeping.
    paths
        Topic files as saved from ``/t/{id}.json``, or folders of them; a
        ``categories.json`` or ``site.json`` in a folder names the categories.

    Raises
    ------
    InputError
        When a path does not exist or a file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from undertow.ingest.builder import TraceBuilder
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = folder / "1.json"
    >>> _ = path.write_text(json.dumps({"id": 1, "category_id": 2, "post_stream": {"posts": [
    ...     {"id": 10, "post_number": 1, "username": "ann", "created_at": "2020-01-01T00:00:00Z",
    ...      "cooked": "<p>Hi</p>", "trust_level": 1}]}}))
    >>> builder = TraceBuilder(folder / "trace", key_file=folder / "key")
    >>> ingest_discourse(builder, [path])
    >>> [(s["read"], s["accepted"]) for s in builder.write()["sources"]]
    [(1, 1)]
    """
    builder.observe("discourse")
    for path in paths:
        path = Path(path)
        if path.is_dir():
            forum = _Forum(builder, _categories(path))
            files = sorted(p for p in path.glob("*.json") if p.name not in _METADATA)
        elif path.is_file():
            forum = _Forum(builder, _categories(path.parent))
            files = [path]
        else:
            raise InputError("no such file or folder", path=path)
        for file in files:
            forum.topic(file)
        forum.finish()
