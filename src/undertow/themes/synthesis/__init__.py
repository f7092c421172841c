"""S · Synthesis: where power limits knowledge creation here."""

from undertow.themes.synthesis import answer, power_model, sociogram

__all__ = ["answer", "power_model", "sociogram"]
