"""Regenerate the embedded sample files: ``python -m crmcore.datasets._build_sample``.

Run it after changing the generator; the test suite checks that the stored
sample equals a fresh generation with the sample's arguments.
"""

from __future__ import annotations

from pathlib import Path

from crmcore.datasets import generate


def main() -> None:
    folder = Path(__file__).with_name("sample")
    paths = generate().write(folder, format="jsonl", compress=True)
    for path in paths.values():
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
