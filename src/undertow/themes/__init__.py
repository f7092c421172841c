"""The themes: registered metrics and finding rules, one subpackage per theme.

Importing this package registers every metric and finding rule
(see :mod:`undertow.themes.registry`).
"""

from undertow.themes import (
    divergence,
    dominance,
    emotion_work,
    formal_vs_emergent,
    knowledge,
    leadership,
    novices_masters,
    synthesis,
    timing,
)
from undertow.themes.registry import FINDING_RULES, REGISTRY, THEMES

__all__ = [
    "FINDING_RULES",
    "REGISTRY",
    "THEMES",
    "divergence",
    "dominance",
    "emotion_work",
    "formal_vs_emergent",
    "knowledge",
    "leadership",
    "novices_masters",
    "synthesis",
    "timing",
]
