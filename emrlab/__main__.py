"""`python -m emrlab` runs the command line."""

import sys

from emrlab.cli import main

sys.exit(main())
