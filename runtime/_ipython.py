"""The running IPython shell, found without importing IPython when nothing imported it."""

from __future__ import annotations

import sys
from typing import Any


def shell() -> Any:
    """The running IPython shell (a Jupyter kernel, the IPython REPL), or None.

    A process where nothing imported IPython runs no shell, so scripts do not pay for importing it."""
    if "IPython" not in sys.modules:
        return None
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
