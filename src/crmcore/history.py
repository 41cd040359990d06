"""One customer's records together: `CustomerHistory`, grouping many of them, and summaries.

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

import sys
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from decimal import MAX_PREC, Context, Decimal
from itertools import pairwise
from operator import attrgetter
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from crmcore import _formulas as formulas
from crmcore._formulas import PLAIN
from crmcore._model import trusted
from crmcore._types import (
    DerivedTimestamp,
    Id,
    NonNegativeDuration,
    Timestamp,
    median_span,
    shared_zone,
    to_moment,
)
from crmcore.entities import CareTouchpoint, Complaint, Customer, Transaction
from crmcore.entities.enums import CompetitorAttitude, ComplaintCategory, TransactionKind
from crmcore.errors import CurrencyMismatch, DuplicateId, UnknownCustomer, UsageError
from crmcore.money import Money
from crmcore.period import Period
from crmcore.tabular import Table

__all__ = [
    "PASSIVE_MIN",
    "PRICE_RISE_MIN",
    "PROMOTER_MIN",
    "CustomerActivity",
    "CustomerHistory",
    "CustomerSummary",
    "LoyaltyTrail",
    "SaleMoment",
    "build_histories",
    "summarize",
]

#: The lowest likelihood-to-recommend rating (0-10) of a promoter, as NPS counts them.
PROMOTER_MIN = 9
#: The lowest rating of a passive; below it, a detractor.
PASSIVE_MIN = 7
#: A price rise: a unit list price more than this share above the previous one
#: (smaller changes are rounding, such as 3 for 10.00 against 3.33 each).
PRICE_RISE_MIN = 0.01
_RISE = Decimal(1) + Decimal(str(PRICE_RISE_MIN))

_Record = TypeVar("_Record", Transaction, CareTouchpoint, Complaint)


def _when(record: Transaction | CareTouchpoint | Complaint) -> datetime:
    return record.received_at if isinstance(record, Complaint) else record.occurred_at


def _in_time_order(records: tuple[_Record, ...]) -> tuple[_Record, ...]:
    return tuple(sorted(records, key=lambda r: (_when(r), r.id)))


HistoryRecords = Literal["transactions", "touchpoints", "complaints"]

_RECORD_TYPES: dict[str, type[BaseModel]] = {
    "transactions": Transaction,
    "touchpoints": CareTouchpoint,
    "complaints": Complaint,
}


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

    def table(self, records: HistoryRecords = "transactions") -> Table:
        """One kind of the customer's records as a `Table` (see `crmcore.tabular`).

        Money splits into an amount and a currency column; a complaint's
        status changes and a touchpoint's nested feedback follow the module's
        convention (the feedback's fields become ``feedback_...`` columns).

        Args:
            records: ``"transactions"``, ``"touchpoints"`` or ``"complaints"``.

        Raises:
            UsageError: ``records`` names no kind of record.

        Examples:
            >>> from crmcore import Customer, Money, Transaction
            >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2025-01-02",
            ...                    amount=Money("30", "CNY"))
            >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
            >>> history.table().column("amount")
            [Decimal('30')]
        """
        kind = _RECORD_TYPES.get(records)
        if kind is None:
            raise UsageError(
                f"A customer history has no {records!r} records; it has {', '.join(_RECORD_TYPES)}."
            )
        return Table.of_type(records, kind, getattr(self, records))

    def to_pandas(self, records: HistoryRecords = "transactions") -> Any:
        """One kind of the customer's records as a pandas DataFrame (see `table`)."""
        return self.table(records).to_pandas()

    def to_polars(self, records: HistoryRecords = "transactions") -> Any:
        """One kind of the customer's records as a polars DataFrame (see `table`)."""
        return self.table(records).to_polars()

    @property
    def customer_id(self) -> str:
        """The id of the history's customer."""
        return self.customer.id

    def anonymized(self, *, keep_attributes: Iterable[str] = ()) -> CustomerHistory:
        """A copy with every piece of personal data erased, the analysis data kept.

        The customer as [`Customer.anonymized`][crmcore.entities.customer.Customer.anonymized]
        leaves it, and the free text of complaints and touchpoints erased.

        Args:
            keep_attributes: Keys of the customer's ``attributes`` known to hold
                no personal data.

        Examples:
            >>> from crmcore import Complaint, Customer, CustomerHistory
            >>> history = CustomerHistory(
            ...     customer=Customer(id="C-1", name="Alice"),
            ...     complaints=[Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02",
            ...                           category="price", severity="low",
            ...                           description="Alice says the price doubled")])
            >>> erased = history.anonymized()
            >>> erased.customer.name, erased.complaints[0].description
            (None, None)
        """
        return self.model_copy(
            update={
                "customer": self.customer.anonymized(keep_attributes=keep_attributes),
                "touchpoints": tuple(t.anonymized() for t in self.touchpoints),
                "complaints": tuple(k.anonymized() for k in self.complaints),
            }
        )

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


class SaleMoment(NamedTuple):
    """When a transaction happened, with its id and kind, without its amounts.

    What the lifecycle replay and the care plan read of a transaction (see
    `CustomerActivity`). The id may be ``None`` where it was not kept (the
    lifecycle names the transaction that caused a move by it, when known).
    """

    id: str | None
    occurred_at: datetime
    kind: TransactionKind = TransactionKind.PURCHASE


class CustomerActivity(NamedTuple):
    """A customer's records as the lifecycle, the at-risk ranking and the care plan read them.

    The transactions are `SaleMoment`s, in time order (by instant, then id):
    when each purchase or refund happened, without amounts — the lifecycle
    counts purchase occasions, and the care plan follows purchases up. The
    touchpoints and complaints are records, in time order too. A portfolio
    analysis keeps only what can still matter: per purchase day its first
    and its last purchase, the latest refund, the first outbound and the
    latest contacts, the open and recently resolved complaints. Functions
    that would otherwise value the customer from its amounts must be given
    the values (``values=``).

    Examples:
        >>> from datetime import datetime, timezone
        >>> from crmcore import Customer
        >>> from crmcore.lifecycle import replay
        >>> day = datetime(2024, 3, 1, 10, tzinfo=timezone.utc)
        >>> activity = CustomerActivity(Customer(id="C-1"), (SaleMoment("T-1", day),))
        >>> replay(activity, as_of=day).stage.value
        'first_time'
    """

    customer: Customer
    transactions: tuple[SaleMoment, ...] = ()
    touchpoints: tuple[CareTouchpoint, ...] = ()
    complaints: tuple[Complaint, ...] = ()

    @property
    def customer_id(self) -> str:
        """The customer's id."""
        return self.customer.id

    @classmethod
    def of(cls, history: CustomerHistory) -> CustomerActivity:
        """A history's activity: every transaction as its moment, the other records as they are.

        Examples:
            >>> from crmcore import Customer, Money, Transaction
            >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-03-01",
            ...                    amount=Money("80", "CNY"))
            >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
            >>> CustomerActivity.of(history).transactions[0].id
            'T-1'
        """
        moments = tuple(SaleMoment(t.id, t.occurred_at, t.kind) for t in history.transactions)
        return cls(history.customer, moments, history.touchpoints, history.complaints)


class CustomerSummary(BaseModel):
    """What one pass over a customer's history yields, for a look-back window ending at ``as_of``.

    Counts and amounts marked *window* cover ``window_start < t <= as_of``;
    the others cover the whole relationship up to ``as_of``. Scores are
    computed from summaries, so a portfolio can be scored without keeping
    every record. Amounts are in the currency of the customer's purchases
    (``None`` when nothing was bought in the window).

    Examples:
        >>> from datetime import datetime, timezone
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2024-03-01",
        ...                    amount=Money("80", "CNY"), list_amount=Money("100", "CNY"))
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[sale])
        >>> s = summarize(history, as_of=datetime(2024, 12, 31, tzinfo=timezone.utc))
        >>> s.occasions, s.spend, s.promotion_dependence
        (1, Money('80', 'CNY'), 1.0)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="iso8601")

    customer_id: Id
    as_of: Timestamp
    window: Period
    window_start: DerivedTimestamp
    first_purchase_at: Timestamp | None = None
    last_purchase_at: Timestamp | None = None
    occasions_total: int = Field(default=0, ge=0, description="Purchase occasions, ever.")
    occasions: int = Field(default=0, ge=0, description="Purchase occasions in the window.")
    repeat_occasions: int = Field(
        default=0, ge=0, description="Occasions in the window other than the first one ever."
    )
    spend: Money | None = Field(default=None, description="Purchases in the window (gross).")
    refunds: Money | None = Field(default=None, description="Refunds in the window.")
    price_known_spend: Money | None = Field(
        default=None,
        description="Window spend on purchases recording a list price or a promotion flag.",
    )
    discounted: int = Field(default=0, ge=0, description="Window purchases below list price.")
    discounted_spend: Money | None = None
    promoted: int = Field(default=0, ge=0, description="Window purchases answering a promotion.")
    promoted_spend: Money | None = None
    price_dependent_spend: Money | None = Field(
        default=None, description="Window spend below list price or on promotion."
    )
    price_rises: int = Field(
        default=0,
        ge=0,
        description=(
            "Window purchase days of a product at a unit list price more than 1 % above the "
            "customer's previous purchase day of it."
        ),
    )
    price_elasticity: float | None = Field(
        default=None,
        description=(
            "Over those rises, the relative fall in quantity bought per relative rise in "
            "unit list price; None without a rise."
        ),
    )
    designation_known: int = Field(
        default=0, ge=0, description="Window purchases recording whether we were asked for."
    )
    designated: int = Field(default=0, ge=0, description="Of those, asked for by name.")
    designated_spend: Money | None = Field(
        default=None, description="Window spend on purchases asked for by name."
    )
    selections: int = Field(default=0, ge=0, description="Window purchases with a selection time.")
    selection_time: NonNegativeDuration | None = Field(
        default=None, description="Median selection time in the window."
    )
    complaints: int = Field(default=0, ge=0, description="Complaints received in the window.")
    complained_occasions: int = Field(
        default=0,
        ge=0,
        description="Window purchase occasions a complaint followed, before the next occasion.",
    )
    complaints_by_category: dict[ComplaintCategory, int] = Field(default_factory=dict)
    complaints_by_outcome: dict[str, int] = Field(
        default_factory=dict,
        description="Window complaints by outcome: accepted, not_accepted, undecided.",
    )
    quality_complaints: int = Field(
        default=0, ge=0, description="Product-quality complaints, ever."
    )
    quality_tolerated: int = Field(
        default=0,
        ge=0,
        description="Of those, accepted by the customer, who then bought again.",
    )
    recommend_ratings: int = Field(default=0, ge=0, description="Window 0-10 ratings.")
    recommend_total: int = Field(default=0, ge=0)
    promoters: int = Field(default=0, ge=0, description="Of those, ratings of 9 or 10.")
    passives: int = Field(default=0, ge=0, description="Of those, ratings of 7 or 8.")
    satisfaction_ratings: int = Field(default=0, ge=0, description="Window 1-5 ratings.")
    satisfaction_total: int = Field(default=0, ge=0)
    praise: int = Field(default=0, ge=0, description="Window contacts with praise.")
    no_praise: int = Field(default=0, ge=0, description="Window contacts recording no praise.")
    referrals: int = Field(default=0, ge=0, description="Window contacts with a referral.")
    no_referrals: int = Field(
        default=0, ge=0, description="Window contacts recording that the customer referred no one."
    )
    competitor_attitude: CompetitorAttitude | None = Field(
        default=None, description="The latest attitude to competing brands recorded."
    )
    wallet: Money | None = Field(
        default=None, description="The customer's yearly category spend with all suppliers."
    )

    @property
    def reputation(self) -> float | None:
        """The mean word-of-mouth signal in the window, 0 to 1; ``None`` without signals.

        How much the customer praises the firm (美誉度), from what he said
        and did: a likelihood-to-recommend rating counts by its class — a
        promoter (9-10) 1, a passive (7-8) ½, a detractor (0-6) 0 — praise 1
        and a contact recording no praise 0, a referral 1 and a contact
        recording that he referred no one 0.
        """
        return formulas.reputation(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def designation_share(self) -> float | None:
        """The share of window purchases asked for by name, where recorded."""
        return formulas.designation_share(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def complaint_share(self) -> float | None:
        """The share of window purchase occasions followed by a complaint (投诉率), 0 to 1.

        A complaint follows the latest occasion that began at or before it was
        received; an occasion counts once however many complaints follow it.
        ``None`` without occasions in the window (no purchase to complain about).
        """
        return formulas.complaint_share(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def window_repeat_occasions(self) -> int | None:
        """Repeat occasions in the window; ``None`` for a customer who never bought."""
        return formulas.window_repeat_occasions(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def net_spend(self) -> float | None:
        """Window purchases less window refunds, as a number; ``None`` if never bought.

        A customer who bought before the window only has a net spend of 0.
        """
        return formulas.net_spend(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def promotion_dependence(self) -> float | None:
        """The share of window spend bought below list price or on promotion, 0 to 1.

        How much the customer waits for a deal — not the same as price
        sensitivity (`price_elasticity`, the response to a price rise). Among
        purchases that record a list price or a promotion flag; ``None`` when
        none does (a free purchase counts by number instead of amount).
        """
        return formulas.promotion_dependence(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def quality_tolerance(self) -> float | None:
        """The share of product-quality complaints the customer settled and bought again after."""
        return formulas.quality_tolerance(self, PLAIN)  # type: ignore[no-any-return]

    def _year(self) -> float:
        """A year ÷ the window: what annualises a window figure."""
        return (self.as_of - YEAR.before(self.as_of)) / (self.as_of - self.window_start)

    @property
    def yearly_spend(self) -> float | None:
        """Window net spend, annualised over the window; ``None`` if never bought."""
        return formulas.yearly_spend(self, PLAIN, self._year())  # type: ignore[no-any-return]

    @property
    def share_of_wallet(self) -> float | None:
        """Window net spend, annualised over the window, ÷ the wallet estimate, at most 1."""
        if self.wallet is not None and self.wallet.amount:
            self._check_wallet_currency()
        return formulas.share_of_wallet(self, PLAIN, self._year())  # type: ignore[no-any-return]

    @property
    def wallet_left(self) -> float | None:
        """The yearly category spend not yet with us: the wallet less the yearly spend, at least 0.

        What the customer could still bring, were all of it won (the room an
        ordinary customer has to become a key one); ``None`` without a wallet
        estimate. Refunds beyond purchases count as nothing won, so it is never
        above the wallet.
        """
        self._check_wallet_currency()
        return formulas.wallet_left(self, PLAIN, self._year())  # type: ignore[no-any-return]

    def _check_wallet_currency(self) -> None:
        wallet, spend = self.wallet, self.spend
        if wallet is not None and spend is not None and spend.currency != wallet.currency:
            raise CurrencyMismatch("compare", spend.currency, wallet.currency)

    @property
    def selection_minutes(self) -> float | None:
        """The median selection time in minutes, or ``None``."""
        return None if self.selection_time is None else self.selection_time / _MINUTE

    @property
    def repeat_occasions_total(self) -> int | None:
        """Occasions after the first one ever (``None`` before any purchase)."""
        return formulas.repeat_occasions_total(self, PLAIN)  # type: ignore[no-any-return]

    @property
    def attitude(self) -> str | None:
        """The latest competitor attitude, as its value."""
        return None if self.competitor_attitude is None else self.competitor_attitude.value


YEAR = Period(years=1)
_MINUTE = timedelta(minutes=1)


class Occasion(NamedTuple):
    """One purchase occasion: a calendar day (in the purchases' own zone) with purchases."""

    first: datetime
    last: datetime
    total: Decimal
    first_id: str | None


class Occasions:
    """The purchase occasions of one customer, gathered one purchase at a time, in any order.

    Memory grows with the customer's purchase days, not with the purchases:
    per day the first and the last purchase time (as integers) and the exact
    total are kept, and the first purchase's id from ``keep_ids_from`` on.
    """

    __slots__ = (
        "_days",
        "_ids",
        "_keep_ids_from",
        "_places",
        "_times",
        "_totals",
        "_zone",
        "_zones",
    )

    def __init__(self, keep_ids_from: datetime | None = None) -> None:
        self._days = array("i")  # the calendar day's ordinal, in the purchase's own zone
        self._times = array("q")  # first and last purchase, microseconds since the epoch
        self._zone: int | None = None  # their UTC offset in seconds, while there is one
        self._zones: array[int] | None = None  # each one's, once they differ
        # exact day totals as integers in units of 10**-_places (smaller than Decimals)
        self._totals: array[int] | list[int] = array("q")
        self._places = 0
        self._ids: dict[int, tuple[datetime, str]] | None = None
        self._keep_ids_from = keep_ids_from

    def _units(self, amount: Decimal) -> int:
        more = _extra_places(amount, self._places)
        if more:
            self._totals = _integers(total * 10**more for total in self._totals)
            self._places += more
        return int(amount.scaleb(self._places, _EXACT))

    def _offset(self, at: datetime) -> None:
        offset = _seconds(at)
        if self._zones is not None:
            return
        if self._zone is None:
            self._zone = offset
        elif offset != self._zone:
            self._zones = array("i", [self._zone] * len(self._times))

    def add(self, at: datetime, sale_id: str, amount: Decimal) -> None:
        """Count one purchase."""
        units = self._units(amount)
        self._offset(at)
        zones = self._zones
        day = at.toordinal()
        days, times = self._days, self._times
        micros = (at - _EPOCH) // _MICROSECOND
        if days and days[-1] == day:
            first = len(times) - 2
            if zones is None:  # one offset so far: the instants alone decide
                if micros < times[first]:
                    times[first] = micros
                elif micros > times[first + 1]:
                    times[first + 1] = micros
            else:  # at one instant, the smaller offset is first and the larger last
                moment = (micros, _seconds(at))
                if moment < (times[first], zones[first]):
                    times[first], zones[first] = moment
                elif moment > (times[first + 1], zones[first + 1]):
                    times[first + 1], zones[first + 1] = moment
            total = self._totals[-1] + units
            try:
                self._totals[-1] = total
            except OverflowError:  # beyond 64 bits: plain integers from now on
                self._totals = list(self._totals)
                self._totals[-1] = total
        else:
            days.append(day)
            times.extend((micros, micros))
            if zones is not None:
                zones.extend((_seconds(at), _seconds(at)))
            try:
                self._totals.append(units)
            except OverflowError:
                self._totals = [*self._totals, units]
        keep = self._keep_ids_from
        if keep is not None and at >= keep:
            ids = self._ids = self._ids or {}
            known = ids.get(day)
            if known is None or (at, sale_id) < known:
                ids[day] = (at, sale_id)

    def finish(self) -> list[Occasion]:
        """The occasions in time order."""
        times, zones, zone = self._times, self._zones, self._zone or 0
        merged: dict[int, list[Any]] = {}
        for n, (day, total) in enumerate(zip(self._days, self._totals, strict=True)):
            if zones is None:
                first, last = (times[2 * n], zone), (times[2 * n + 1], zone)
            else:
                first, last = (times[2 * n], zones[2 * n]), (times[2 * n + 1], zones[2 * n + 1])
            seen = merged.get(day)
            if seen is None:
                merged[day] = [first, last, total]
            else:  # the same day met again after another one: input out of order
                seen[0], seen[1] = min(seen[0], first), max(seen[1], last)
                seen[2] += total
        ids, places = self._ids or {}, -self._places
        found = [
            Occasion(
                _moment(*first),
                _moment(*last),
                Decimal(total).scaleb(places, _EXACT),
                ids[day][1] if day in ids else None,
            )
            for day, (first, last, total) in merged.items()
        ]
        # two days may start at one instant (in different zones): the earlier day first
        found.sort(key=lambda o: (o.first, o.first.toordinal()))
        return found


def _extra_places(amount: Decimal, places: int) -> int:
    """How many decimal places beyond ``places`` make ``amount`` a whole number of units."""
    units = amount.scaleb(places, _EXACT)
    if units == units.to_integral_value():
        return 0
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # money amounts are finite
    return -exponent - places


def _integers(values: Iterable[int]) -> array[int] | list[int]:
    """Integers in a compact array, or in a list when one needs more than 64 bits."""
    kept = list(values)
    try:
        return array("q", kept)
    except OverflowError:
        return kept


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EXACT = Context(prec=MAX_PREC)  # scaling by powers of ten never rounds
_MICROSECOND = timedelta(microseconds=1)


def _seconds(at: datetime) -> int:
    offset = at.utcoffset()
    assert offset is not None  # validated timestamps are aware
    return offset // timedelta(seconds=1)


def _moment(micros: int, offset: int) -> datetime:
    zone = _OFFSET_ZONES.get(offset)
    if zone is None:
        zone = _OFFSET_ZONES.setdefault(offset, shared_zone(timedelta(seconds=offset)))
    return (_EPOCH + timedelta(microseconds=micros)).astimezone(zone)


_OFFSET_ZONES: dict[int, timezone] = {}  # by the offset in seconds


class ExactSums:
    """Exact decimal totals in one currency, kept small: each an integer over a power of ten.

    A portfolio keeps a few totals per customer; as ``Decimal`` objects they
    would cost about 100 bytes each. A total reads as the ``Decimal`` sum of
    its amounts would (same value, same decimal places); one never added to
    reads ``None``.

    Raises:
        CurrencyMismatch: An amount is in another currency than the first one.
    """

    __slots__ = ("_places", "_units", "currency")

    def __init__(self, size: int, currency: str | None = None) -> None:
        self._units: list[int | None] = [None] * size
        self._places = [0] * size
        self.currency = currency

    def add(self, index: int, amount: Decimal, currency: str) -> None:
        """Add ``amount`` (in ``currency``) to total ``index``."""
        if self.currency is None:
            self.currency = currency
        elif currency != self.currency:
            raise CurrencyMismatch("add", self.currency, currency)
        exponent = amount.as_tuple().exponent
        assert isinstance(exponent, int)  # money amounts are finite
        places, known = self._places[index], self._units[index]
        if -exponent > places:
            if known is not None:
                known *= 10 ** (-exponent - places)
            places = self._places[index] = -exponent
        units = int(amount.scaleb(places, _EXACT))
        self._units[index] = units if known is None else known + units

    def get(self, index: int) -> Decimal | None:
        """Total ``index``, or ``None`` when nothing was added to it."""
        units = self._units[index]
        if units is None:
            return None
        return Decimal(units).scaleb(-self._places[index], _EXACT)


_COUNTS = (
    "discounted",
    "promoted",
    "designation_known",
    "designated",
    "complaints",
    "recommend_ratings",
    "recommend_total",
    "promoters",
    "passives",
    "satisfaction_ratings",
    "satisfaction_total",
    "praise",
    "no_praise",
    "referrals",
    "no_referrals",
)
_SUMS = (
    "spend",
    "refunds",
    "price_known_spend",
    "price_dependent_spend",
    "discounted_spend",
    "promoted_spend",
    "designated_spend",
)
_SUM_INDEX = {name: n for n, name in enumerate(_SUMS)}


class SummaryBuilder:
    """A customer summary gathered one record at a time, in any order (see `summarize`).

    Kept small, as a portfolio holds one per customer: counts are integers,
    amounts exact decimals in the currency of the first amount met.
    """

    __slots__ = (
        "attitude",
        "by_category",
        "by_outcome",
        "customer_id",
        "moment",
        "period",
        "priced",
        "quality",
        "received",
        "selections",
        "start",
        "wallet",
        "sums",
        *_COUNTS,
    )
    discounted: int
    promoted: int
    designation_known: int
    designated: int
    complaints: int
    recommend_ratings: int
    recommend_total: int
    promoters: int
    passives: int
    satisfaction_ratings: int
    satisfaction_total: int
    praise: int
    no_praise: int
    referrals: int
    no_referrals: int

    def __init__(self, customer: Customer, moment: datetime, period: Period) -> None:
        self.customer_id = customer.id
        self.wallet = customer.wallet
        self.moment, self.period, self.start = moment, period, period.before(moment)
        for name in _COUNTS:
            setattr(self, name, 0)
        self.sums = ExactSums(len(_SUMS))
        self.selections: array[int] | None = None  # microseconds
        # per (product, purchase day): list total, quantity, last purchase
        self.priced: dict[tuple[str, int], list[Any]] | None = None
        self.quality: list[tuple[datetime, bool]] | None = None
        self.received: list[datetime] | None = None  # window complaints
        self.attitude: tuple[datetime, str, CompetitorAttitude] | None = None
        self.by_category: Counter[ComplaintCategory] | None = None
        self.by_outcome: Counter[str] | None = None

    def _spend(self, key: str, amount: Money) -> None:
        self.sums.add(_SUM_INDEX[key], amount.amount, amount.currency)

    def sale(self, sale: Transaction) -> None:
        """Count a transaction up to the moment (its occasion is counted by `Occasions`)."""
        at = sale.occurred_at
        if at > self.moment:
            return
        product, listed = sale.product, sale.list_amount
        if product is not None and listed is not None and sale.is_purchase:
            self._priced(product, listed.amount, sale.quantity, at)
        if at <= self.start:
            return
        amount, spend = sale.amount, self._spend
        if sale.kind is not TransactionKind.PURCHASE:
            spend("refunds", amount)
            return
        spend("spend", amount)
        below_list = sale.list_amount is not None and amount < sale.list_amount
        if sale.list_amount is not None or sale.promotion is not None:
            spend("price_known_spend", amount)
            if below_list or sale.promotion:
                spend("price_dependent_spend", amount)
        if below_list:
            self.discounted += 1
            spend("discounted_spend", amount)
        if sale.promotion:
            self.promoted += 1
            spend("promoted_spend", amount)
        if sale.designated is not None:
            self.designation_known += 1
            if sale.designated:
                self.designated += 1
                spend("designated_spend", amount)
        if sale.selection_time is not None:
            if self.selections is None:
                self.selections = array("q")
            self.selections.append(sale.selection_time // _MICROSECOND)

    def _priced(self, product: str, listed: Decimal, quantity: int, at: datetime) -> None:
        if self.priced is None:
            self.priced = {}
        _price_point(self.priced, (product, at.toordinal()), listed, quantity, at)

    def complaint(self, complaint: Complaint) -> None:
        """Count a complaint received up to the moment."""
        received = complaint.received_at
        if received > self.moment:
            return
        if complaint.category is ComplaintCategory.PRODUCT_QUALITY:
            if self.quality is None:
                self.quality = []
            self.quality.append((received, bool(complaint.accepted)))
        if received > self.start:
            self.complaints += 1
            if self.received is None:
                self.received = []
            self.received.append(received)
            if self.by_category is None or self.by_outcome is None:
                self.by_category, self.by_outcome = Counter(), Counter()
            self.by_category[complaint.category] += 1
            self.by_outcome[_OUTCOMES[complaint.accepted]] += 1

    def contact(self, contact: CareTouchpoint) -> None:
        """Count a touchpoint's feedback, up to the moment."""
        at, feedback = contact.occurred_at, contact.feedback
        if feedback is None or at > self.moment:
            return
        if feedback.competitor_attitude is not None:
            seen = (at, contact.id, feedback.competitor_attitude)
            if self.attitude is None or seen[:2] > self.attitude[:2]:
                self.attitude = seen
        if at <= self.start:
            return
        rating = feedback.recommend
        if rating is not None:
            self.recommend_ratings += 1
            self.recommend_total += rating
            if rating >= PROMOTER_MIN:
                self.promoters += 1
            elif rating >= PASSIVE_MIN:
                self.passives += 1
        if feedback.satisfaction is not None:
            self.satisfaction_ratings += 1
            self.satisfaction_total += feedback.satisfaction
        if feedback.praise is not None:
            if feedback.praise:
                self.praise += 1
            else:
                self.no_praise += 1
        if feedback.referral is not None:
            if feedback.referral:
                self.referrals += 1
            else:
                self.no_referrals += 1

    def finish(self, occasions: Sequence[Occasion]) -> CustomerSummary:
        """The summary, given the customer's occasions up to the moment (in time order)."""
        start = self.start
        values: dict[str, Any] = {
            "customer_id": self.customer_id,
            "as_of": self.moment,
            "window": self.period,
            "window_start": start,
            "wallet": self.wallet,
            "competitor_attitude": None if self.attitude is None else self.attitude[2],
            "complaints_by_category": dict(self.by_category or {}),
            "complaints_by_outcome": dict(self.by_outcome or {}),
        }
        values |= {name: getattr(self, name) for name in _COUNTS}
        sums = self.sums
        for n, name in enumerate(_SUMS):
            total = sums.get(n)
            if total is not None and sums.currency is not None:
                values[name] = Money(total, sums.currency)
        last = None
        if occasions:
            last = max(o.last for o in occasions)
            recent = sum(1 for o in occasions if o.first > start)
            values["occasions_total"] = len(occasions)
            values["occasions"] = recent
            values["repeat_occasions"] = recent - (occasions[0].first > start)
            values |= {"first_purchase_at": occasions[0].first, "last_purchase_at": last}
            if self.received:
                values["complained_occasions"] = _followed(occasions, self.received, start)
        if self.selections:
            values["selections"] = len(self.selections)
            values["selection_time"] = median_span(
                [timedelta(microseconds=m) for m in self.selections]
            )
        if self.priced:
            rises, fall, rise = _price_rises(self.priced, start)
            if rises:
                values["price_rises"] = rises
                values["price_elasticity"] = fall / rise
        if self.quality:
            values["quality_complaints"] = len(self.quality)
            values["quality_tolerated"] = sum(
                1 for received, accepted in self.quality if accepted and last and last > received
            )
        return CustomerSummary.model_validate(values)


_OUTCOMES = {True: "accepted", False: "not_accepted", None: "undecided"}


class LoyaltyTrail:
    """A customer's records as the loyalty index reads them, to summarize them at any moment.

    The lifecycle asks for the loyalty index at each moment a repeat buyer
    meets the criteria of promotion (loyal "by preference", not only by
    purchases). The trail keeps, per record, only what the six loyalty
    metrics read — purchase time and amount, selection time, the product's
    list price and quantity, refunds, competitor attitudes, quality
    complaints — fed one record at a time in any order, and `summary` gives
    at any moment the summary `summarize` would give from the records up to
    it, in the fields the loyalty index reads (the others keep their
    defaults). Kept small, as a portfolio holds one per customer: instants
    as integers, amounts as exact integers over a power of ten.

    Examples:
        >>> from crmcore import Customer, Money, Transaction
        >>> from crmcore.period import Period
        >>> trail = LoyaltyTrail(Customer(id="C-1"), Period.parse("P1Y"))
        >>> for n, day in enumerate(["2024-01-05", "2024-03-01", "2024-06-01"]):
        ...     trail.sale(Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                            amount=Money("50", "CNY")))
        >>> s = trail.summary(datetime(2024, 4, 1, tzinfo=timezone.utc))
        >>> s.repeat_occasions_total, s.spend
        (1, Money('100', 'CNY'))
    """

    __slots__ = (
        "_attitudes",
        "_codes",
        "_customer_id",
        "_days",
        "_firsts",
        "_pending",
        "_places",
        "_quality",
        "_sorted",
        "_tables",
        "_wallet",
        "_window",
    )

    def __init__(self, customer: Customer, window: Period) -> None:
        self._customer_id = customer.id
        self._wallet = customer.wallet
        self._window = window
        self._codes: list[str] = []  # the currencies met; amounts carry an index into it
        self._days: dict[int, int] = {}  # each purchase day's first purchase (µs)
        self._firsts: list[int] | None = None
        # made with the first record (a trail of a history may never be read)
        self._tables: dict[str, list[Any]] | None = None
        self._places = 0
        self._attitudes: list[tuple[datetime, str, CompetitorAttitude]] = []
        self._quality: list[tuple[datetime, bool]] = []
        self._sorted = True
        self._pending: CustomerHistory | None = None  # records not read yet

    def _units(self, amount: Decimal) -> int:
        more = _extra_places(amount, self._places)
        if more:
            for table, column in _AMOUNT_COLUMNS:
                columns = self._columns()[table]
                columns[column] = _integers(u * 10**more for u in columns[column])
            self._places += more
        return int(amount.scaleb(self._places, _EXACT))

    def _columns(self) -> dict[str, list[Any]]:
        """The tables of records kept, made empty on first use."""
        tables = self._tables
        if tables is None:
            # columns per table, the first one the instant in µs since the epoch:
            # purchases and refunds (instant, amount units, currency index),
            # selections (instant, µs taken), priced purchases (instant, day,
            # product, list amount units, quantity); amount units are 10**-_places
            tables = self._tables = {
                "purchases": [array("q"), array("q"), array("b")],
                "refunds": [array("q"), array("q"), array("b")],
                "selections": [array("q"), array("q")],
                "priced": [array("q"), array("i"), [], array("q"), array("q")],
            }
        return tables

    def _add(self, table: str, *values: Any) -> None:
        columns = self._columns()[table]
        for n, value in enumerate(values):
            try:
                columns[n].append(value)
            except OverflowError:  # beyond 64 bits: plain integers from now on
                columns[n] = [*columns[n], value]

    def sale(self, sale: Transaction) -> None:
        """Keep what the loyalty index reads of a transaction.

        Amounts in several currencies are kept; a summary whose window holds
        more than one raises `CurrencyMismatch`, as `summarize` does.
        """
        amount = sale.amount
        if amount.currency not in self._codes:
            self._codes.append(amount.currency)
        code = self._codes.index(amount.currency)
        at = sale.occurred_at
        micros = (at - _EPOCH) // _MICROSECOND
        self._sorted, self._firsts = False, None
        if not sale.is_purchase:
            self._add("refunds", micros, self._units(amount.amount), code)
            return
        day = at.toordinal()  # an occasion is a calendar day, in the purchase's own zone
        first = self._days.get(day)
        if first is None or micros < first:
            self._days[day] = micros
        self._add("purchases", micros, self._units(amount.amount), code)
        chosen, product, listed = sale.selection_time, sale.product, sale.list_amount
        if chosen is not None:
            self._add("selections", micros, chosen // _MICROSECOND)
        if product is not None and listed is not None:  # one copy of each product name
            units = self._units(listed.amount)
            self._add("priced", micros, day, sys.intern(product), units, sale.quantity)

    def complaint(self, complaint: Complaint) -> None:
        """Keep a product-quality complaint (the only kind the loyalty index reads)."""
        if _quality(complaint):
            self._quality.append((complaint.received_at, bool(complaint.accepted)))

    def contact(self, contact: CareTouchpoint) -> None:
        """Keep a contact's recorded attitude to competing brands."""
        feedback = contact.feedback
        attitude = None if feedback is None else feedback.competitor_attitude
        if attitude is not None:
            self._attitudes.append((contact.occurred_at, contact.id, attitude))

    @classmethod
    def of(cls, history: CustomerHistory, window: Period) -> LoyaltyTrail:
        """The trail of a customer's history, for summaries over ``window``.

        The records are read when first needed: a replay that never asks
        for the index, or whose index can have no value, does not pay for
        them.

        """
        trail = cls(history.customer, window)
        trail._pending = history
        return trail

    def _load(self, history: CustomerHistory) -> None:
        self._pending = None
        for sale in history.transactions:
            self.sale(sale)
        for complaint in history.complaints:
            self.complaint(complaint)
        for contact in history.touchpoints:
            self.contact(contact)

    @property
    def window(self) -> Period:
        """The window of the summaries."""
        return self._window

    def readable(self) -> frozenset[str]:
        """The summary attributes the loyalty index reads that have a value at some moment.

        An upper bound, from the kinds of records kept: a caller can tell
        that an index needing more metrics has no value at any moment
        without summarizing.
        """
        found = set()
        history = self._pending
        if history is None:
            tables = self._columns()
            bought = bool(tables["purchases"][0])
            kinds = (
                bool(tables["selections"][0]),
                len(tables["priced"][0]) > 1,
                bool(self._attitudes),
                bool(self._quality),
            )
        else:
            sales = history.transactions
            bought = TransactionKind.PURCHASE in [*map(_KIND, sales)]
            chosen = priced = False
            # which fields any transaction has (C-level passes), before the exact pass
            # over the purchases for what some transaction has
            count = len(sales)
            maybe_chosen = bought and [*map(_SELECTION_TIME, sales)].count(None) < count
            maybe_priced = bought and [*map(_LIST_AMOUNT, sales)].count(None) < count - 1
            if maybe_chosen or maybe_priced:
                listed = 0
                for sale in sales:  # stops once nothing more can be found
                    if sale.kind is TransactionKind.PURCHASE:
                        chosen = chosen or sale.selection_time is not None
                        listed += _listed(sale)
                        if (chosen or not maybe_chosen) and (listed > 1 or not maybe_priced):
                            break
                priced = listed > 1
            contacts, complaints = history.touchpoints, history.complaints
            kinds = (
                chosen,
                priced,
                bool(contacts) and any(map(_stated, contacts)),
                bool(complaints) and any(map(_quality, complaints)),
            )
        if bought:
            found.add("repeat_occasions_total")
            if self._wallet is not None and self._wallet.amount:
                found.add("share_of_wallet")
        for name, kept in zip(_READ_FROM_RECORDS, kinds, strict=True):
            if kept:
                found.add(name)
        return frozenset(found)

    def _sort(self) -> None:
        tables = self._columns()
        for name, columns in tables.items():
            times = columns[0]
            order = sorted(range(len(times)), key=times.__getitem__)
            if order != list(range(len(order))):
                tables[name] = [_reordered(column, order) for column in columns]
        self._firsts = sorted(self._days.values())
        self._sorted = True

    def _window_amounts(self, since: int, now: int) -> dict[str, Money]:
        """Spend and refunds after ``since`` up to ``now`` (µs), in their one currency."""
        found: dict[str, tuple[int, int, int]] = {}  # name: (total, first time, currency)
        for name, table in (("spend", "purchases"), ("refunds", "refunds")):
            times, units, codes = self._columns()[table]
            low, high = bisect_right(times, since), bisect_right(times, now)
            if high > low:
                kinds = set(codes[low:high])
                if len(kinds) == 1:
                    found[name] = (sum(units[low:high]), times[low], codes[low])
                else:  # the first currency met, and another one
                    first = codes[low]
                    other = next(c for c in codes[low:high] if c != first)
                    raise CurrencyMismatch("add", self._codes[first], self._codes[other])
        if len({code for _, _, code in found.values()}) > 1:
            (_, _, first), (_, _, other) = sorted(found.values(), key=lambda f: f[1])
            raise CurrencyMismatch("add", self._codes[first], self._codes[other])
        return {
            name: Money(Decimal(total).scaleb(-self._places, _EXACT), self._codes[code])
            for name, (total, _, code) in found.items()
        }

    def summary(self, at: datetime) -> CustomerSummary:
        """The summary as of ``at`` in the fields the loyalty index reads.

        Those fields equal `summarize`'s over the trail's window ending at
        ``at``: the occasions, first and last purchase, spend and refunds in
        the window, selection times, price rises, the latest competitor
        attitude and the quality complaints tolerated (instants come back in
        UTC).

        Raises:
            CurrencyMismatch: The window holds amounts in more than one currency.
        """
        if self._pending is not None:
            self._load(self._pending)
        if not self._sorted or self._firsts is None:
            self._sort()
        firsts = self._firsts
        assert firsts is not None  # sorted above
        start = self._window.before(at)
        now, since = (at - _EPOCH) // _MICROSECOND, (start - _EPOCH) // _MICROSECOND
        values: dict[str, Any] = {
            "customer_id": self._customer_id,
            "as_of": at,
            "window": self._window,
            "window_start": start,
            "wallet": self._wallet,
        }
        tables = self._columns()
        times = tables["purchases"][0]
        bought = bisect_right(times, now)
        count = bisect_right(firsts, now)
        last = None
        if count:
            last = _EPOCH + timedelta(microseconds=times[bought - 1])
            recent = count - bisect_right(firsts, since)
            values |= {
                "occasions_total": count,
                "occasions": recent,
                "repeat_occasions": recent - (firsts[0] > since),
                "first_purchase_at": _EPOCH + timedelta(microseconds=firsts[0]),
                "last_purchase_at": last,
            }
        values |= self._window_amounts(since, now)
        times, taken = tables["selections"]
        low, high = bisect_right(times, since), bisect_right(times, now)
        if high > low:
            chosen = [timedelta(microseconds=m) for m in taken[low:high]]
            values |= {"selections": len(chosen), "selection_time": median_span(chosen)}
        times, days, products, listed, quantities = tables["priced"]
        priced: dict[tuple[str, int], list[Any]] = {}
        for n in range(bisect_right(times, now)):
            _price_point(priced, (products[n], days[n]), listed[n], quantities[n], times[n])
        for day in priced.values():
            day[0] = Decimal(day[0])  # exact: the rises compare and divide list totals
        rises, fall, rise = _price_rises(priced, since)
        if rises:
            values |= {"price_rises": rises, "price_elasticity": fall / rise}
        seen = [(when, cid, attitude) for when, cid, attitude in self._attitudes if when <= at]
        if seen:
            values["competitor_attitude"] = max(seen, key=lambda a: a[:2])[2]
        quality = [(received, accepted) for received, accepted in self._quality if received <= at]
        if quality:
            values["quality_complaints"] = len(quality)
            values["quality_tolerated"] = sum(
                1 for received, accepted in quality if accepted and last and last > received
            )
        # every value is computed here as the summary's own: built without validating again
        return trusted(CustomerSummary, {**_SUMMARY_DEFAULTS, **_fresh(), **values})


#: The trail's columns holding amounts (table, column), rescaled together.
_AMOUNT_COLUMNS = (("purchases", 1), ("refunds", 1), ("priced", 3))


def _reordered(column: Any, order: list[int]) -> Any:
    values = [column[n] for n in order]
    return array(column.typecode, values) if isinstance(column, array) else values


_SUMMARY_DEFAULTS = {
    name: field.get_default(call_default_factory=True)
    for name, field in CustomerSummary.model_fields.items()
    if not field.is_required()
}


def _fresh() -> dict[str, Any]:
    """New containers for a summary's container fields (never shared between summaries)."""
    return {"complaints_by_category": {}, "complaints_by_outcome": {}}


#: The summary attributes read from optional fields and records, in `readable`'s order.
_READ_FROM_RECORDS = ("selection_minutes", "price_elasticity", "attitude", "quality_tolerance")
_KIND = attrgetter("kind")
_SELECTION_TIME = attrgetter("selection_time")
_LIST_AMOUNT = attrgetter("list_amount")


def _listed(sale: Transaction) -> bool:
    return sale.product is not None and sale.list_amount is not None


def _stated(contact: CareTouchpoint) -> bool:
    return contact.feedback is not None and contact.feedback.competitor_attitude is not None


def _quality(complaint: Complaint) -> bool:
    return complaint.category is ComplaintCategory.PRODUCT_QUALITY


def _upto(records: Sequence[tuple[Any, ...]], at: datetime) -> int:
    """How many of ``records`` (in time order) are at or before ``at``."""
    return bisect_right(records, at, key=lambda record: record[0])


def _followed(occasions: Sequence[Occasion], received: Sequence[datetime], start: datetime) -> int:
    """How many occasions after ``start`` a complaint followed (before the next occasion)."""
    firsts = sorted(o.first for o in occasions)
    followed = set()
    for moment in received:
        latest = bisect_right(firsts, moment) - 1
        if latest >= 0 and firsts[latest] > start:
            followed.add(latest)
    return len(followed)


def _price_point(
    priced: dict[tuple[str, int], list[Any]],
    key: tuple[str, int],
    listed: Any,
    quantity: int,
    last: Any,
) -> None:
    """Add a purchase to its product's purchase day: list total, quantity, last purchase."""
    day = priced.setdefault(key, [0, 0, last])
    day[0] += listed
    day[1] += quantity
    day[2] = max(day[2], last)


def _price_rises(
    priced: dict[tuple[str, int], list[Any]], start: datetime | int
) -> tuple[int, float, float]:
    """The window's price rises: how many, the sum of quantity falls and of price rises.

    For each product, each purchase day is compared with the customer's
    previous purchase day of it: a rise is a unit list price more than
    `PRICE_RISE_MIN` above a positive previous one, on a day whose last
    purchase of the product is in the window. Its quantity fall is
    ``(q0 - q1) / q0`` and its price rise ``p1 / p0 - 1``. ``start`` and the
    days' last purchases are both instants, or both µs since the epoch.
    """
    by_product: dict[str, list[tuple[int, Decimal, int, Any]]] = {}
    for (product, day), (listed, quantity, last) in priced.items():
        by_product.setdefault(product, []).append((day, listed, quantity, last))
    rises, fall, rise = 0, 0.0, 0.0
    for product in sorted(by_product):
        days = sorted(by_product[product])
        for (_, list0, q0, _), (_, list1, q1, last) in pairwise(days):
            if last > start and list0 > 0 and list1 * q0 > _RISE * list0 * q1:
                rises += 1
                fall += (q0 - q1) / q0
                rise += float(list1 * q0 / (list0 * q1)) - 1
    return rises, fall, rise


def summarize(
    history: CustomerHistory, *, as_of: datetime | str, window: Period | str = YEAR
) -> CustomerSummary:
    """Summarize a customer's history for the window of ``window`` ending at ``as_of``.

    One pass over the records; records after ``as_of`` are left out. A
    purchase occasion is a calendar day with purchases, as in the lifecycle.
    The same summary is what `crmcore.portfolio.analyze` gathers while
    records stream past.

    Raises:
        CurrencyMismatch: The customer's amounts are in more than one currency.

    Examples:
        >>> from crmcore.datasets import load_sample
        >>> history = load_sample().histories["C-00003"]
        >>> s = summarize(history, as_of="2025-12-31T23:59:59+08:00")
        >>> s.occasions_total >= s.occasions >= s.repeat_occasions
        True
    """
    moment = to_moment(as_of)
    period = window if isinstance(window, Period) else Period.parse(window)
    builder = SummaryBuilder(history.customer, moment, period)
    occasions = Occasions()
    for sale in history.transactions:
        if sale.occurred_at > moment:
            break
        builder.sale(sale)
        if sale.kind is TransactionKind.PURCHASE:
            occasions.add(sale.occurred_at, sale.id, sale.amount.amount)
    for complaint in history.complaints:
        builder.complaint(complaint)
    for contact in history.touchpoints:
        builder.contact(contact)
    return builder.finish(occasions.finish())
