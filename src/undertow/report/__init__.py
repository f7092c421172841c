"""The self-contained HTML report: reads metric tables and findings, never computes."""

from undertow.report.render import render_report

__all__ = ["render_report"]
