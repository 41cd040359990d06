"""Run the crmcore command line: ``python -m crmcore``."""

from __future__ import annotations

import sys

from crmcore.cli import main

if __name__ == "__main__":
    sys.exit(main())
