"""T5 · Emotional containment and emotion work."""

from undertow.themes.emotion_work import (
    containment,
    display_rules,
    distribution,
    findings,
    hostility,
)

__all__ = ["containment", "display_rules", "distribution", "findings", "hostility"]
