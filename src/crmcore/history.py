"""One customer's records together: `CustomerHistory`, and grouping many of them.

A history holds a customer and that customer's transactions, care touchpoints
and complaints. It is the input of every per-customer computation (lifecycle
replay, summaries, scores). Its invariants:

* every record belongs to the history's customer (a record of another
  customer is refused, naming both ids);
* ids are unique within each kind of record;
* records are kept in time order, ties broken by id, whatever order they were
  given in (transactions and touchpoints by ``occurred_at``, complaints by
  ``received_at``). The order of the input never changes a result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.entities.enums import TransactionKind
from crmcore.errors import DuplicateId, UnknownCustomer

__all__ = ["CustomerHistory", "build_histories"]

_Record = TypeVar("_Record", Transaction, CareTouchpoint, Complaint)


def _when(record: Transaction | CareTouchpoint | Complaint) -> datetime:
    return record.received_at if isinstance(record, Complaint) else record.occurred_at


def _in_time_order(records: tuple[_Record, ...]) -> tuple[_Record, ...]:
    return tuple(sorted(records, key=lambda r: (_when(r), r.id)))


class CustomerHistory(BaseModel):
    """A customer with all of that customer's records, in time order.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> alice = Customer(id="C-1")
        >>> late = Transaction(id="T-2", customer_id="C-1", occurred_at="2024-06-01",
        ...                    amount=Money("30", "CNY"))
        >>> early = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-01-01",
        ...                     amount=Money("50", "CNY"))
        >>> history = CustomerHistory(customer=alice, transactions=[late, early])
        >>> [t.id for t in history.transactions]
        ['T-1', 'T-2']
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    customer: Customer
    transactions: tuple[Transaction, ...] = ()
    touchpoints: tuple[CareTouchpoint, ...] = ()
    complaints: tuple[Complaint, ...] = ()

    @field_validator("transactions", "touchpoints", "complaints", mode="after")
    @classmethod
    def _sort(cls, records: tuple[_Record, ...]) -> tuple[_Record, ...]:
        return _in_time_order(records)

    @model_validator(mode="after")
    def _belongs_to_customer(self) -> CustomerHistory:
        owner = self.customer.id
        groups: tuple[tuple[str, Sequence[Transaction | CareTouchpoint | Complaint]], ...] = (
            ("transaction", self.transactions),
            ("touchpoint", self.touchpoints),
            ("complaint", self.complaints),
        )
        for kind, records in groups:
            seen: set[str] = set()
            for record in records:
                if record.customer_id != owner:
                    raise PydanticCustomError(
                        "foreign_record",
                        "{kind} '{record_id}' belongs to customer '{other}', "
                        "not to this history's customer '{owner}'",
                        {
                            "kind": kind,
                            "record_id": record.id,
                            "other": record.customer_id,
                            "owner": owner,
                        },
                    )
                if record.id in seen:
                    raise PydanticCustomError(
                        "duplicate_id",
                        "{kind} id '{record_id}' appears more than once",
                        {"kind": kind, "record_id": record.id},
                    )
                seen.add(record.id)
        return self

    @property
    def customer_id(self) -> str:
        """The id of the history's customer."""
        return self.customer.id

    @property
    def purchases(self) -> tuple[Transaction, ...]:
        """The purchases, in time order (refunds left out)."""
        return tuple(t for t in self.transactions if t.kind is TransactionKind.PURCHASE)

    @property
    def refunds(self) -> tuple[Transaction, ...]:
        """The refunds, in time order."""
        return tuple(t for t in self.transactions if t.kind is TransactionKind.REFUND)


def build_histories(
    customers: Iterable[Customer],
    transactions: Iterable[Transaction] = (),
    touchpoints: Iterable[CareTouchpoint] = (),
    complaints: Iterable[Complaint] = (),
) -> dict[str, CustomerHistory]:
    """Group records by customer into histories, one per customer given.

    Each input is read once and may be in any order. Customers without records
    get an empty history. The result keeps the order of ``customers``.

    Raises:
        DuplicateId: Two customers, or two records of one kind, share an id.
        UnknownCustomer: A record refers to a customer that is not in ``customers``.

    Examples:
        >>> from crmcore import Customer, Money, Transaction, build_histories
        >>> people = [Customer(id="C-1"), Customer(id="C-2")]
        >>> sale = Transaction(id="T-1", customer_id="C-2", occurred_at="2024-01-01",
        ...                    amount=Money("10", "CNY"))
        >>> histories = build_histories(people, [sale])
        >>> [len(h.transactions) for h in histories.values()]
        [0, 1]
    """
    owners: dict[str, Customer] = {}
    for customer in customers:
        if customer.id in owners:
            raise DuplicateId("customer", customer.id)
        owners[customer.id] = customer

    def group(kind: str, records: Iterable[_Record]) -> dict[str, list[_Record]]:
        grouped: dict[str, list[_Record]] = {}
        seen: set[str] = set()
        for record in records:
            if record.id in seen:
                raise DuplicateId(kind, record.id)
            seen.add(record.id)
            if record.customer_id not in owners:
                raise UnknownCustomer(kind, record.id, record.customer_id)
            grouped.setdefault(record.customer_id, []).append(record)
        return grouped

    by_transaction = group("transaction", transactions)
    by_touchpoint = group("touchpoint", touchpoints)
    by_complaint = group("complaint", complaints)
    return {
        cid: CustomerHistory(
            customer=customer,
            transactions=tuple(by_transaction.get(cid, ())),
            touchpoints=tuple(by_touchpoint.get(cid, ())),
            complaints=tuple(by_complaint.get(cid, ())),
        )
        for cid, customer in owners.items()
    }
