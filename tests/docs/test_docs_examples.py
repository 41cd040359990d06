"""The examples in the documentation and the README are run as tests.

In every Markdown page, ``pycon`` blocks are doctests (their output is
checked) and ``python`` blocks are executed; the blocks of one page share a
namespace, in page order.
"""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

from crmcore import complaints, lifecycle

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def blocks(page: Path) -> list[tuple[str, str, int]]:
    text = page.read_text("utf-8")
    return [
        (m["lang"], m["body"], text.count("\n", 0, m.start()) + 2)
        for m in FENCE.finditer(text)
        if m["lang"] in ("python", "pycon")
    ]


def test_every_page_with_examples_is_collected() -> None:
    assert {p.name for p in PAGES if blocks(p)} >= {"index.md", "getting-started.md", "entities.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_example_hides_in_an_indented_fence_where_it_would_not_run(page: Path) -> None:
    indented = re.findall(r"^[ \t]+```(?:pycon|python)\b", page.read_text("utf-8"), re.MULTILINE)
    assert indented == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_examples_on_the_page_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    parser = doctest.DocTestParser()
    for lang, body, line in blocks(page):
        where = f"{page.relative_to(ROOT)}:{line}"
        if lang == "pycon":
            test = parser.get_doctest(body, namespace, where, str(page), line)
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            runner.run(test, clear_globs=False)
            assert runner.failures == 0, f"doctest failed at {where} (see the output above)"
            namespace.update(test.globs)  # DocTest works on a copy of the namespace
        else:
            exec(compile(body, where, "exec"), namespace)


def test_the_readme_quick_start_has_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "python -m pip install . && python -m crmcore" in readme
    assert 'python -m pip install -e ".[test]" && python -m pytest' in readme


def test_every_public_module_has_a_reference_page() -> None:
    pages = "\n".join(p.read_text("utf-8") for p in (ROOT / "docs" / "reference").glob("*.md"))
    modules = ("money", "entities", "history", "lifecycle", "complaints", "period", "scoring")
    modules += ("value", "retention", "portfolio", "frame", "io")
    for module in (*modules, "datasets", "strategies", "errors", "cli"):
        assert f"::: crmcore.{module}" in pages


@pytest.mark.parametrize(
    ("page", "machine"), [("lifecycle.md", lifecycle), ("complaints.md", complaints)]
)
def test_the_state_diagram_on_the_concept_page_is_the_one_the_table_draws(
    page: str, machine: ModuleType
) -> None:
    text = (ROOT / "docs" / "concepts" / page).read_text("utf-8")
    assert f"```text\n{machine.to_mermaid()}```" in text
    assert f"../images/diagrams/{page.removesuffix('.md')}.svg" in text


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_needs_a_diagram_script_from_the_internet(page: Path) -> None:
    assert "```mermaid" not in page.read_text("utf-8")


NOTEBOOKS = sorted((ROOT / "docs").rglob("*.ipynb"))


def test_the_docs_hold_a_notebook() -> None:
    assert [p.name for p in NOTEBOOKS] == ["sample-portfolio.ipynb"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_runs_top_to_bottom_and_is_stored_without_outputs(notebook: Path) -> None:
    cells = json.loads(notebook.read_text("utf-8"))["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code and all(not cell.get("outputs") for cell in code)  # outputs come from the build
    namespace: dict[str, object] = {"__name__": f"notebook_{notebook.stem}"}
    for number, cell in enumerate(code, start=1):
        source = "".join(cell["source"])
        exec(compile(source, f"{notebook.name}, cell {number}", "exec"), namespace)
    assert namespace["report"] is not None
