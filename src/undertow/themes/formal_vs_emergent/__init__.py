"""T3 · The emergent community against the formal organisation."""

from undertow.themes.formal_vs_emergent import alignment, brokerage, ei_index, findings, spaces

__all__ = ["alignment", "brokerage", "ei_index", "findings", "spaces"]
