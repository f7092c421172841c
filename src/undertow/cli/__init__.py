"""The ``undertow`` command line: each command is one library call."""

from __future__ import annotations

from undertow.cli import analyze as analyze  # registers `undertow analyze`
from undertow.cli import demo as demo  # registers `undertow demo`
from undertow.cli import info as info  # registers `undertow info`
from undertow.cli import ingest as ingest  # registers `undertow ingest`
from undertow.cli import rekey as rekey  # registers `undertow rekey`
from undertow.cli import simulate as simulate  # registers `undertow simulate`
from undertow.cli import tone as tone  # registers `undertow tone fit`
from undertow.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Run the ``undertow`` command line."""
    app()
