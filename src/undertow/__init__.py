"""undertow: the power-political undercurrents of communities of practice.

Measure the seven power-political themes of a community of practice from the traces
its members leave, link each to knowledge creation, and say how sure we are.
"""

__version__ = "0.1.0"

from undertow.diagnosis import analyze  # noqa: E402 - __version__ first: the report reads it
from undertow.model.trace import Trace  # noqa: E402

__all__ = ["Trace", "__version__", "analyze"]
