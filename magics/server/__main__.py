"""`python -m emrlab.magics.server`: run the local Livy-compatible endpoint."""

from __future__ import annotations

import sys

from emrlab.magics.server.cli import main

sys.exit(main())
