"""A recording wrapper around TraceBuilder for the SE, Slack, Discourse and GitHub adapter tests.

The wrapper passes every call through to a real builder (so the builder's own
bookkeeping is exercised) and keeps what the adapter said: each rejection and
exclusion with its reason and location, each message, role, space and outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from undertow.ingest.builder import SourceLog, TraceBuilder


@dataclass
class Log:
    path: str
    member: str | None
    real: SourceLog
    n_read: int = 0
    n_accepted: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)

    def read(self, n: int = 1) -> None:
        self.n_read += n
        self.real.read(n)

    def accept_record(self, n: int = 1) -> None:
        self.n_accepted += n
        self.real.accept_record(n)

    def reject(self, reason: str, location: str, raw: Any = None) -> None:
        self.rejected.append((reason, location))
        self.real.reject(reason, location, raw)

    def exclude(self, reason: str, location: str) -> None:
        self.excluded.append((reason, location))
        self.real.exclude(reason, location)

    @property
    def balanced(self) -> bool:
        return self.n_read == self.n_accepted + len(self.rejected) + len(self.excluded)


class Recorder:
    """Stands in for a TraceBuilder and records what the adapter reports."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.real = TraceBuilder(out)
        self.logs: list[Log] = []
        self.messages: list[dict[str, Any]] = []
        self.roles: list[tuple[Any, dict[str, Any]]] = []
        self.spaces: dict[str, dict[str, Any]] = {}
        self.outcomes: list[dict[str, Any]] = []

    def source(self, path: Any, member: str | None = None) -> Log:
        log = Log(str(path), member, self.real.source(path, member=member))
        self.logs.append(log)
        return log

    def add_message(self, log: Log, **kwargs: Any) -> None:
        log.n_accepted += 1
        self.messages.append(kwargs)
        self.real.add_message(log.real, **kwargs)

    def add_role(self, person: Any, **kwargs: Any) -> None:
        self.roles.append((person, kwargs))
        self.real.add_role(person, **kwargs)

    def add_space(self, space: str, **kwargs: Any) -> None:
        self.spaces[space] = kwargs
        self.real.add_space(space, **kwargs)

    def add_outcome(self, **kwargs: Any) -> None:
        self.outcomes.append(kwargs)
        self.real.add_outcome(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    # What tests ask.
    def log(self, name: str) -> Log:
        """The one source whose member or file name ends with ``name``."""
        found = [log for log in self.logs if (log.member or Path(log.path).name).endswith(name)]
        assert len(found) == 1, [(log.path, log.member) for log in self.logs]
        return found[0]

    def reasons(self) -> Counter[str]:
        return Counter(reason for log in self.logs for reason, _ in log.rejected + log.excluded)

    def kinds(self) -> Counter[str]:
        return Counter(message["kind"] for message in self.messages)

    def message(self, source_id: str) -> dict[str, Any]:
        found = [m for m in self.messages if m["source_message_id"] == source_id]
        assert len(found) == 1, source_id
        return found[0]

    def check_reconciled(self) -> dict[str, Any]:
        """Every source balances here and in the real builder's manifest."""
        for log in self.logs:
            assert log.balanced, (log.path, log.member, log.n_read, log.n_accepted)
        return manifest_check(self.real.write())


def manifest_check(manifest: dict[str, Any]) -> dict[str, Any]:
    sources = manifest["sources"]
    assert sources
    for source in sources:
        assert source["read"] == source["accepted"] + source["rejected"] + source["excluded"], (
            source
        )
    return manifest
