"""T7 · Community practice diverging from organisational practice."""
