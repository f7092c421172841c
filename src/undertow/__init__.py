"""undertow: the power-political undercurrents of communities of practice.

Measure the seven power-political themes of a community of practice from the traces
its members leave, link each to knowledge creation, and say how sure we are.
"""

from undertow.model.trace import Trace

__all__ = ["Trace", "__version__"]

__version__ = "0.1.0"
