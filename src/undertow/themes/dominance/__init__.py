"""T4 · Dominant actors with position power."""

from undertow.themes.dominance import (
    concentration,
    coordination,
    findings,
    floor,
    replies,
    silencing,
    status_uptake,
)

__all__ = [
    "concentration",
    "coordination",
    "findings",
    "floor",
    "replies",
    "silencing",
    "status_uptake",
]
