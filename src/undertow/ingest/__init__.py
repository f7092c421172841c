"""Adapters that turn the files communities leave into the canonical trace."""

from undertow.ingest.registry import ADAPTERS

__all__ = ["ADAPTERS"]
