"""Draw the plots the documentation shows, from the sample portfolio, when the site is built.

The images are never stored: each build draws them with `crmcore.plot.write_plots`
and adds them to the site under ``images/plots/``.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, time, timezone
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from crmcore import analyze, build_histories
from crmcore.datasets import load_sample
from crmcore.plot import write_plots

_FOLDERS: list[Path] = []


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Draw every plot of the sample's report and add the SVG files to the site."""
    sample = load_sample()
    assert sample.end is not None
    moment = datetime.combine(sample.end, time.max, tzinfo=timezone.utc)
    report = analyze(
        sample.customers, sample.transactions, sample.touchpoints, sample.complaints, as_of=moment
    )
    histories = build_histories(
        sample.customers, sample.transactions, sample.touchpoints, sample.complaints
    )
    folder = Path(tempfile.mkdtemp(prefix="crmcore-plots-"))
    _FOLDERS.append(folder)
    for path in write_plots(report, folder, histories=histories, formats=["svg"]):
        files.append(File.generated(config, f"images/plots/{path.name}", abs_src_path=str(path)))
    return files


def on_post_build(config: MkDocsConfig) -> None:
    """Remove the drawn files once the site holds them."""
    while _FOLDERS:
        shutil.rmtree(_FOLDERS.pop(), ignore_errors=True)
