"""Care: the contacts due in a period, planned from customers' histories by rules you can tune.

[`plan_care`][crmcore.retention.care.plan_care] produces the care contacts due
between two days, each from one rule:

| rule | purchase stage | when | default |
|---|---|---|---|
| prospect contact | before | a target customer who has not bought, with no contact within the cadence: information about the offer | every 30 days, by e-mail |
| order check | during | a set time after each purchase occasion: did the order go as expected (delivery, installation) | 1 day, by SMS |
| greeting | after | birthdays and important dates, every year (29 February falls on 28 February in common years) | SMS |
| purchase follow-up | after | a set time after each purchase occasion | 7 days, by phone |
| complaint follow-up | after | a set time after a complaint was resolved | 3 days, by phone |
| regular contact | after | a customer still buying with no contact or purchase within the tier's cadence | 30 / 60 / 90 / 180 days for tiers 1 to 4 |
| win-back | after | a churned customer worth winning back, as soon as possible | visit for tiers 1 and 2, phone, e-mail |

Then at most ``max_per_week`` contacts per customer and calendar week (Monday
to Sunday) are kept, by priority; the others are listed in ``throttled``,
never dropped silently. The same contact found twice is merged. The plan is
deterministic: tasks sorted by due day, priority, customer and rule.
"""  # noqa: E501

from __future__ import annotations

from calendar import isleap
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crmcore._formulas import period_of_day
from crmcore._model import Value, Vocabulary
from crmcore._types import MAX_DAYS, Days
from crmcore.entities.enums import (
    Channel,
    ComplaintStatus,
    ContactFunction,
    Direction,
    PurchaseStage,
    TransactionKind,
)
from crmcore.errors import CurrencyMismatch, UsageError
from crmcore.history import CustomerHistory
from crmcore.lifecycle import (
    LifecyclePolicy,
    LifecycleStage,
    LifecycleState,
    RecordedEvent,
    replay,
)
from crmcore.period import day_of
from crmcore.retention._inputs import Records, events_by_customer, tiers_of, values_of
from crmcore.retention.churn import known_state, win_back_plan
from crmcore.tabular import Column, Table, Tabular, figures_table

__all__ = ["CareKpis", "CarePlan", "CarePolicy", "CareRule", "CareTask", "care_kpis", "plan_care"]


class CareRule(Vocabulary):
    """The rule that produced a care task, and the purchase stage its care belongs to."""

    PROSPECT_CONTACT = "prospect_contact"
    ORDER_CHECK = "order_check"
    GREETING = "greeting"
    PURCHASE_FOLLOW_UP = "purchase_follow_up"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up"
    REGULAR_CONTACT = "regular_contact"
    WIN_BACK = "win_back"

    @property
    def variable(self) -> str:
        """The care marketing variable the rule works through (see ``CARE_VARIABLES``)."""
        if self in (
            CareRule.ORDER_CHECK,
            CareRule.PURCHASE_FOLLOW_UP,
            CareRule.COMPLAINT_FOLLOW_UP,
        ):
            return "product_and_service"
        if self is CareRule.WIN_BACK:
            return "sales_incentives"
        return "communication"

    @property
    def purchase_stage(self) -> PurchaseStage:
        """Before, during or after the purchase: where the texts place this care."""
        if self is CareRule.PROSPECT_CONTACT:
            return PurchaseStage.PRE_PURCHASE
        if self is CareRule.ORDER_CHECK:
            return PurchaseStage.PURCHASE
        return PurchaseStage.POST_PURCHASE


class CareTask(Value):
    """One care contact due: who, when, why, how, and the rule that asked for it."""

    customer_id: str
    due: date
    purpose: str
    channel: Channel
    function: ContactFunction
    priority: int = Field(description="1 is the most urgent.")
    rule: CareRule
    source_id: str | None = Field(
        default=None, description="The record behind the task (a transaction, a complaint)."
    )

    @property
    def purchase_stage(self) -> PurchaseStage:
        """Before, during or after the purchase (from the rule)."""
        return self.rule.purchase_stage


class CarePlan(Value, Tabular):
    """The tasks due in a period, and those throttling held back."""

    start: date
    end: date
    tasks: tuple[CareTask, ...]
    throttled: tuple[CareTask, ...] = Field(
        description="Tasks over the weekly limit of their customer, kept out of the plan."
    )

    def table(self) -> Table:
        """The tasks, then those held back, with their purchase stage and a ``held_back`` flag.

        Examples:
            >>> from datetime import date
            >>> plan = CarePlan(
            ...     start=date(2025, 1, 1), end=date(2025, 1, 31), tasks=(), throttled=()
            ... )
            >>> plan.table().names[-2:]
            ('purchase_stage', 'held_back')
        """
        head = Table.of_type("care_plan", CareTask, (*self.tasks, *self.throttled))
        return head.extended(
            [
                Column("purchase_stage", "text", "Before, during or after the purchase."),
                Column("held_back", "boolean", "Kept out of the plan by the weekly limit."),
            ],
            [(t.purchase_stage, False) for t in self.tasks]
            + [(t.purchase_stage, True) for t in self.throttled],
        )


class CarePolicy(BaseModel):
    """Which rules run and how (documented defaults); a rule whose days are None is off.

    Examples:
        >>> CarePolicy.model_validate_json('{"purchase_follow_up_days": null}').greetings
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    prospect_days: Days | None = Field(
        default=30,
        description="Days between pre-purchase contacts with a target customer who has not "
        "bought; None switches the rule off.",
    )
    prospect_channel: Channel = Channel.EMAIL
    order_check_days: Days | None = Field(
        default=1,
        description="Days after a purchase occasion to check that the order went as expected; "
        "None switches the rule off.",
    )
    order_check_channel: Channel = Channel.SMS
    greetings: bool = True
    greeting_channel: Channel = Channel.SMS
    purchase_follow_up_days: Days | None = 7
    complaint_follow_up_days: Days | None = 3
    follow_up_channel: Channel = Channel.PHONE
    cadence_days: dict[int, Annotated[int, Field(ge=1, le=MAX_DAYS)]] | None = Field(
        default_factory=lambda: {1: 30, 2: 60, 3: 90, 4: 180},
        description="Days between regular contacts, by tier; None switches the rule off.",
    )
    tier_channels: dict[int, Channel] = Field(
        default_factory=lambda: {
            1: Channel.VISIT,
            2: Channel.VISIT,
            3: Channel.PHONE,
            4: Channel.EMAIL,
        },
        description="The channel of regular contacts and win-back visits, by tier.",
    )
    win_back: bool = True
    max_per_week: int | None = Field(default=1, ge=1)
    priorities: dict[CareRule, int] = Field(
        default_factory=lambda: dict(_PRIORITIES),
        description="The priority of each rule, 1 the most urgent; rules not given keep "
        "their default.",
    )

    @model_validator(mode="before")
    @classmethod
    def _complete_priorities(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("priorities"), dict):
            given = {CareRule(k): v for k, v in data["priorities"].items()}
            data = {**data, "priorities": {**_PRIORITIES, **given}}
        return data


_PRIORITIES: dict[CareRule, int] = {
    CareRule.WIN_BACK: 1,
    CareRule.COMPLAINT_FOLLOW_UP: 2,
    CareRule.PURCHASE_FOLLOW_UP: 3,
    CareRule.ORDER_CHECK: 4,
    CareRule.REGULAR_CONTACT: 5,
    CareRule.PROSPECT_CONTACT: 6,
    CareRule.GREETING: 7,
}


def _yearly(month: int, day: int, start: date, end: date) -> list[date]:
    """The day's anniversaries in [start, end]; 29 February falls on 28 February in common years."""
    found = []
    for year in range(start.year, end.year + 1):
        moved = (month, day) == (2, 29) and not isleap(year)
        due = date(year, 2, 28) if moved else date(year, month, day)
        if start <= due <= end:
            found.append(due)
    return found


def plan_care(
    histories: Mapping[str, Records] | Iterable[Records],
    *,
    start: date | datetime | str,
    end: date | datetime | str,
    policy: CarePolicy | None = None,
    tiers: Mapping[str, int] | None = None,
    values: Mapping[str, float] | None = None,
    lifecycle: LifecyclePolicy | None = None,
    events: Iterable[RecordedEvent] = (),
    states: Mapping[str, LifecycleState] | None = None,
) -> CarePlan:
    """Plan the care contacts due from ``start`` to ``end`` (both days included).

    Care spans the purchase: before it (prospect contacts with target
    customers), during it (order checks) and after it (follow-ups,
    greetings, regular contact, win-back); each task's ``purchase_stage``
    says which. Follow-ups and order checks come from the records up to
    ``end``; the lifecycle stages (with the recorded ``events``, such as the
    qualifications that make targets) and the last contacts are those known
    at ``start``. Tiers are ``tiers`` (customer → 1 to 4) or the customer
    pyramid over historical values. A customer whose lifecycle state as of
    the start (00:00 UTC of its day) is in ``states`` (replayed already, with
    the same policy and events) is not replayed again. A customer may come as
    its `CustomerActivity` (the moments of its transactions, without amounts;
    a follow-up's source is the purchase's id where the activity kept it):
    then ``values`` (or ``tiers`` without win-back) must value it, and
    ``states`` give its state unless the lifecycle policy promotes by the
    occasions alone.

    Raises:
        UsageError: ``end`` before ``start``, a state in ``states`` updated
            after the start, or an activity that lacks its value or its state.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> alice = Customer(id="C-1", birthday="1992-02-29")
        >>> sale = Transaction(id="T-1", customer_id="C-1", occurred_at="2025-02-20",
        ...                    amount=Money("80", "CNY"))
        >>> plan = plan_care([CustomerHistory(customer=alice, transactions=[sale])],
        ...                  start="2025-02-24", end="2025-03-09", tiers={"C-1": 3})
        >>> [(t.due.isoformat(), t.rule.value, t.channel.value) for t in plan.tasks]
        [('2025-02-27', 'purchase_follow_up', 'phone')]
        >>> [(t.due.isoformat(), t.purpose) for t in plan.throttled]
        [('2025-02-28', 'birthday greeting')]
    """
    first, last = day_of(start), day_of(end)
    if last < first:
        raise UsageError("end must not be before start.")
    rules = policy or CarePolicy()
    records = list(histories.values() if isinstance(histories, Mapping) else histories)
    opening = datetime.combine(first, time(), tzinfo=timezone.utc)
    closing = datetime.combine(last, time.max, tzinfo=timezone.utc)
    worth = values_of(records, opening, values) if rules.win_back or tiers is None else {}
    if tiers is None:
        tiers = tiers_of(None, worth) if rules.cadence_days or rules.win_back else {}
    found: dict[tuple[str, date, CareRule, str], CareTask] = {}
    by_customer = events_by_customer(events)

    def add(
        cid: str,
        due: date,
        rule: CareRule,
        purpose: str,
        channel: Channel,
        function: ContactFunction,
        source: str | None = None,
    ) -> None:
        if first <= due <= last:
            key = (cid, due, rule, purpose)
            found.setdefault(
                key,
                CareTask(
                    customer_id=cid,
                    due=due,
                    purpose=purpose,
                    channel=channel,
                    function=function,
                    priority=rules.priorities[rule],
                    rule=rule,
                    source_id=source,
                ),
            )

    for history in records:
        cid, customer = history.customer_id, history.customer
        if rules.greetings:
            dates = [("birthday greeting", customer.birthday)] if customer.birthday else []
            dates += [(f"{d.label} greeting", d.date) for d in customer.important_dates]
            for purpose, day in dates:
                for due in _yearly(day.month, day.day, first, last):
                    add(
                        cid,
                        due,
                        CareRule.GREETING,
                        purpose,
                        rules.greeting_channel,
                        ContactFunction.CARE,
                    )
        for days, rule, purpose, channel, function in (
            (rules.order_check_days, CareRule.ORDER_CHECK, "check that the order went as expected",
             rules.order_check_channel, ContactFunction.TRANSACTION),
            (rules.purchase_follow_up_days, CareRule.PURCHASE_FOLLOW_UP,
             "follow-up after a purchase", rules.follow_up_channel, ContactFunction.SERVICE),
        ):  # fmt: skip
            if days is None:
                continue
            after = timedelta(days=days)
            for sale in history.transactions:
                if sale.occurred_at > closing:
                    break
                if sale.kind is TransactionKind.PURCHASE:
                    add(cid, sale.occurred_at.date() + after, rule, purpose, channel, function,
                        sale.id)  # fmt: skip
        if rules.complaint_follow_up_days is not None:
            after = timedelta(days=rules.complaint_follow_up_days)
            for complaint in history.complaints:
                resolved = complaint.reached_at(ComplaintStatus.RESOLVED)
                if resolved is not None and resolved <= closing:
                    add(cid, resolved.date() + after, CareRule.COMPLAINT_FOLLOW_UP,
                        "follow-up after a resolved complaint", rules.follow_up_channel,
                        ContactFunction.SERVICE, complaint.id)  # fmt: skip
        tier = tiers.get(cid)
        regular = bool(rules.cadence_days) and tier in (rules.cadence_days or {})
        if regular or rules.prospect_days is not None:
            known = known_state(states, cid, opening, "plan the care of")
            stage = (
                known
                if known is not None
                else replay(
                    history, as_of=opening, policy=lifecycle, events=by_customer.get(cid, ())
                )
            ).stage
            contacts = [p.occurred_at for p in history.touchpoints if p.occurred_at < opening]
            contacts += [t.occurred_at for t in history.transactions if t.occurred_at < opening]
            latest = max(contacts).date() if contacts else None
            due_days: int | None = None
            if stage.is_buying and regular and tier is not None and rules.cadence_days:
                due_days, rule, function = (
                    rules.cadence_days[tier],
                    CareRule.REGULAR_CONTACT,
                    ContactFunction.CARE,
                )
                purpose, channel = (
                    f"regular contact, tier {tier}",
                    rules.tier_channels.get(tier, Channel.PHONE),
                )
            elif stage is LifecycleStage.TARGET and rules.prospect_days is not None:
                due_days, rule, function = (
                    rules.prospect_days,
                    CareRule.PROSPECT_CONTACT,
                    ContactFunction.INFORMATION,
                )
                purpose, channel = "information for a target customer", rules.prospect_channel
            if due_days is not None:
                cadence = timedelta(days=due_days)
                due = max(latest + cadence, first) if latest is not None else first
                while due <= last:
                    add(cid, due, rule, purpose, channel, function)
                    due += cadence
    if rules.win_back:
        for plan in win_back_plan(
            records,
            as_of=opening,
            tiers=tiers,
            values=worth,
            lifecycle=lifecycle,
            events=[e for group in by_customer.values() for e in group],
            states=states,
        ):
            if plan.steps:  # the ones worth winning back
                channel = rules.tier_channels.get(plan.tier or 4, Channel.PHONE)
                add(plan.customer_id, first, CareRule.WIN_BACK, f"win-back: {plan.action}",
                    channel, ContactFunction.CARE)  # fmt: skip
    tasks = sorted(found.values(), key=lambda t: (t.due, t.priority, t.customer_id, t.rule.value))
    kept, held = _throttle(tasks, rules.max_per_week)
    return CarePlan(start=first, end=last, tasks=tuple(kept), throttled=tuple(held))


def _throttle(tasks: list[CareTask], limit: int | None) -> tuple[list[CareTask], list[CareTask]]:
    if limit is None:
        return tasks, []
    by_week: dict[tuple[str, int], list[CareTask]] = {}
    for task in tasks:
        week = period_of_day(task.due, "weeks", "calendar")  # Monday to Sunday
        by_week.setdefault((task.customer_id, week), []).append(task)
    held: set[int] = set()
    for group in by_week.values():
        ranked = sorted(group, key=lambda t: (t.priority, t.due, t.rule.value, t.purpose))
        held.update(id(t) for t in ranked[limit:])
    return [t for t in tasks if id(t) not in held], [t for t in tasks if id(t) in held]


class CareKpis(Value, Tabular):
    """The quantified evaluation of care in a period (the third step of a care system).

    Shares are 0 to 1 and means are ``None`` without data; breakdowns count
    contacts, with ``per_customer`` dividing by all customers given.
    """

    start: date
    end: date
    customers: int
    contacts: int
    coverage: float | None = Field(description="Share of customers contacted in the period.")
    coverage_by_tier: dict[int, float]
    coverage_by_stage: dict[str, float]
    contacts_per_customer: float | None
    by_channel: dict[str, int]
    by_function: dict[str, int]
    by_stage: dict[str, int] = Field(description="Contacts by the customer's lifecycle stage.")
    by_purchase_stage: dict[str, int] = Field(
        default_factory=dict,
        description="Contacts by purchase stage: before, during or after the purchase.",
    )
    satisfaction_by_purchase_stage: dict[str, float] = Field(
        default_factory=dict,
        description="Mean 1-5 rating given in the period's contacts, by purchase stage.",
    )
    response_rate: float | None = Field(
        description="Share of outbound contacts recording a response that got one."
    )
    mean_recommend: float | None = Field(description="Mean 0-10 rating given in the period.")
    mean_satisfaction: float | None = Field(description="Mean 1-5 rating given in the period.")
    satisfaction_change: float | None = Field(
        description="Mean change of a customer's 1-5 rating from before an outbound contact "
        "to after it."
    )
    satisfaction_pairs: int = Field(description="Contacts with a rating before and after.")
    cost: Decimal | None = Field(description="The recorded cost of the period's contacts.")
    currency: str | None
    cost_per_contact: Decimal | None = Field(description="Per contact with a recorded cost.")
    retained: int = Field(description="Customers buying at the start and still at the end.")
    cost_per_retained: Decimal | None

    def table(self) -> Table:
        """The KPIs as a long table: one row per figure and breakdown key (`figures_table`).

        Examples:
            >>> from datetime import date
            >>> kpis = care_kpis({}, start=date(2025, 1, 1), end=date(2025, 1, 31))
            >>> kpis.table().column("figure")[:3]
            ['customers', 'contacts', 'coverage']
        """
        return figures_table("care_kpis", self)


def care_kpis(
    histories: Mapping[str, CustomerHistory] | Iterable[CustomerHistory],
    *,
    start: date | datetime | str,
    end: date | datetime | str,
    tiers: Mapping[str, int] | None = None,
) -> CareKpis:
    """Measure care from ``start`` to ``end`` (both days included), in numbers, not impressions.

    Coverage, contacts per customer by channel, function, lifecycle stage
    (the stage at ``start``) and purchase stage (before, during or after the
    purchase, with the mean rating given in each), the response rate of outbound contacts, the mean
    ratings, the change in satisfaction around contacts, and the cost per
    contact and per customer retained (buying at ``start`` and at ``end``).

    Raises:
        UsageError: ``end`` before ``start``.
        CurrencyMismatch: Contact costs in more than one currency.

    Examples:
        >>> from crmcore import CareTouchpoint, Customer, CustomerHistory
        >>> call = CareTouchpoint(id="P-1", customer_id="C-1", occurred_at="2025-03-03",
        ...                       stage="post_purchase", channel="phone", function="care",
        ...                       direction="outbound", responded=True,
        ...                       feedback={"satisfaction": 4})
        >>> kpis = care_kpis([CustomerHistory(customer=Customer(id="C-1"), touchpoints=[call]),
        ...                   CustomerHistory(customer=Customer(id="C-2"))],
        ...                  start="2025-03-01", end="2025-03-31")
        >>> kpis.coverage, kpis.contacts_per_customer, kpis.response_rate, kpis.by_channel
        (0.5, 0.5, 1.0, {'phone': 1})
    """
    first, last = day_of(start), day_of(end)
    if last < first:
        raise UsageError("end must not be before start.")
    records = list(histories.values() if isinstance(histories, Mapping) else histories)
    opening = datetime.combine(first, time(), tzinfo=timezone.utc)
    closing = datetime.combine(last, time.max, tzinfo=timezone.utc)
    tiers = tiers or {}
    by_channel: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    by_purchase_stage: Counter[str] = Counter()
    rated: dict[str, list[int]] = {}
    reached: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    tier_reached: Counter[int] = Counter()
    tier_sizes: Counter[int] = Counter()
    contacts = contacted = answered = asked = retained = pairs = costed = 0
    recommend: list[int] = []
    satisfaction: list[int] = []
    change = 0.0
    cost = Decimal(0)
    currency: str | None = None
    for history in records:
        cid = history.customer_id
        stage = replay(history, as_of=opening).stage
        sizes[stage.value] += 1
        tier = tiers.get(cid)
        if tier is not None:
            tier_sizes[tier] += 1
        if stage.is_buying and replay(history, as_of=closing).stage.is_buying:
            retained += 1
        ratings = [
            (p.occurred_at, p.feedback.satisfaction)
            for p in history.touchpoints
            if p.feedback is not None and p.feedback.satisfaction is not None
        ]
        inside = [p for p in history.touchpoints if opening <= p.occurred_at <= closing]
        if inside:
            contacted += 1
            reached[stage.value] += 1
            if tier is not None:
                tier_reached[tier] += 1
        for contact in inside:
            contacts += 1
            by_channel[contact.channel.value] += 1
            by_function[contact.function.value] += 1
            by_stage[stage.value] += 1
            by_purchase_stage[contact.stage.value] += 1
            if contact.direction is Direction.OUTBOUND and contact.responded is not None:
                asked += 1
                answered += contact.responded
            if contact.feedback is not None:
                if contact.feedback.recommend is not None:
                    recommend.append(contact.feedback.recommend)
                if contact.feedback.satisfaction is not None:
                    satisfaction.append(contact.feedback.satisfaction)
                    rated.setdefault(contact.stage.value, []).append(contact.feedback.satisfaction)
            if contact.cost is not None:
                if currency is None:
                    currency = contact.cost.currency
                elif contact.cost.currency != currency:
                    raise CurrencyMismatch("add", currency, contact.cost.currency)
                cost += contact.cost.amount
                costed += 1
            if contact.direction is Direction.OUTBOUND:
                before = [r for at, r in ratings if at < contact.occurred_at]
                after = [r for at, r in ratings if at > contact.occurred_at]
                if before and after:
                    pairs += 1
                    change += after[0] - before[-1]
    customers = len(records)
    return CareKpis(
        start=first,
        end=last,
        customers=customers,
        contacts=contacts,
        coverage=contacted / customers if customers else None,
        coverage_by_tier={t: tier_reached[t] / n for t, n in sorted(tier_sizes.items())},
        coverage_by_stage={s: reached[s] / n for s, n in sorted(sizes.items())},
        contacts_per_customer=contacts / customers if customers else None,
        by_channel=dict(sorted(by_channel.items())),
        by_function=dict(sorted(by_function.items())),
        by_stage=dict(sorted(by_stage.items())),
        by_purchase_stage=dict(sorted(by_purchase_stage.items())),
        satisfaction_by_purchase_stage={k: sum(v) / len(v) for k, v in sorted(rated.items())},
        response_rate=answered / asked if asked else None,
        mean_recommend=sum(recommend) / len(recommend) if recommend else None,
        mean_satisfaction=sum(satisfaction) / len(satisfaction) if satisfaction else None,
        satisfaction_change=change / pairs if pairs else None,
        satisfaction_pairs=pairs,
        cost=cost if costed else None,
        currency=currency,
        cost_per_contact=cost / costed if costed else None,
        retained=retained,
        cost_per_retained=cost / retained if costed and retained else None,
    )
