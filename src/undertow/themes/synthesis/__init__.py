"""S · Synthesis: where power limits knowledge creation here."""

from undertow.themes.synthesis import answer, power_model

__all__ = ["answer", "power_model"]
