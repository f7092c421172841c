"""Read IRC logs: the parsed TSV layout and common ``[HH:MM] <nick> text`` logs.

Plain logs in the irssi/ZNC layout (``[HH:MM] <nick> text``, ``* nick action``,
``-!- nick has joined``, ``--- Day changed`` lines) and the WeeChat layout
(``YYYY-MM-DD HH:MM:SS<TAB>nick<TAB>text``, ``-->``/``<--``/``--`` prefixes) are read.

IRC has no threads and no reply links, so both are reconstructed:

- **Conversations** are cut by silence: a message more than ``gap_minutes`` (default
  30) after the previous message in the same channel starts a new thread, whose id is
  that message's. Joins, quits and other events do not count as talk.
- **Addressing**: a message starting with a nick seen in the channel so far followed by
  ``:`` or ``,`` (optionally ``@nick``) is addressed to that person; it replies to the
  addressee's latest message in the current conversation (``parent``). A message not
  addressed to anyone has no parent: turn adjacency is not taken for a reply.
- **Identities**: an IRC nick is ``RawIdentity(handle="irc:<nick>")``. Messages
  relayed from Slack by a bridge (``relay_bot`` column) carry the Slack user name as
  nick and get ``handle="slack:<name>"``: a Slack user is not assumed to be the IRC
  user of the same name (an aliases file can say so), and a Slack export ingested
  alongside merges with them by that handle. A nick change links the old and new
  nick (``builder.link``), except to or from freenode's ``Guest<digits>`` nicks,
  which are handed to anyone.

Buckets, per log line (the TSV header and blank lines are not records):

- accepted: chat messages and ``/me`` actions (kind ``chat``); continuation lines of the
  old plain layout are messages by the previous speaker;
- excluded ``not_a_message``: joins, parts, quits, nick changes, topics, modes and
  server notices; excluded ``bot``: lines said by known bots (``kompewter``,
  ``DuraLogBot``, a bridge speaking for itself) — they announce links and log, they do
  not converse;
- rejected: ``malformed_row`` (wrong number of TSV columns), ``bad_date``,
  ``truncated`` (a ``.gz`` that ends early: one record for the unknown rest),
  ``record_too_large`` (a line over the record cap; read past, not held),
  ``unparsed_line`` (lines the log's own parser could not classify, or plain lines of
  no known shape), ``orphan_continuation``, ``unknown_kind``.

The logs do not state a time zone; times are read as UTC. Lines without a time take the
last time seen that day (or midnight), which keeps them in their conversation.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

from undertow.ingest.limits import DEFAULT_LIMITS, Limits, open_input

if TYPE_CHECKING:
    from undertow.ingest.builder import RawIdentity, SourceLog, TraceBuilder

__all__ = [
    "DEFAULT_BOTS",
    "DEFAULT_GAP_MINUTES",
    "IrcEvent",
    "addressed_nick",
    "ingest_irc",
    "read_irc",
]

#: Silence (minutes) after which a new conversation starts.
DEFAULT_GAP_MINUTES = 30
#: Nicks of bots whose lines are excluded (case-insensitive).
DEFAULT_BOTS = frozenset(
    {"kompewter", "duralogbot", "dspaceslackbot", "dspaceslackbot1", "dspaceslackbot2"}
)
_TSV_HEADER = "date\ttime\tseq\tkind\tnick\ttext\trelay_bot\tcolor"
_MESSAGE_KINDS = frozenset({"msg", "action", "cont"})
_EVENT_KINDS = frozenset(
    {"join", "part", "quit", "nick", "topic", "topic_info", "mode", "server", "kick"}
)
_ADDRESS = re.compile(r"^\s*@?([A-Za-z_\[\]\\`^{}|][\w\[\]\\`^{}|-]{0,31})\s*[:,](?:\s|$)")
_NEW_NICK = re.compile(r"is now known as @?(\S+)")
_GUEST = re.compile(r"^guest\d+$", re.IGNORECASE)
_DATE_IN_NAME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_TIME = r"\[?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)\]?"
_PLAIN_MSG = re.compile(_TIME + r"\s+<[~&@%+ ]?(?P<nick>[^>\s]+)>\s?(?P<text>.*)$")
_PLAIN_ACTION = re.compile(_TIME + r"\s+(?:\*|-\*-)\s+(?P<nick>\S+)\s(?P<text>.*)$")
_PLAIN_EVENT = re.compile(
    _TIME + r"\s+(?:\*\*\*|-!-|-->|<--|--|\*)\s*(?P<nick>\S+)\s+(?:\[[^\]]*\]\s+|\([^)]*\)\s+)?"
    r"(?P<what>has joined|joined|has left|left|has quit|quit|is now known as|changes topic|"
    r"sets mode|has changed the topic|was kicked)(?P<rest>.*)$",
    re.IGNORECASE,
)
_WEECHAT = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)\t([^\t]*)\t(.*)$")
_DAY_MARK = re.compile(
    r"^(?:---\s+(?:Day changed|Log opened)|Session (?:Start|Time)):?\s+"
    r"(?:\w{3}\s+)?(?P<rest>.+)$"
)


@dataclass(frozen=True)
class IrcEvent:
    """One log line, normalised across layouts.

    Attributes
    ----------
    kind
        ``msg``, ``action``, ``cont``, an event kind (``join``, ``nick`` …), ``other``
        (unparsed), or a problem: ``malformed_row``, ``bad_date``.
    at
        UTC time, if known.
    nick
        Speaker or actor.
    text
        Message text (actions without the leading ``* nick``).
    relay
        The bridge that relayed the line from Slack, if any.
    record_id
        Stable id of the line within its source.
    location
        Where the line is, for rejections.
    """

    kind: str
    at: datetime | None
    nick: str | None
    text: str
    relay: str | None
    record_id: str
    location: str


def _open_text(path: Path, limits: Limits) -> IO[str]:
    # Plain or compressed, under the line and decompression caps.
    return io.TextIOWrapper(
        open_input(path, limits), encoding="utf-8", errors="replace", newline=""
    )


def _lines(stream: IO[str], cap: int) -> Iterator[tuple[int, str | None]]:
    """Numbered lines; a stream that breaks off (truncated ``.gz``) ends with ``None``.

    A line longer than ``cap`` characters is yielded as its first ``cap + 1`` (the rest
    is read past, never held), for the caller to reject as ``record_too_large``.
    """
    number = 0
    while True:
        try:
            line = stream.readline(cap + 1)
            if len(line) > cap and not line.endswith("\n"):
                while (rest := stream.readline(cap)) and not rest.endswith("\n"):
                    pass
        except (EOFError, OSError, zlib.error):
            yield number + 1, None
            return
        if not line:
            return
        number += 1
        yield number, line


def _too_long(read: str, cap: int, location: str) -> IrcEvent | None:
    if len(read) <= cap:
        return None
    return IrcEvent("record_too_large", None, None, read[:200], None, location, location)


def _strip_action(nick: str, text: str) -> str:
    for prefix in (f"* {nick} ", f"*{nick} ", f"{nick} "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _tsv_events(stream: IO[str], cap: int) -> Iterator[IrcEvent]:
    last_time: dict[str, datetime] = {}
    for number, read in _lines(stream, cap):
        if read is None:
            yield IrcEvent("truncated", None, None, "", None, f"line {number}", f"line {number}")
            return
        if (too_long := _too_long(read, cap, f"line {number}")) is not None:
            yield too_long
            continue
        line = read.rstrip("\r\n")
        if number == 1 and line.startswith("date\t"):
            continue
        if not line.strip():
            continue
        location = f"line {number}"
        fields = line.split("\t")
        if len(fields) != 8:
            yield IrcEvent("malformed_row", None, None, line, None, location, location)
            continue
        day, clock, seq, kind, nick, text, relay, _color = fields
        record_id = f"{day}#{seq}" if seq else location
        try:
            midnight = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
            at = (
                datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
                if clock
                else last_time.get(day, midnight)
            )
        except ValueError:
            yield IrcEvent("bad_date", None, nick or None, line, None, record_id, location)
            continue
        last_time[day] = at
        if kind == "action":
            text = _strip_action(nick, text)
        yield IrcEvent(kind, at, nick or None, text, relay or None, record_id, location)


def _day_from(text: str) -> date | None:
    for fmt in ("%b %d %Y", "%b %d %H:%M:%S %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(" ".join(text.split()), fmt).date()
        except ValueError:
            continue
    return None


def _plain_events(stream: IO[str], name: str, cap: int) -> Iterator[IrcEvent]:
    match = _DATE_IN_NAME.search(name)
    day: date | None = None
    if match is not None:
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            day = None
    previous: datetime | None = None
    for number, read in _lines(stream, cap):
        location = f"line {number}"
        if read is None:
            yield IrcEvent("truncated", None, None, "", None, location, location)
            return
        if (too_long := _too_long(read, cap, location)) is not None:
            yield too_long
            continue
        line = read.rstrip("\r\n")
        if not line.strip():
            continue
        weechat = _WEECHAT.match(line)
        if weechat is not None:
            stamp, clock, prefix, text = weechat.groups()
            try:
                day = date.fromisoformat(stamp)
            except ValueError:
                yield IrcEvent("bad_date", None, None, line, None, location, location)
                continue
            # Rewritten into the bracketed layout, which the patterns below read.
            marker_prefix = prefix.strip()
            line = (
                f"[{clock}] {marker_prefix} {text}"
                if marker_prefix in {"-->", "<--", "--", "*", "-!-"}
                else f"[{clock}] <{prefix}> {text}"
            )
        marker = _DAY_MARK.match(line)
        if marker is not None:
            marked = _day_from(marker.group("rest"))
            if marked is not None:
                day, previous = marked, None
                yield IrcEvent("server", None, None, line, None, location, location)
                continue
        parsed = _PLAIN_MSG.match(line)
        kind = "msg"
        if parsed is None:
            parsed = _PLAIN_EVENT.match(line)
            if parsed is not None:
                what = parsed.group("what").lower()
                kind = (
                    "join"
                    if "join" in what
                    else "part"
                    if "left" in what
                    else "quit"
                    if "quit" in what
                    else "nick"
                    if "known" in what
                    else "topic"
                    if "topic" in what
                    else "mode"
                )
        if parsed is None:
            parsed = _PLAIN_ACTION.match(line)
            kind = "action"
        if parsed is None:
            yield IrcEvent("other", None, None, line, None, location, location)
            continue
        if day is None:
            yield IrcEvent("bad_date", None, parsed.group("nick"), line, None, location, location)
            continue
        clock = parsed.group("time")
        hour, minute, second = ([int(p) for p in clock.split(":")] + [0])[:3]
        if hour > 23 or minute > 59 or second > 59:
            yield IrcEvent("bad_date", None, parsed.group("nick"), line, None, location, location)
            continue
        at = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
        if previous is not None and at < previous - timedelta(hours=1):
            # A log without day markers wrapped past midnight.
            day = day + timedelta(days=1)
            at = at + timedelta(days=1)
        previous = at
        nick = parsed.group("nick")
        if kind == "nick":
            text = f"{nick} is now known as {parsed.group('rest').strip()}"
        elif kind in {"msg", "action"}:
            text = parsed.group("text")
        else:
            text = line
        yield IrcEvent(kind, at, nick, text, None, f"{name}:{number}", location)


def read_irc(path: Path, limits: Limits = DEFAULT_LIMITS) -> Iterator[IrcEvent]:
    r"""Stream the lines of one IRC log as normalised events.

    Parameters
    ----------
    path
        The TSV (``date, time, seq, kind, nick, text, relay_bot, color``; ``.gz`` or
        plain) or a plain log; a plain log's day comes from its file name
        (``…YYYY-MM-DD…``) or its ``--- Day changed`` / ``Session Start`` lines.

    Yields
    ------
    IrcEvent
        One per non-blank line (the TSV header excluded).

    Examples
    --------
    >>> import tempfile
    >>> log = Path(tempfile.mkdtemp()) / "#dev.2012-01-02.log"
    >>> _ = log.write_text("[10:00] <ann> bob: ready?\n[10:01] * bob nods\n")
    >>> [(e.kind, e.nick, e.text) for e in read_irc(log)]
    [('msg', 'ann', 'bob: ready?'), ('action', 'bob', 'nods')]
    """
    cap = limits.max_record_bytes
    with _open_text(path, limits) as probe:
        try:
            first = probe.readline(cap)
        except (EOFError, OSError, zlib.error):
            first = ""
    with _open_text(path, limits) as stream:
        if first.rstrip("\r\n").startswith("date\ttime\tseq\tkind"):
            yield from _tsv_events(stream, cap)
        else:
            yield from _plain_events(stream, path.name, cap)


def addressed_nick(text: str, known: Iterable[str]) -> str | None:
    """The known nick a line is addressed to (``nick:``, ``nick,`` or ``@nick:``), if any.

    Parameters
    ----------
    text
        The message.
    known
        Nicks seen so far (compared case-insensitively).

    Examples
    --------
    >>> addressed_nick("Tim: see DS-12", {"tim"}), addressed_nick("so: what now", {"tim"})
    ('Tim', None)
    """
    match = _ADDRESS.match(text)
    if match is None:
        return None
    nick = match.group(1)
    return nick if nick.lower() in set(known) else None


class _Channel:
    """Conversation state of one channel while streaming."""

    def __init__(self) -> None:
        self.last_at: datetime | None = None
        self.thread_id: str | None = None
        self.latest: dict[str, str] = {}
        self.known: dict[str, str] = {}  # lower-case nick -> namespace ("irc"/"slack")


def _identity(nick: str, namespace: str, *, is_bot: bool = False) -> RawIdentity:
    from undertow.ingest.builder import RawIdentity

    return RawIdentity(handle=f"{namespace}:{nick}", is_bot=is_bot)


def _handle_event(
    builder: TraceBuilder,
    log: SourceLog,
    event: IrcEvent,
    channel: _Channel,
    space: str,
    *,
    gap: timedelta,
    bots: frozenset[str],
    last_speaker: list[tuple[str, str]],
) -> None:
    if event.kind in {"malformed_row", "bad_date", "truncated", "record_too_large"}:
        log.reject(event.kind, event.location, event.text)
        return
    if event.kind == "other":
        log.reject("unparsed_line", event.location, event.text)
        return
    if event.kind in _EVENT_KINDS:
        if event.nick:
            channel.known.setdefault(event.nick.lower(), "irc")
            if event.kind == "join" and not _GUEST.match(event.nick):
                # A nick that only joined is still a person whose nick must be scrubbed.
                builder.add_identity(_identity(event.nick, "irc"))
        if event.kind == "nick" and event.nick:
            match = _NEW_NICK.search(event.text)
            if match is not None:
                new = match.group(1)
                channel.known.setdefault(new.lower(), "irc")
                if not (_GUEST.match(event.nick) or _GUEST.match(new)) and (
                    new.lower() != event.nick.lower()
                ):
                    builder.link(_identity(event.nick, "irc"), _identity(new, "irc"))
        log.exclude("not_a_message", event.location)
        return
    if event.kind not in _MESSAGE_KINDS:
        log.reject("unknown_kind", event.location, event.text)
        return
    nick, namespace = event.nick, "slack" if event.relay else "irc"
    if event.kind == "cont":
        if not last_speaker:
            log.reject("orphan_continuation", event.location, event.text)
            return
        nick, namespace = last_speaker[0]
    if not nick or event.at is None:
        log.reject("unparsed_line", event.location, event.text)
        return
    if nick.lower() in bots and namespace == "irc":
        log.exclude("bot", event.location)
        return
    if channel.last_at is None or event.at - channel.last_at > gap:
        channel.thread_id = event.record_id
        channel.latest = {}
    channel.last_at = event.at
    addressee = addressed_nick(event.text, channel.known) if event.kind != "cont" else None
    parent: str | None = None
    addressee_identity: RawIdentity | None = None
    if addressee is not None and addressee.lower() != nick.lower():
        addressee_identity = _identity(
            addressee, channel.known[addressee.lower()], is_bot=addressee.lower() in bots
        )
        parent = channel.latest.get(addressee.lower())
    builder.add_message(
        log,
        source_message_id=event.record_id,
        author=_identity(nick, namespace),
        created_at=event.at,
        kind="chat",
        text=event.text,
        parent_source_id=parent,
        parent_basis="inferred" if parent is not None else "unknown",
        thread_source_id=channel.thread_id,
        addressee=addressee_identity,
        space=space,
        location=event.location,
    )
    channel.known[nick.lower()] = namespace
    channel.latest[nick.lower()] = event.record_id
    last_speaker[:] = [(nick, namespace)]


def ingest_irc(
    builder: TraceBuilder,
    paths: Iterable[Path],
    *,
    channel: str | None = None,
    gap_minutes: float = DEFAULT_GAP_MINUTES,
    bots: Iterable[str] = DEFAULT_BOTS,
    **_options: object,
) -> None:
    """Add IRC logs to a trace being built.

    Parameters
    ----------
    builder
        The trace builder.
    paths
        Log files, or folders of them (read in name order, so daily logs stay in order).
    channel
        The channel (space) name; by default the log's folder name for a TSV and the
        ``#channel`` in a plain log's file name, else its folder name.
    gap_minutes
        Silence after which a new conversation (thread) starts.
    bots
        Nicks whose lines are excluded as ``bot``.
    **_options
        Options of other formats, ignored.
    """
    builder.observe("irc")
    gap = timedelta(minutes=gap_minutes)
    bot_set = frozenset(b.lower() for b in bots)
    states: dict[str, _Channel] = {}
    for given in paths:
        given = Path(given)
        files = (
            sorted(p for p in given.rglob("*") if p.is_file() and not p.name.startswith("."))
            if given.is_dir()
            else [given]
        )
        for path in files:
            named = re.search(r"#[\w.-]+?(?=[._-]\d{4}|\.(?:log|txt|weechatlog)|$)", path.name)
            space = channel or (named.group(0) if named else path.resolve().parent.name)
            if space not in states:
                states[space] = _Channel()
                builder.add_space(space, name=space)
            log = builder.source(path)
            last_speaker: list[tuple[str, str]] = []
            for event in read_irc(path, builder.limits):
                log.read(1)
                _handle_event(
                    builder,
                    log,
                    event,
                    states[space],
                    space,
                    gap=gap,
                    bots=bot_set,
                    last_speaker=last_speaker,
                )
