"""S · Synthesis: where power limits knowledge creation here."""
