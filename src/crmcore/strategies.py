"""Hypothesis strategies that generate valid crmcore values, for property-based tests.

Install with the ``strategies`` (or ``test``) extra. Every strategy generates
only valid data: what it draws always passes validation, round-trips through
JSON and matches the JSON Schema.

When crmcore is installed, its strategies are registered with hypothesis
through the ``hypothesis`` entry point, so ``st.from_type(crmcore.Customer)``
(and ``Money``, ``Transaction``, ``CareTouchpoint``, ``Complaint``,
``CustomerHistory``) work in any test suite without importing this module.

Examples:
    >>> from hypothesis import given, settings
    >>> from crmcore import strategies as crm
    >>> @settings(max_examples=20)  # whole histories: keep the count deliberate
    ... @given(crm.histories())
    ... def test_records_are_in_time_order(history):
    ...     times = [t.occurred_at for t in history.transactions]
    ...     assert times == sorted(times)
    >>> test_records_are_in_time_order()
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "crmcore.strategies needs hypothesis: pip install 'crmcore[strategies]'"
    ) from exc

from crmcore.complaints import MOVES as WORKFLOW_MOVES
from crmcore.complaints import ComplaintEvent
from crmcore.entities import (
    CareTouchpoint,
    Channel,
    ChurnReason,
    CompetitorAttitude,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    ContactFunction,
    Customer,
    CustomerKind,
    Direction,
    Feedback,
    ImportantDate,
    InformationSource,
    PurchaseStage,
    RecoveryAction,
    RelationshipLevel,
    Severity,
    StatusChange,
    Transaction,
    TransactionKind,
)
from crmcore.entities.complaint import outcome_problem
from crmcore.history import CustomerHistory
from crmcore.lifecycle import LifecycleEvent, RecordedEvent
from crmcore.money import Money

__all__ = [
    "care_touchpoints",
    "complaints",
    "customer_ids",
    "customers",
    "feedback",
    "histories",
    "labels",
    "money",
    "purchase_histories",
    "recorded_events",
    "timestamps",
    "transactions",
]

#: The UTC offsets timestamps are drawn in.
OFFSETS = tuple(timezone(timedelta(hours=h)) for h in (0, 8, -5, 5.5, 9, -3))
_EARLIEST = datetime(2015, 1, 1)
_LATEST = datetime(2030, 12, 31)
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_LABEL_ALPHABET = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\xa0"
)


def labels(max_size: int = 40) -> st.SearchStrategy[str]:
    """Short texts without leading or trailing whitespace (names, products, regions).

    Examples:
        >>> from hypothesis import find
        >>> find(labels(), lambda s: len(s) > 3) == find(labels(), lambda s: len(s) > 3).strip()
        True
    """
    return st.text(_LABEL_ALPHABET, min_size=1, max_size=max_size).filter(
        lambda s: s == s.strip() and "\n" not in s
    )


def customer_ids() -> st.SearchStrategy[str]:
    """Customer ids such as ``"C-1a"``."""
    return st.text(_ID_ALPHABET, min_size=1, max_size=8).map(lambda s: f"C-{s}")


def _record_ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text(_ID_ALPHABET, min_size=1, max_size=8).map(lambda s: f"{prefix}-{s}")


def timestamps(
    min_value: datetime = _EARLIEST, max_value: datetime = _LATEST
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes between two naive bounds, in one of several UTC offsets.

    Examples:
        >>> from hypothesis import find
        >>> find(timestamps(), lambda t: t.year >= 2020).tzinfo is not None
        True
    """
    return st.datetimes(min_value, max_value, timezones=st.sampled_from(OFFSETS))


def money(
    currency: str | st.SearchStrategy[str] = "CNY",
    *,
    min_amount: Decimal | int = 0,
    max_amount: Decimal | int = 1_000_000,
    places: int = 2,
) -> st.SearchStrategy[Money]:
    """Money with ``places`` decimal places between two bounds, in one currency.

    Args:
        currency: A currency code, or a strategy of them.
        min_amount: The smallest amount (inclusive).
        max_amount: The largest amount (inclusive).
        places: Decimal places of the amounts.

    Examples:
        >>> from hypothesis import find
        >>> m = find(money("USD", max_amount=10), lambda m: m.amount > 5)
        >>> m.currency, Decimal(5) < m.amount <= 10
        ('USD', True)
    """
    codes = currency if isinstance(currency, st.SearchStrategy) else st.just(currency)
    amounts = st.decimals(
        min_value=min_amount, max_value=max_amount, places=places, allow_nan=False
    )
    return st.builds(Money, amounts, codes)


def _emails() -> st.SearchStrategy[str]:
    user = st.text("abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12)
    host = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10)
    return st.builds(
        lambda u, h, tld: f"{u}@{h}.{tld}", user, host, st.sampled_from(["com", "cn", "org"])
    )


def _phones() -> st.SearchStrategy[str]:
    return st.builds(
        lambda a, b, c: f"+86 1{a} {b:04d} {c:04d}",
        st.integers(30, 99),
        st.integers(0, 9999),
        st.integers(0, 9999),
    )


def _segments() -> st.SearchStrategy[dict[str, str | int | float | bool]]:
    values = st.one_of(
        labels(12),
        st.integers(-1000, 10**6),
        st.booleans(),
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
    keys = st.sampled_from(["age_band", "gender", "income", "occupation", "industry", "size"])
    return st.dictionaries(keys, values, max_size=4)


def customers(customer_id: str | None = None, currency: str = "CNY") -> st.SearchStrategy[Customer]:
    """Customers with any mix of optional data, personal data included.

    Args:
        customer_id: Fix the id; a random id when ``None``.
        currency: The currency of the acquisition cost and the wallet.
    """
    optional_money = st.none() | money(currency, max_amount=100_000)
    return st.builds(
        Customer,
        id=st.just(customer_id) if customer_id is not None else customer_ids(),
        kind=st.sampled_from(CustomerKind),
        name=st.none() | labels(),
        email=st.none() | _emails(),
        phone=st.none() | _phones(),
        birthday=st.none() | st.dates(date(1930, 1, 1), date(2010, 12, 31)),
        important_dates=st.lists(
            st.builds(
                ImportantDate, label=labels(30), date=st.dates(date(1950, 1, 1), date(2030, 12, 31))
            ),
            max_size=2,
        ).map(tuple),
        region=st.none() | labels(20),
        segment=_segments(),
        acquired_at=st.none() | timestamps(),
        acquisition_channel=st.none() | labels(20),
        information_source=st.none() | st.sampled_from(InformationSource),
        acquisition_cost=optional_money,
        wallet=optional_money,
        relationship_level=st.sampled_from(RelationshipLevel),
        attributes=st.dictionaries(
            st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10),
            st.none() | st.booleans() | st.integers(-100, 100) | labels(10),
            max_size=3,
        ),
    )


@st.composite
def transactions(  # noqa: D417 - draw is supplied by hypothesis
    draw: st.DrawFn,
    customer_id: str | None = None,
    currency: str = "CNY",
    min_time: datetime = _EARLIEST,
    max_time: datetime = _LATEST,
) -> Transaction:
    """Purchases and refunds, with optional list price, cost and buying facts.

    Args:
        customer_id: Fix the customer; a random id when ``None``.
        currency: The currency of every amount.
        min_time: Earliest time (naive; drawn in one of several offsets).
        max_time: Latest time.
    """
    amount = draw(money(currency, max_amount=50_000))
    kind = draw(st.sampled_from(TransactionKind))
    list_amount = None
    if draw(st.booleans()):
        list_amount = amount + draw(money(currency, max_amount=5_000))
    return Transaction(
        id=draw(_record_ids("T")),
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        occurred_at=draw(timestamps(min_time, max_time)),
        kind=kind,
        amount=amount,
        list_amount=list_amount,
        cost=draw(st.none() | money(currency, max_amount=50_000)),
        quantity=draw(st.integers(1, 20)),
        product=draw(st.none() | st.sampled_from(_PRODUCTS) | labels(20)),
        category=draw(st.none() | labels(12)),
        channel=draw(st.none() | st.sampled_from(["store", "web", "app", "phone"])),
        designated=draw(st.none() | st.booleans()),
        promotion=draw(st.none() | st.booleans()),
        selection_time=draw(st.none() | st.timedeltas(timedelta(0), timedelta(hours=3))),
        refund_of=draw(st.none() | _record_ids("T")) if kind is TransactionKind.REFUND else None,
    )


#: A few products that come back, so that a customer buys one again (at another price).
_PRODUCTS = ("Longjing 250g", "Gaiwan set", "Keemun 250g")


@st.composite
def feedback(draw: st.DrawFn) -> Feedback:
    """Feedback with at least one signal (a rating is added when none was drawn)."""
    recommend = draw(st.none() | st.integers(0, 10))
    satisfaction = draw(st.none() | st.integers(1, 5))
    praise = draw(st.none() | st.booleans())
    referral = draw(st.none() | st.booleans())
    attitude = draw(st.none() | st.sampled_from(CompetitorAttitude))
    note = draw(st.none() | labels(60))
    if (recommend, satisfaction, praise, referral, attitude, note) == (None,) * 6:
        recommend = draw(st.integers(0, 10))
    return Feedback(
        recommend=recommend,
        satisfaction=satisfaction,
        praise=praise,
        referral=referral,
        competitor_attitude=attitude,
        note=note,
    )


def care_touchpoints(
    customer_id: str | None = None,
    currency: str = "CNY",
    min_time: datetime = _EARLIEST,
    max_time: datetime = _LATEST,
) -> st.SearchStrategy[CareTouchpoint]:
    """Care contacts of every stage, channel, function and direction, some with feedback."""
    return st.builds(
        CareTouchpoint,
        id=_record_ids("P"),
        customer_id=st.just(customer_id) if customer_id is not None else customer_ids(),
        occurred_at=timestamps(min_time, max_time),
        stage=st.sampled_from(PurchaseStage),
        channel=st.sampled_from(Channel),
        function=st.sampled_from(ContactFunction),
        direction=st.sampled_from(Direction),
        purpose=st.none() | labels(30),
        responded=st.none() | st.booleans(),
        cost=st.none() | money(currency, max_amount=500),
        feedback=st.none() | feedback(),
    )


@st.composite
def complaints(
    draw: st.DrawFn,
    customer_id: str | None = None,
    currency: str = "CNY",
    min_time: datetime = _EARLIEST,
    max_time: datetime = _LATEST,
) -> Complaint:
    """Complaints at any status, with a time-ordered status history that follows the workflow."""
    received = draw(timestamps(min_time, max_time))
    accepted = draw(st.none() | st.booleans())
    valid = draw(st.none() | st.booleans())
    changes = []
    at, status = received, ComplaintStatus.RECEIVED
    for _ in range(draw(st.integers(0, 8))):
        # a walk through the workflow's legal moves and guards (only a complaint
        # not judged valid is rejected, only one not judged invalid is resolved,
        # and only an outcome the customer accepted is closed)
        options = sorted(
            (event, target)
            for (event, source), target in WORKFLOW_MOVES.items()
            if source is status and outcome_problem(target, valid, accepted) is None
        )
        if not options:
            break
        event, status = draw(st.sampled_from(options))
        at = at + draw(st.timedeltas(timedelta(0), timedelta(days=10)))
        note = draw(labels(40) if event is ComplaintEvent.REJECT else st.none() | labels(40))
        changes.append(
            StatusChange(status=status, at=at, actor=draw(st.none() | labels(12)), note=note)
        )
    actions = draw(st.lists(st.sampled_from(RecoveryAction), unique=True, max_size=4))
    return Complaint(
        id=draw(_record_ids("K")),
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        transaction_id=draw(st.none() | _record_ids("T")),
        received_at=received,
        category=draw(st.sampled_from(ComplaintCategory)),
        severity=draw(st.sampled_from(Severity)),
        status=changes[-1].status if changes else ComplaintStatus.RECEIVED,
        description=draw(st.none() | labels(60)),
        valid=valid,
        resolution=draw(st.none() | labels(60)),
        recovery_actions=tuple(actions),
        compensation=draw(st.none() | money(currency, max_amount=5_000)),
        handling_cost=draw(st.none() | money(currency, max_amount=5_000)),
        accepted=accepted,
        escalated_at=draw(st.none() | st.just(received)),
        status_changes=tuple(changes),
    )


def _by_id(record: Transaction | CareTouchpoint | Complaint) -> str:
    return record.id


@st.composite
def histories(  # noqa: D417 - draw is supplied by hypothesis
    draw: st.DrawFn,
    currency: str = "CNY",
    max_transactions: int = 12,
    max_touchpoints: int = 6,
    max_complaints: int = 3,
) -> CustomerHistory:
    """One customer with records of that customer only, ids unique per kind.

    Args:
        currency: The currency of every amount.
        max_transactions: Most transactions to draw.
        max_touchpoints: Most touchpoints to draw.
        max_complaints: Most complaints to draw.
    """
    customer = draw(customers(currency=currency))
    cid = customer.id
    return CustomerHistory(
        customer=customer,
        transactions=draw(
            st.lists(transactions(cid, currency), max_size=max_transactions, unique_by=_by_id).map(
                tuple
            )
        ),
        touchpoints=draw(
            st.lists(
                care_touchpoints(cid, currency), max_size=max_touchpoints, unique_by=_by_id
            ).map(tuple)
        ),
        complaints=draw(
            st.lists(complaints(cid, currency), max_size=max_complaints, unique_by=_by_id).map(
                tuple
            )
        ),
    )


#: Gaps between purchases that reach every lifecycle stage: the same day, weeks,
#: months, and hiatuses long enough to churn.
_PACES = (
    st.timedeltas(timedelta(0), timedelta(hours=10)),
    st.timedeltas(timedelta(days=1), timedelta(days=60)),
    st.timedeltas(timedelta(days=60), timedelta(days=200)),
    st.timedeltas(timedelta(days=200), timedelta(days=900)),
)


@st.composite
def purchase_histories(  # noqa: D417 - draw is supplied by hypothesis
    draw: st.DrawFn,
    customer_id: str | None = None,
    currency: str = "CNY",
    max_purchases: int = 16,
) -> CustomerHistory:
    """Histories shaped for the lifecycle: purchases at mixed paces, some refunds, a few contacts.

    Gaps between purchases range from the same day to years, so replays pass
    through every buying stage, churn and win-back; each purchase is written
    in the customer's UTC offset or, at random, in another one.

    Args:
        customer_id: Fix the customer; a random id when ``None``.
        currency: The currency of every amount.
        max_purchases: Most transactions to draw.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=10)
        ... @given(purchase_histories(max_purchases=4))
        ... def test_a_history_holds_at_most_four_transactions(h):
        ...     assert len(h.transactions) <= 4
        >>> test_a_history_holds_at_most_four_transactions()
    """
    cid = customer_id if customer_id is not None else draw(customer_ids())
    zone = draw(st.sampled_from(OFFSETS))
    at = draw(timestamps(datetime(2016, 1, 1), datetime(2022, 12, 31))).astimezone(zone)
    first = at
    sales = []
    for n in range(draw(st.integers(0, max_purchases))):
        moment = at.astimezone(draw(st.sampled_from(OFFSETS))) if draw(st.booleans()) else at
        sales.append(
            Transaction(
                id=f"T-{n}",
                customer_id=cid,
                occurred_at=moment,
                kind=TransactionKind.REFUND
                if n and draw(st.integers(0, 7)) == 0
                else TransactionKind.PURCHASE,
                amount=draw(money(currency, max_amount=2_000)),
            )
        )
        at += draw(st.one_of(*_PACES))
    contacts = st.lists(
        care_touchpoints(
            cid,
            currency,
            (first - timedelta(days=400)).replace(tzinfo=None),
            at.replace(tzinfo=None),
        ),
        max_size=3,
        unique_by=_by_id,
    )
    return CustomerHistory(
        customer=Customer(
            id=cid, acquired_at=draw(st.none() | st.just(first - timedelta(days=30)))
        ),
        transactions=tuple(sales),
        touchpoints=tuple(draw(contacts)),
    )


@st.composite
def recorded_events(  # noqa: D417 - draw is supplied by hypothesis
    draw: st.DrawFn,
    customer_id: str | None = None,
    min_time: datetime = _EARLIEST,
    max_time: datetime = _LATEST,
) -> RecordedEvent:
    """Lifecycle events staff record (any event but purchase; churns with a reason).

    Whether an event is legal depends on the stage it meets: replaying
    arbitrary ones may raise `InvalidTransition`.

    Args:
        customer_id: Fix the customer; a random id when ``None``.
        min_time: Earliest time (naive; drawn in one of several offsets).
        max_time: Latest time.
    """
    event = draw(st.sampled_from([e for e in LifecycleEvent if e is not LifecycleEvent.PURCHASE]))
    return RecordedEvent(
        customer_id=customer_id if customer_id is not None else draw(customer_ids()),
        event=event,
        at=draw(timestamps(min_time, max_time)),
        id=draw(st.none() | _record_ids("E")),
        reason=draw(st.sampled_from(ChurnReason)) if event is LifecycleEvent.CHURN else None,
        actor=draw(st.none() | labels(12)),
        note=draw(st.none() | labels(40)),
    )


def _register() -> None:
    """Register crmcore's strategies with hypothesis, for `st.from_type` and `st.builds`."""
    st.register_type_strategy(Money, money())
    st.register_type_strategy(Customer, customers())
    st.register_type_strategy(Transaction, transactions())
    st.register_type_strategy(CareTouchpoint, care_touchpoints())
    st.register_type_strategy(Complaint, complaints())
    st.register_type_strategy(Feedback, feedback())
    st.register_type_strategy(CustomerHistory, histories())
    st.register_type_strategy(RecordedEvent, recorded_events())


_register()  # on import; hypothesis's entry point imports this module
