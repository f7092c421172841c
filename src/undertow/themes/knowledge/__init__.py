"""K · Knowledge creation: resolution, uptake, idea diffusion, artefacts."""
