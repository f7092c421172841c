"""The diagnosis: run the registered metrics, derive findings, audit and write outputs."""

from undertow.diagnosis.output import OutputAuditError
from undertow.diagnosis.pipeline import analyze
from undertow.diagnosis.results import Diagnosis, MetricRun

__all__ = ["Diagnosis", "MetricRun", "OutputAuditError", "analyze"]
