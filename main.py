"""Run HMP Studio from a source checkout: `python main.py [VIDEO]`."""

import sys

from hmp_studio.app import main

if __name__ == "__main__":
    sys.exit(main())
