"""The errors crmcore raises, in one tree.

Every error that crmcore defines derives from [`CrmError`][crmcore.errors.CrmError],
so ``except CrmError`` catches all of them. Several also derive from the built-in
exception a Python programmer would expect (``ValueError``, ``LookupError``),
so existing handlers keep working::

    CrmError                         root of every crmcore error
    ├── CurrencyMismatch             arithmetic or ordering across currencies  (ValueError)
    ├── DuplicateId                  two records of one kind share an id       (ValueError)
    ├── UnknownCustomer              a record refers to a customer not given   (LookupError)
    ├── InvalidRecord                a file row that is not a valid entity     (ValueError)
    │   └── UnreadableFile           a file that cannot be read (on) from a line
    ├── InvalidTransition            a move the state machine does not allow   (ValueError)
    ├── OutOfOrder                   an event dated before the latest one      (ValueError)
    ├── ModelFitError                a model's likelihood search failed        (RuntimeError)
    ├── UnitMismatch                 a model and a summary in different units  (ValueError)
    ├── UndefinedPrediction          a prediction the fitted model cannot give (ValueError)
    ├── UsageError                   an argument a function does not take      (ValueError)
    │   └── UnsupportedType          an argument of a kind it cannot read      (TypeError)
    ├── ConfigurationError           a setting or definition that cannot hold  (ValueError)
    └── NumericalError               a computation that cannot give a number   (ArithmeticError)

    CrmWarning                       root of every warning crmcore gives      (UserWarning)
    └── DuplicateIdWarning           record ids seen twice in an analysis

Bad field values given to an entity raise pydantic's ``ValidationError`` instead,
whose message names the field and the rule that was broken (for example
``amount.amount: Input should be greater than or equal to 0``).

Every error class carries a stable ``code`` (for logs, APIs and tests); each
code is listed, under an anchor of its own name, on the *Errors* page of the
documentation. Messages are one
sentence naming what was attempted, on what, and why it failed. They never
contain personal data (names, e-mail addresses, phone numbers, birthdays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "ConfigurationError",
    "CrmError",
    "CrmWarning",
    "CurrencyMismatch",
    "DuplicateId",
    "DuplicateIdWarning",
    "FieldProblem",
    "InvalidRecord",
    "InvalidTransition",
    "ModelFitError",
    "NumericalError",
    "OutOfOrder",
    "UndefinedPrediction",
    "UnitMismatch",
    "UnknownCustomer",
    "UnreadableFile",
    "UnsupportedType",
    "UsageError",
]


class CrmError(Exception):
    """Root of every error crmcore raises.

    Attributes:
        code: A stable, machine-readable identifier of the error kind.

    Examples:
        >>> from crmcore.errors import CrmError, CurrencyMismatch
        >>> issubclass(CurrencyMismatch, CrmError)
        True
    """

    code: str = "crm_error"

    def __reduce__(self) -> tuple[Any, ...]:
        # the errors' constructors take their parts, not the message: rebuild from
        # the message and the attributes, so that an error crosses process boundaries
        return (_rebuilt, (type(self), self.args, dict(self.__dict__)))


def _rebuilt(kind: type[CrmError], args: tuple[Any, ...], state: dict[str, Any]) -> CrmError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class CurrencyMismatch(CrmError, ValueError):
    """Two amounts in different currencies were added, subtracted or ordered.

    Attributes:
        operation: What was attempted (``"add"``, ``"subtract"``, ``"compare"``).
        left: The currency code of the left operand.
        right: The currency code of the right operand.

    Examples:
        >>> from crmcore import Money
        >>> Money("1", "CNY") + Money("1", "USD")
        Traceback (most recent call last):
        ...
        crmcore.errors.CurrencyMismatch: Cannot add CNY and USD amounts: currencies differ.
    """

    code = "currency_mismatch"

    def __init__(self, operation: str, left: str, right: str) -> None:
        self.operation = operation
        self.left = left
        self.right = right
        super().__init__(f"Cannot {operation} {left} and {right} amounts: currencies differ.")


class DuplicateId(CrmError, ValueError):
    """Two records of the same kind were given with the same id.

    Attributes:
        kind: The kind of record (``"customer"``, ``"transaction"``, ...).
        id: The repeated id.

    Examples:
        >>> DuplicateId("customer", "C-1").code
        'duplicate_id'
    """

    code = "duplicate_id"

    def __init__(self, kind: str, id: str) -> None:
        self.kind = kind
        self.id = id
        super().__init__(f"Cannot accept {kind} {id!r}: another {kind} has the same id.")


class UnknownCustomer(CrmError, LookupError):
    """A record refers to a customer id that is not among the customers given.

    Attributes:
        kind: The kind of the referring record.
        record_id: The id of the referring record.
        customer_id: The customer id that was not found.

    Examples:
        >>> str(UnknownCustomer("transaction", "T-9", "C-404"))
        "Cannot attach transaction 'T-9' to customer 'C-404': no such customer was given."
    """

    code = "unknown_customer"

    def __init__(self, kind: str, record_id: str, customer_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.customer_id = customer_id
        super().__init__(
            f"Cannot attach {kind} {record_id!r} to customer {customer_id!r}: "
            "no such customer was given."
        )


@dataclass(frozen=True)
class FieldProblem:
    """One reason a record is invalid: the field (dotted path, or ``None``) and the rule.

    Examples:
        >>> str(FieldProblem("amount", "must be >= 0"))
        "field 'amount': must be >= 0"
    """

    field: str | None
    message: str

    def __str__(self) -> str:
        return self.message if self.field is None else f"field {self.field!r}: {self.message}"


class InvalidRecord(CrmError, ValueError):
    """A row of a CSV or JSON Lines file (or a record given to crmcore) is not valid.

    The message lists the first problems and counts the rest, so that it stays
    short whatever the record holds.

    Attributes:
        source: The file name (or ``"<stream>"`` for an unnamed stream).
        line: The 1-based line on which the record starts (0: the file as a whole).
        problems: The problems found in the record, field by field (the first
            `SHOWN_PROBLEMS` of them).
        problem_count: How many problems were found in all.

    Examples:
        >>> err = InvalidRecord("tx.csv", 3, [FieldProblem("quantity", "must be >= 1")])
        >>> str(err)
        "Cannot read tx.csv, line 3: field 'quantity': must be >= 1."
    """

    code = "invalid_record"

    def __init__(self, source: str, line: int, problems: Sequence[FieldProblem]) -> None:
        self.source = source
        self.line = line
        self.problems = tuple(problems[:SHOWN_PROBLEMS])
        self.problem_count = len(problems)
        detail = "; ".join(_short(p) for p in self.problems[:10]) or "invalid record"
        if len(problems) > 10:
            detail += f"; and {len(problems) - 10:,} more problems"
        where = source if line == 0 else f"{source}, line {line}"
        end = "" if detail.endswith("?") else "."
        super().__init__(f"Cannot read {where}: {detail.rstrip('.')}{end}")


#: How many problems of one record an `InvalidRecord` keeps.
SHOWN_PROBLEMS = 100


def _short(problem: FieldProblem) -> str:
    field = problem.field
    if field is not None and len(field) > 60:
        field = field[:57] + "..."
    return str(FieldProblem(field, problem.message))


class UnreadableFile(InvalidRecord):
    """A file cannot be read, or cannot be read on from a line.

    It cannot be opened (line 0), is not what its name says (a ``.gz`` file
    that is not gzip), or its compressed data ends early or is damaged. The
    records before the line were read; none after it can be.

    Examples:
        >>> str(UnreadableFile("tx.csv.gz", 1001, "the compressed data ends early"))
        'Cannot read tx.csv.gz, line 1001: the compressed data ends early.'
    """

    code = "unreadable_file"

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(source, line, [FieldProblem(None, reason)])
        self.reason = reason


class InvalidTransition(CrmError, ValueError):
    """A state machine was asked for a move its table (or a guard) does not allow.

    Raised by the customer lifecycle and the complaint workflow; nothing changes.

    Attributes:
        entity: What the state belongs to (``"customer"``, ``"complaint"``).
        entity_id: The id of that customer or complaint.
        state: The current state (a lifecycle stage or a complaint status).
        event: The event that was refused (``"churn"``, ``"resolve"``...).

    Examples:
        >>> from crmcore.lifecycle import LifecycleState
        >>> LifecycleState.new("C-42").apply("churn", at="2024-05-01")
        Traceback (most recent call last):
        ...
        crmcore.errors.InvalidTransition: Cannot churn customer 'C-42': stage is 'potential' (no purchase yet).
    """  # noqa: E501

    code = "invalid_transition"

    def __init__(
        self,
        *,
        entity: str,
        entity_id: str,
        attribute: str,
        state: str,
        event: str,
        verb: str,
        why: str,
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.state = state
        self.event = event
        super().__init__(f"Cannot {verb} {entity} {entity_id!r}: {attribute} is {state!r} ({why}).")


class OutOfOrder(CrmError, ValueError):
    """An event was dated before the latest event already applied to a state.

    Incremental use must not reorder history silently: apply events in time
    order (a replay sorts them for you).

    Attributes:
        entity: What the state belongs to (``"customer"``, ``"complaint"``).
        entity_id: The id of that customer or complaint.
        event: The event that was refused.
        at: When the refused event happened.
        latest: When the latest event already applied happened.

    Examples:
        >>> from crmcore.lifecycle import LifecycleState
        >>> state = LifecycleState.new("C-1").apply("qualify", at="2024-05-01")
        >>> state.apply("purchase", at="2024-04-01")
        Traceback (most recent call last):
        ...
        crmcore.errors.OutOfOrder: Cannot apply purchase at 2024-04-01T00:00:00+00:00 to customer 'C-1': it is earlier than the latest event applied, at 2024-05-01T00:00:00+00:00.
    """  # noqa: E501

    code = "out_of_order"

    def __init__(
        self,
        *,
        entity: str,
        entity_id: str,
        event: str,
        at: datetime,
        latest: datetime,
        latest_what: str = "the latest event applied",
    ) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.event = event
        self.at = at
        self.latest = latest
        super().__init__(
            f"Cannot apply {event} at {at.isoformat()} to {entity} {entity_id!r}: "
            f"it is earlier than {latest_what}, at {latest.isoformat()}."
        )


class ModelFitError(CrmError, RuntimeError):
    """A model's maximum-likelihood search did not converge; no parameters are returned.

    Attributes:
        model: The model (``"BG/NBD"``, ``"Gamma-Gamma"``).
        iterations: The iterations the search ran.

    Examples:
        >>> str(ModelFitError("BG/NBD", 20000, "the likelihood search did not converge"))
        'Cannot fit BG/NBD: the likelihood search did not converge (after 20000 iterations).'
    """

    code = "model_fit"

    def __init__(self, model: str, iterations: int, why: str) -> None:
        self.model = model
        self.iterations = iterations
        super().__init__(f"Cannot fit {model}: {why} (after {iterations} iterations).")


class UnitMismatch(CrmError, ValueError):
    """A model was asked about a summary in another time unit, or about a unit it does not know.

    Purchase summaries count recency and T in days, weeks or months; a model
    fitted on them holds rates per that unit. Mixing units changes results
    silently, so crmcore refuses.

    Attributes:
        operation: What was attempted.
        model_unit: The unit the model was fitted in; None when it states none.
        given: The unit of what it was asked about; None when none was stated.

    Examples:
        >>> str(UnitMismatch("predict purchases", "weeks", "days"))
        'Cannot predict purchases: the model was fitted in weeks, the summary is in days.'
    """

    code = "unit_mismatch"

    def __init__(self, operation: str, model_unit: str | None, given: str | None) -> None:
        self.operation = operation
        self.model_unit = model_unit
        self.given = given
        if model_unit is None:
            why = (
                f"the model states no time unit, so {given or 'a period'} cannot be converted "
                "(fit it on rfm_summary rows, or give it a unit)"
            )
        else:
            why = f"the model was fitted in {model_unit}, the summary is in {given}"
        super().__init__(f"Cannot {operation}: {why}.")


class UndefinedPrediction(CrmError, ValueError):
    """A fitted model was asked for a quantity that does not exist at its parameters.

    Attributes:
        model: The model (``"Gamma-Gamma"``, ``"BG/NBD"``).
        quantity: What was asked for.

    Examples:
        >>> str(UndefinedPrediction("Gamma-Gamma", "the expected spend", "q is 0.9"))
        'Cannot predict the expected spend with Gamma-Gamma: q is 0.9.'
    """

    code = "undefined_prediction"

    def __init__(self, model: str, quantity: str, why: str) -> None:
        self.model = model
        self.quantity = quantity
        super().__init__(f"Cannot predict {quantity} with {model}: {why}.")


class UsageError(CrmError, ValueError):
    """A function was called with an argument it does not take.

    An unknown option, a value out of its range, or arguments that contradict
    each other.

    The message names the argument, what it must be and what was given.

    Examples:
        >>> from crmcore.value import retention_multiple
        >>> retention_multiple(1.5, 0.1)
        Traceback (most recent call last):
        ...
        crmcore.errors.UsageError: retention must be a probability from 0 to 1, not 1.5.
    """

    code = "usage"


class UnsupportedType(UsageError, TypeError):
    """An argument is of a kind the function cannot read (a table, a column, a sequence).

    Examples:
        >>> UnsupportedType("Give frequency as a sequence.").code
        'unsupported_type'
    """

    code = "unsupported_type"


class ConfigurationError(CrmError, ValueError):
    """A setting or a definition cannot hold.

    A period of no length, tier shares that do not sum to 1, a currency code
    that is not one, a state table with unreachable states.

    Examples:
        >>> from crmcore import Period
        >>> Period(days=0)
        Traceback (most recent call last):
        ...
        crmcore.errors.ConfigurationError: A period must be longer than zero.
    """

    code = "configuration"


class NumericalError(CrmError, ArithmeticError):
    """A computation cannot give a finite number at these inputs.

    A series that does not converge, or a value that is not finite.

    Examples:
        >>> NumericalError("2F1(1, 2; 3; 0.9) did not converge").code
        'numerical'
    """

    code = "numerical"


class CrmWarning(UserWarning):
    """Root of every warning crmcore gives: something to look at, not a failure.

    Attributes:
        code: A stable, machine-readable identifier of the warning kind.
    """

    code: str = "crm_warning"


class DuplicateIdWarning(CrmWarning):
    """Records of one kind share ids: each was analysed, so an exported row twice counts twice.

    ``analyze(..., check_ids=True)`` refuses such records instead.

    Attributes:
        counts: Per kind of record, how many records repeat an id seen before.

    Examples:
        >>> str(DuplicateIdWarning({"transactions": 3}))
        'Found 3 transactions whose id an earlier one already had; each was analysed (check_ids refuses them).'
    """  # noqa: E501

    code = "duplicate_ids"

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        found = ", ".join(f"{n:,} {kind}" for kind, n in self.counts.items())
        super().__init__(
            f"Found {found} whose id an earlier one already had; each was analysed "
            "(check_ids refuses them)."
        )
