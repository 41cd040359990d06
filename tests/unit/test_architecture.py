"""The package's structure: private names stay in their module, private modules in their package."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import crmcore

ROOT = Path(crmcore.__file__).parent


def modules() -> Iterator[tuple[str, str, ast.Module]]:
    """Every module of crmcore: its dotted name, the package it belongs to, its syntax tree."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        package = name if is_package else name.rpartition(".")[0]
        yield name, package, ast.parse(path.read_text(encoding="utf-8"))


def is_module(dotted: str) -> bool:
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported(tree: ast.Module) -> Iterator[tuple[str, str | None]]:
    """(module, name) for every ``from module import name``, (module, None) for ``import``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_imports_another_modules_underscore_names() -> None:
    found = []
    for name, _, tree in modules():
        for module, member in imported(tree):
            if not module.startswith("crmcore") or member is None or not private(member):
                continue
            if module != name and not is_module(f"{module}.{member}"):
                found.append(f"{name} imports {member} from {module}")
    assert found == []


def test_a_private_module_is_imported_only_from_within_its_package() -> None:
    found = []
    for name, package, tree in modules():
        for module, member in imported(tree):
            target = (
                module
                if member is None or not is_module(f"{module}.{member}")
                else (f"{module}.{member}")
            )
            if not target.startswith("crmcore"):
                continue
            parts = target.split(".")
            first = next((n for n, part in enumerate(parts) if private(part)), None)
            if first is None:
                continue
            owner = ".".join(parts[:first])
            if package != owner and not package.startswith(owner + "."):
                found.append(f"{name} imports {target}, private to {owner}")
    assert found == []


def test_the_facade_exports_what_a_workflow_needs_and_every_name_it_lists() -> None:
    workflow = {"replay", "observe", "satisfaction", "loyalty", "analyze", "plan_care", "at_risk"}
    workflow |= {"historical_value", "pyramid", "rfm_summary", "BetaGeo", "read_csv", "CrmError"}
    assert workflow <= set(crmcore.__all__)
    assert [name for name in crmcore.__all__ if not hasattr(crmcore, name)] == []


def test_every_module_lists_only_names_it_has() -> None:
    import importlib

    missing = []
    for name, _, _tree in modules():
        if name == "crmcore.__main__":
            continue  # importing it runs the command line
        module = importlib.import_module(name)
        missing += [f"{name}.{n}" for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
    assert missing == []
