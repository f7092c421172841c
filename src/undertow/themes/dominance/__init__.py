"""T4 · Dominant actors with position power."""
