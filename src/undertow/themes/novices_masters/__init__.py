"""T6 · Novices and masters: legitimate peripheral participation."""
