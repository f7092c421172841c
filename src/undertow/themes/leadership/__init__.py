"""T2 · Leaders and managers in managed communities of practice."""
