"""T7 · Community practice diverging from organisational practice."""

from undertow.themes.divergence import doc_divergence, findings, practice, workarounds

__all__ = ["doc_divergence", "findings", "practice", "workarounds"]
