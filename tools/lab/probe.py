"""Old home of the host probe, now :mod:`tools.probe`.

This name is that very module, not a copy of its names: code that sets
``tools.lab.probe.REAL_TOOLS`` (the lab's tests do) changes what the probe looks for.
"""

import sys

from .. import probe as _probe

sys.modules[__name__] = _probe
