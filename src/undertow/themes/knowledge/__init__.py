"""K · Knowledge creation: resolution, uptake, idea diffusion, artefacts."""

from undertow.themes.knowledge import artefacts, findings, ideas, resolution, uptake

__all__ = ["artefacts", "findings", "ideas", "resolution", "uptake"]
