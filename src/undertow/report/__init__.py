"""The self-contained HTML report: reads metric tables and findings, never computes."""
