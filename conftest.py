"""Settings for every test, the doctests of ``src/crmcore`` among them."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close the figures a plot made, so that none outlives its test or example."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def pytest_configure(config: pytest.Config) -> None:
    """Draw without a screen: matplotlib's file-only backend."""
    try:
        import matplotlib
    except ImportError:  # the plot extra is optional
        return
    matplotlib.use("Agg")
