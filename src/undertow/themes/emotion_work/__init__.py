"""T5 · Emotional containment and emotion work."""
