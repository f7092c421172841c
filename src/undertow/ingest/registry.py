"""Input formats by name: ``undertow ingest --format NAME`` dispatches through :data:`ADAPTERS`.

An adapter is a function ``adapter(builder, paths, **options)`` that reads ``paths``
and feeds the :class:`~undertow.ingest.builder.TraceBuilder` (it must not call
``builder.write()``; the caller does). ``options`` carries format-specific CLI
options (e.g. ``mapping`` for ``table``); adapters accept ``**options`` and ignore
what they do not use. Each adapter registers itself with one line below.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ADAPTERS", "Adapter", "register"]

Adapter = Callable[..., None]

#: Adapter functions by ``--format`` name.
ADAPTERS: dict[str, Adapter] = {}


def register(name: str, adapter: Callable[..., None]) -> None:
    """Make ``adapter`` available as ``--format name``.

    Examples
    --------
    >>> def echo(builder, paths, **options):
    ...     pass
    >>> register("echo-example", echo)
    >>> "echo-example" in ADAPTERS
    True
    >>> del ADAPTERS["echo-example"]
    """
    ADAPTERS[name] = adapter


# Adapters (imported after ADAPTERS exists; one import and one register line each).
from undertow.ingest.discourse import ingest_discourse  # noqa: E402
from undertow.ingest.git import ingest_git  # noqa: E402
from undertow.ingest.github import ingest_github  # noqa: E402
from undertow.ingest.irc import ingest_irc  # noqa: E402
from undertow.ingest.mbox import ingest_mbox  # noqa: E402
from undertow.ingest.slack import ingest_slack  # noqa: E402
from undertow.ingest.stackexchange import ingest_stackexchange  # noqa: E402
from undertow.ingest.table import read_table  # noqa: E402

register("discourse", ingest_discourse)
register("git", ingest_git)
register("github", ingest_github)
register("irc", ingest_irc)
register("mbox", ingest_mbox)
register("slack", ingest_slack)
register("stackexchange", ingest_stackexchange)
register("table", read_table)
