"""The entry point hypothesis calls when it is imported: register crmcore's strategies.

Importing `crmcore.strategies` registers them. When that import is what
imports hypothesis (the module is still half-built), the module registers
them itself once it is complete, so this hook does nothing then.
"""

from __future__ import annotations

import importlib
import sys


def register() -> None:
    """Make sure crmcore's strategies are registered with hypothesis."""
    if "crmcore.strategies" not in sys.modules:
        importlib.import_module("crmcore.strategies")
