from __future__ import annotations

import inspect

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
