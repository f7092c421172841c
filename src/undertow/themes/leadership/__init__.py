"""T2 · Leaders and managers in managed communities of practice."""

from undertow.themes.leadership import (
    agenda,
    approvals,
    chilling,
    deference,
    emergent,
    findings,
    hub,
    politeness_shift,
    role_ends,
)

__all__ = [
    "agenda",
    "approvals",
    "chilling",
    "deference",
    "emergent",
    "findings",
    "hub",
    "politeness_shift",
    "role_ends",
]
