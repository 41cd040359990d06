from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path

import pytest

from crmcore import errors
from crmcore.errors import CrmError, FieldProblem, InvalidRecord


def error_classes() -> list[type[CrmError]]:
    return [
        obj for _, obj in inspect.getmembers(errors, inspect.isclass) if issubclass(obj, CrmError)
    ]


@pytest.mark.parametrize("cls", error_classes())
def test_every_error_is_drawn_in_the_module_docstring(cls: type[CrmError]) -> None:
    assert cls.__name__ in (errors.__doc__ or "")


def test_every_error_has_its_own_stable_code() -> None:
    codes = [cls.code for cls in error_classes()]
    assert len(codes) == len(set(codes))
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)


def test_errors_are_also_the_builtin_a_programmer_expects() -> None:
    assert issubclass(errors.CurrencyMismatch, ValueError)
    assert issubclass(errors.UnknownCustomer, LookupError)
    assert issubclass(errors.InvalidRecord, ValueError)


def test_an_invalid_record_names_file_line_and_every_field() -> None:
    error = InvalidRecord(
        "tx.csv", 7, [FieldProblem("amount", "must be >= 0"), FieldProblem(None, "bad row")]
    )
    assert str(error) == "Cannot read tx.csv, line 7: field 'amount': must be >= 0; bad row."
    assert error.problems[0].field == "amount"


def test_errors_cross_process_boundaries_whole() -> None:
    import pickle

    from crmcore.errors import DuplicateId, UnreadableFile

    for error in (
        InvalidRecord("tx.csv", 7, [FieldProblem("amount", "is not a number")]),
        UnreadableFile("tx.csv.gz", 3, "the compressed data ends early"),
        DuplicateId("customer", "C-1"),
    ):
        back = pickle.loads(pickle.dumps(error))
        assert type(back) is type(error)
        assert str(back) == str(error)
        assert back.__dict__ == error.__dict__


@pytest.mark.parametrize("cls", error_classes())
def test_every_error_code_is_an_anchor_on_the_errors_page(cls: type[CrmError]) -> None:
    page = (Path(__file__).parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    assert f'id="{cls.code}"' in page


def test_misuse_settings_and_numbers_have_branches_under_the_root() -> None:
    assert issubclass(errors.UsageError, ValueError)
    assert issubclass(errors.UnsupportedType, errors.UsageError)
    assert issubclass(errors.UnsupportedType, TypeError)
    assert issubclass(errors.ConfigurationError, ValueError)
    assert issubclass(errors.NumericalError, ArithmeticError)


def test_an_option_a_function_does_not_take_is_a_usage_error() -> None:
    from crmcore.value import rfm_summary

    with pytest.raises(errors.UsageError, match="unit must be 'days', 'weeks' or 'months'") as info:
        rfm_summary([], observation_end=date(2024, 1, 1), unit="fortnights")  # type: ignore[arg-type]
    assert info.value.code == "usage"


def test_columns_of_a_kind_the_model_cannot_read_are_an_unsupported_type() -> None:
    from crmcore.value import BetaGeo

    with pytest.raises(errors.UnsupportedType, match="equal-length sequences"):
        BetaGeo.fit(frequency=[object()], recency=None, T=None)  # type: ignore[arg-type]


def test_a_period_of_no_length_is_a_configuration_error() -> None:
    from crmcore import Period

    with pytest.raises(errors.ConfigurationError, match="longer than zero") as info:
        Period(days=0)
    assert info.value.code == "configuration"


def test_a_series_that_does_not_converge_is_a_numerical_error() -> None:
    from crmcore.value.models import _series

    with pytest.raises(errors.NumericalError, match="did not converge") as info:
        _series(5.0, 5.0, 1.0, 0.999999999)
    assert info.value.code == "numerical"


def test_no_module_raises_a_bare_builtin_error_outside_pydantic_validators() -> None:
    import ast

    bare = {"ValueError", "TypeError", "ArithmeticError", "ZeroDivisionError", "OverflowError"}
    # pydantic turns a ValueError raised inside a validator into a ValidationError
    validators = {("period.py", "_validate")}
    found = []
    root = Path(errors.__file__).parent
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if (path.name, function.name) in validators:
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                    if isinstance(call, ast.Name) and call.id in bare:
                        found.append(f"{path.relative_to(root)}:{node.lineno} {call.id}")
    assert found == []
