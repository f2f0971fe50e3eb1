"""`python -m hmp_engine` runs the `hmp` command line."""

import sys

from hmp_engine.cli import main

sys.exit(main())
