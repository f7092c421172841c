"""T3 · The emergent community against the formal organisation."""
