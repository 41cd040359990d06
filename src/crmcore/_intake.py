"""Records streaming into an analysis: validated, counted, placed by file and line, checked.

What `crmcore.portfolio.analyze` needs of its inputs before it takes a
record: the entity (validated when given as a mapping), where it came from
(the file and line crmcore's readers report, or its position), the counts
of what was read and left out, the repeated ids, and the currencies of its
amounts. Bad records are raised or kept, as ``on_error`` says.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from hashlib import blake2b
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import PydanticCustomError

from crmcore._model import Value
from crmcore._types import check_id
from crmcore._validation import OnError, problems_of
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.errors import FieldProblem, InvalidRecord

#: The kinds of record an analysis reads.
RecordKind = Literal["customers", "transactions", "touchpoints", "complaints"]
#: How many records pass between two progress reports.
PROGRESS_EVERY = 100_000
#: How many unknown and rejected records a report lists (all are counted).
KEPT_RECORDS = 1000


class UnknownRecord(Value):
    """A record whose customer is not in the customer list (reported, not analysed)."""

    kind: Literal["transaction", "touchpoint", "complaint"]
    record_id: str
    customer_id: str


class RejectedRecord(Value):
    """A record left out as bad (with ``on_error="collect"``): where it was, and why."""

    kind: Literal["customer", "transaction", "touchpoint", "complaint"]
    record_id: str | None = Field(description="None when the record had no valid id.")
    customer_id: str | None = Field(description="None when the record had no valid one.")
    source: str = Field(description="The file it came from, or the input it was given in.")
    line: int = Field(description="Its line in the file, or its position in the input.")
    problem: str


class RecordCount(Value):
    """What became of the records of one kind: analysed, or left out and why."""

    read: int = Field(description="Records given.")
    analysed: int = Field(description="Records taken into the analysis.")
    after_as_of: int = Field(
        default=0,
        description="Left out: dated after as_of, or of a customer acquired after it.",
    )
    unknown_customer: int = Field(
        default=0, description="Left out: their customer is not in the customer list."
    )
    rejected: int = Field(default=0, description="Left out as bad records (see rejected).")
    duplicate_ids: int = Field(
        default=0,
        description="Records whose id an earlier record of the kind already had (analysed "
        "all the same, unless check_ids refuses them).",
    )


class Collector(Protocol):
    """Where left-out records are listed (a `Kept` list, or a wrapper of one)."""

    def add(self, item: RejectedRecord) -> None: ...


class Intake:
    """One kind of record as it streams in: validated, counted, and placed by file and line."""

    def __init__(
        self,
        records: Iterable[Any],
        entity: type[BaseModel],
        kind: RecordKind,
        on_error: OnError,
        progress: Callable[[str, int], None] | None,
        rejected: Collector,
        *,
        numbered: bool = False,
        name: str | None = None,
        rename: Callable[[str], str] | None = None,
    ) -> None:
        self.records, self.entity, self.kind = records, entity, kind
        self.on_error, self.progress, self.rejected = on_error, progress, rejected
        self.numbered = numbered  # records come as (position in the whole input, record)
        self.name = name  # what the records' positions are lines of (a table), if not a reader
        # a field's name in the records' layout (a table's columns)
        self.rename: Callable[[str], str] = rename or _same_name
        self.single: Any = kind[:-1]
        self.position = 0
        self.read = 0
        self.count = Counts()

    def where(self) -> tuple[str, int]:
        """The file and line of the current record (crmcore's readers say), or its position."""
        if self.name is not None:
            return self.name, self.position
        source, line = getattr(self.records, "source", None), getattr(self.records, "line", None)
        if isinstance(source, str) and isinstance(line, int) and line > 0:
            return source, line
        return f"{self.kind} input", self.position

    def __iter__(self) -> Iterator[Any]:
        validate, entity, progress = self.entity.model_validate, self.entity, self.progress
        numbered = self.records if self.numbered else enumerate(self.records, start=1)
        # a crmcore reader's records are placed by their line, the same in any partition
        reader: Any = self.records if isinstance(getattr(self.records, "line", None), int) else None
        for read, (position, record) in enumerate(numbered, start=1):
            self.position, self.read = position if reader is None else reader.line, read
            if progress is not None and read % PROGRESS_EVERY == 0:
                progress(self.kind, read)
            if isinstance(record, entity):
                yield record
                continue
            if isinstance(record, list):  # a row whose cells could not even be read
                self._refuse({}, record)
                continue
            try:
                entry = validate(record)
            except ValidationError as exc:
                self._refuse(
                    record,
                    problems_of(exc) if self.rename is None else problems_of(exc, self.rename),
                )
                continue
            yield entry
        if progress is not None:
            progress(self.kind, self.read)

    def reject(self, record: Any, field: str | None, problem: str) -> None:
        """Leave a bad record out (listing it), or raise, as ``on_error`` says."""
        self._refuse(record, [FieldProblem(field, problem)])

    def _refuse(self, record: Any, problems: list[FieldProblem]) -> None:
        source, line = self.where()
        if self.on_error == "raise":
            raise InvalidRecord(source, line, problems)
        self.count.rejected += 1
        record_id, customer_id = _ids(record)
        self.rejected.add(
            RejectedRecord(
                kind=self.single,
                record_id=record_id,
                customer_id=customer_id if self.kind != "customers" else record_id,
                source=source,
                line=line,
                problem="; ".join(str(p) for p in problems[:10]),
            )
        )


def _same_name(loc: str) -> str:
    return loc


def _ids(record: Any) -> tuple[str | None, str | None]:
    """A record's id and customer id, as far as it has valid ones (a mapping may not)."""
    if isinstance(record, BaseModel):
        return getattr(record, "id", None), getattr(record, "customer_id", None)
    found = []
    for name in ("id", "customer_id"):
        value = record.get(name) if isinstance(record, Mapping) else None
        try:
            found.append(None if value is None else check_id(value))
        except (PydanticCustomError, TypeError, AttributeError):
            found.append(None)
    return found[0], found[1]


class Counts:
    """The running counts of one kind of record (see `RecordCount`)."""

    __slots__ = ("after_as_of", "duplicate_ids", "rejected", "unknown_customer")

    def __init__(self) -> None:
        self.after_as_of = self.unknown_customer = self.rejected = self.duplicate_ids = 0

    def result(self, read: int) -> RecordCount:
        """The counts once ``read`` records were read: the ones not left out were analysed."""
        return RecordCount(
            read=read,
            analysed=read - self.after_as_of - self.unknown_customer - self.rejected,
            after_as_of=self.after_as_of,
            unknown_customer=self.unknown_customer,
            rejected=self.rejected,
            duplicate_ids=self.duplicate_ids,
        )


class Kept(list[Any]):
    """The first `KEPT_RECORDS` items added; the rest are only counted elsewhere."""

    def add(self, item: Any) -> None:
        if len(self) < KEPT_RECORDS:
            self.append(item)


class Ids:
    """The ids of one kind of record, to count (or refuse) the ones seen twice.

    Exactly, keeping every id, when refusing them; otherwise by 64-bit
    fingerprints (8 bytes an id; two different ids share one with a chance of
    about one in 10^7 for ten million ids), counted once all are read.
    """

    def __init__(self, exact: bool) -> None:
        self.exact: set[str] | None = set() if exact else None
        self.prints = [bytearray() for _ in range(16)]  # by the fingerprint's top 4 bits

    def seen(self, record_id: str) -> bool:
        """Whether the id was seen before (always False when counting by fingerprints)."""
        if self.exact is not None:
            if record_id in self.exact:
                return True
            self.exact.add(record_id)
            return False
        fingerprint = blake2b(record_id.encode(), digest_size=8).digest()
        self.prints[fingerprint[0] >> 4] += fingerprint
        return False

    @classmethod
    def merged(cls, parts: Iterable[Ids]) -> Ids:
        """The fingerprints of several parts of one input, as if read together."""
        whole = cls(exact=False)
        for part in parts:
            for bucket, found in zip(whole.prints, part.prints, strict=True):
                bucket += found
        return whole

    def repeats(self) -> int:
        """How many ids were seen again after their first time (by fingerprint)."""
        repeated = 0
        for bucket in self.prints:
            ordered = sorted(memoryview(bucket).cast("Q"))  # the 8-byte fingerprints
            repeated += sum(1 for a, b in itertools.pairwise(ordered) if a == b)
        return repeated


def currency_of(record: Any) -> str | frozenset[str] | None:
    """The currency of a record's amounts: ``None`` without any, the set of them when several."""
    if type(record) is Transaction:  # the common case: one amount, its other two agree
        return record.amount.currency
    codes = frozenset(
        money.currency
        for money in (getattr(record, name) for name in MONEY_FIELDS[type(record)])
        if money is not None
    )
    if len(codes) > 1:
        return codes
    return next(iter(codes), None)


MONEY_FIELDS: dict[type, tuple[str, ...]] = {
    Customer: ("acquisition_cost", "wallet"),
    Transaction: ("amount",),  # list_amount and cost are checked to agree with it
    CareTouchpoint: ("cost",),
    Complaint: ("compensation", "handling_cost"),
}


def mixed(codes: frozenset[str]) -> str:
    return f"holds amounts in {' and '.join(sorted(codes))}; one record has one currency"
