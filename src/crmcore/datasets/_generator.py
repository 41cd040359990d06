"""A deterministic generator of realistic synthetic CRM portfolios.

Each customer is drawn from its own random stream, seeded by the portfolio
seed and the customer's number, so a portfolio of N customers is a prefix of
a larger one with the same seed. Only ``random.Random.random``, ``randrange``
and ``choice`` are used, whose results are stable across Python versions, so
every supported version draws the same portfolio (the test suite checks the
stored sample against a fresh draw).

Customers follow one of six behaviours (prospect, one-time buyer, occasional
buyer, loyal buyer, churned buyer, won-back buyer); basket sizes are
log-normal, so spend is concentrated in a Pareto-like way.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from crmcore.datasets._population import (
    ACK_HOURS,
    ACQUISITION,
    ACQUISITION_CHANNELS,
    ATTITUDES,
    BEHAVIOUR_SHARES,
    BEHAVIOURS,
    CATALOG,
    CATEGORIES,
    CATEGORY_PRICE,
    CATEGORY_WEIGHTS,
    CATEGORY_WEIGHTS_COMPLAINT,
    CENT,
    COMPLAINT_CATEGORIES,
    COMPLAINT_TEXT,
    CONTACT_COST,
    GIVEN,
    HANDLING_COST,
    INCOMES,
    INDUSTRIES,
    LEVELS,
    LOCAL,
    OCCUPATIONS,
    ORG_SUFFIX,
    ORG_WORDS,
    RECOVERY_ACTIONS,
    REGIONS,
    RESOLVE_DAYS,
    SALES_CHANNELS,
    SEVERITIES,
    SEVERITY_WEIGHTS,
    SIZES,
    SURNAMES,
)
from crmcore.entities import (
    CareTouchpoint,
    Channel,
    Complaint,
    ComplaintStatus,
    ContactFunction,
    Customer,
    CustomerKind,
    Direction,
    Feedback,
    ImportantDate,
    PurchaseStage,
    RecoveryAction,
    Severity,
    StatusChange,
    Transaction,
    TransactionKind,
)
from crmcore.money import Money

T = TypeVar("T")


def _money(value: float, currency: str) -> Money:
    return Money._trusted(Decimal(round(value * 100)).scaleb(-2), currency)


_CUMULATIVE: dict[tuple[float, ...], tuple[list[float], float]] = {}


def _pick(rng: random.Random, items: Sequence[T], weights: tuple[float, ...]) -> T:
    """Draw one item with the given weights, from one ``random()`` call."""
    table = _CUMULATIVE.get(weights)
    if table is None:
        cumulative = list(itertools.accumulate(weights))
        table = _CUMULATIVE[weights] = (cumulative, cumulative[-1])
    cumulative, total = table
    return items[bisect.bisect(cumulative, rng.random() * total, 0, len(cumulative) - 1)]


def _lognormal(rng: random.Random, mu: float, sigma: float) -> float:
    # Box-Muller from two uniform draws, to use only ``random()``.
    u1 = 1.0 - rng.random()
    u2 = rng.random()
    return math.exp(mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2 * math.pi * u2))


def _exponential(rng: random.Random, mean: float) -> float:
    return -mean * math.log(1.0 - rng.random())


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    span = (high - low).total_seconds()
    return low + timedelta(seconds=int(rng.random() * max(span, 0)))


def _shop_hours(rng: random.Random, day: datetime) -> datetime:
    local = day.astimezone(LOCAL)
    opening = datetime.combine(local.date(), time(9), tzinfo=LOCAL)
    return opening + timedelta(minutes=rng.randrange(12 * 60))


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


class _Ids:
    """Sequential ids per kind of record, shared by all customers of one portfolio."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.counts = {"T": 0, "P": 0, "K": 0}

    def next(self, prefix: str) -> str:
        self.counts[prefix] += 1
        return f"{prefix}-{self.counts[prefix]:0{self.width}d}"


class _Timeline:
    """The status changes of one complaint, cut off at the end of the period."""

    def __init__(self, received: datetime, end: datetime, actor: str) -> None:
        self.at = received
        self.end = end
        self.actor = actor
        self.changes: list[StatusChange] = []

    @property
    def status(self) -> ComplaintStatus:
        return self.changes[-1].status if self.changes else ComplaintStatus.RECEIVED

    def step(self, status: ComplaintStatus, delay: timedelta, note: str | None = None) -> bool:
        """Move to ``status`` after ``delay``; False (and no move) past the period's end."""
        if self.at + delay > self.end:
            return False
        self.at += delay
        self.changes.append(StatusChange(status=status, at=self.at, actor=self.actor, note=note))
        return True


class _CustomerBuilder:
    """Draws one customer and all of that customer's records."""

    def __init__(
        self,
        rng: random.Random,
        number: int,
        ids: _Ids,
        start: datetime,
        end: datetime,
        currency: str,
        id_width: int,
    ) -> None:
        self.rng = rng
        self.ids = ids
        self.start = start
        self.end = end
        self.currency = currency
        self.customer_id = f"C-{number:0{id_width}d}"
        self.number = number
        self.behaviour = _pick(rng, BEHAVIOURS, BEHAVIOUR_SHARES)
        self.organization = rng.random() < 0.15
        self.transactions: list[Transaction] = []
        self.touchpoints: list[CareTouchpoint] = []
        self.complaints: list[Complaint] = []

    # -- the customer ----------------------------------------------------------------
    def customer(self, acquired_at: datetime, yearly_spend: float) -> Customer:
        rng, b = self.rng, self.behaviour
        surname, given = rng.choice(SURNAMES), rng.choice(GIVEN)
        channel = _pick(rng, ACQUISITION_CHANNELS, (0.2, 0.3, 0.25, 0.1, 0.1, 0.05))
        if self.organization and rng.random() < 0.5:
            channel = "sales_visit"
        cost = ACQUISITION[channel] * (3 if self.organization else 1) * (0.6 + 0.8 * rng.random())
        important: list[ImportantDate] = []
        segment: dict[str, str | int | float | bool]
        birthday = None
        if self.organization:
            name = f"{rng.choice(ORG_WORDS)} {rng.choice(ORG_SUFFIX)}"
            segment = {
                "industry": rng.choice(INDUSTRIES),
                "size": _pick(rng, SIZES, (0.6, 0.3, 0.1)),
            }
            if rng.random() < 0.6:
                founded = date(
                    1985 + rng.randrange(38), 1 + rng.randrange(12), 1 + rng.randrange(28)
                )
                important.append(ImportantDate(label="company founding day", date=founded))
            email_user = name.split()[0].lower()
        else:
            name = f"{given} {surname}"
            age = 18 + int(_exponential(rng, 14)) % 60
            if rng.random() < 0.75:
                year = self.start.year - age
                if rng.random() < 0.01 and year % 4 == 0:
                    birthday = date(year, 2, 29)
                else:
                    birthday = date(year, 1 + rng.randrange(12), 1 + rng.randrange(28))
            band = f"{(age // 10) * 10}-{(age // 10) * 10 + 9}"
            segment = {
                "age_band": band,
                "gender": rng.choice(("female", "male")),
                "income": _pick(rng, INCOMES, (0.2, 0.45, 0.25, 0.1)),
                "occupation": rng.choice(OCCUPATIONS),
            }
            if rng.random() < 0.2:
                married = date(
                    self.start.year - rng.randrange(1, 30),
                    1 + rng.randrange(12),
                    1 + rng.randrange(28),
                )
                important.append(ImportantDate(label="wedding anniversary", date=married))
            email_user = f"{given}.{surname}".lower()
        wallet = None
        if rng.random() < 0.7:
            if yearly_spend > 0:
                share = 0.6 + 0.35 * rng.random() if b.name == "loyal" else 0.1 + 0.6 * rng.random()
                wallet = _money(yearly_spend / share, self.currency)
            else:
                wallet = _money(_lognormal(rng, 6.5, 0.7), self.currency)
        level = _pick(rng, LEVELS, b.levels)
        return Customer(
            id=self.customer_id,
            kind=CustomerKind.ORGANIZATION if self.organization else CustomerKind.INDIVIDUAL,
            name=name,
            email=f"{email_user}{self.number}@example.com" if rng.random() < 0.85 else None,
            phone=(
                f"+86 1{rng.randrange(30, 90)} {rng.randrange(10000):04d} "
                f"{rng.randrange(10000):04d}"
            )
            if rng.random() < 0.7
            else None,
            birthday=birthday,
            important_dates=tuple(important),
            region=rng.choice(REGIONS),
            segment=segment,
            acquired_at=acquired_at,
            acquisition_channel=channel,
            acquisition_cost=_money(cost, self.currency),
            wallet=wallet,
            relationship_level=level,
            attributes={"newsletter": rng.random() < 0.4},
        )

    # -- purchases -----------------------------------------------------------------------
    def occasions(self) -> list[datetime]:
        rng, b = self.rng, self.behaviour
        span = self.end - self.start
        if b.name == "prospect":
            return []
        if b.name == "churned":
            first = self.start + span * (0.5 * rng.random())
            stop = min(
                first + timedelta(days=120 + rng.randrange(400)),
                self.end - timedelta(days=220 + rng.randrange(200)),
            )
        elif b.name == "won_back":
            first = self.start + span * (0.3 * rng.random())
            stop = self.end
        else:
            first = self.start + span * (0.9 * rng.random())
            stop = self.end
        days = [_shop_hours(rng, first)]
        if b.name == "one_time":
            return days
        pause_from = first + span * (0.2 + 0.15 * rng.random()) if b.name == "won_back" else None
        while True:
            gap = timedelta(days=1 + _exponential(rng, b.mean_gap_days))
            if pause_from is not None and days[-1] + gap > pause_from:
                gap += timedelta(days=300 + rng.randrange(200))
                pause_from = None
            nxt = days[-1] + gap
            if nxt >= stop:
                break
            days.append(_shop_hours(rng, nxt))
        if len(days) == 1 and b.name in ("occasional", "loyal", "won_back", "churned"):
            second = days[0] + timedelta(days=1 + _exponential(rng, b.mean_gap_days))
            if second < self.end:
                days.append(_shop_hours(rng, second))
        return days

    def purchase(self, at: datetime, basket: float, category: str) -> Transaction:
        rng, b, cur = self.rng, self.behaviour, self.currency
        price = basket * CATEGORY_PRICE[category] * _lognormal(rng, 0.0, 0.35)
        amount = _money(max(price, 5.0), cur)
        list_amount = None
        if rng.random() < 0.75:
            if rng.random() < b.discount_p:
                off = Decimal(5 + rng.randrange(26)) / 100
                list_amount = Money._trusted(
                    (amount.amount / (1 - off)).quantize(CENT, rounding=ROUND_CEILING), cur
                )
            else:
                list_amount = amount
        cost_base = float((list_amount or amount).amount)
        return Transaction(
            id=self.ids.next("T"),
            customer_id=self.customer_id,
            occurred_at=at,
            kind=TransactionKind.PURCHASE,
            amount=amount,
            list_amount=list_amount,
            cost=_money(cost_base * (0.45 + 0.2 * rng.random()), cur)
            if rng.random() < 0.85
            else None,
            quantity=_pick(rng, (1, 2, 3, 4), (0.6, 0.25, 0.1, 0.05)),
            product=rng.choice(CATALOG[category]),
            category=category,
            channel=(
                _pick(rng, SALES_CHANNELS, (0.2, 0.2, 0.1, 0.1, 0.4))
                if self.organization
                else _pick(rng, SALES_CHANNELS, (0.45, 0.3, 0.17, 0.05, 0.03))
            ),
            designated=(rng.random() < b.designated_p) if rng.random() < 0.55 else None,
            promotion=(rng.random() < b.promotion_p) if rng.random() < 0.65 else None,
            selection_time=(
                timedelta(seconds=int(60 * _lognormal(rng, math.log(b.selection_minutes), 0.5)))
                if rng.random() < 0.45
                else None
            ),
        )

    def refund(self, sale: Transaction) -> Transaction | None:
        rng = self.rng
        at = sale.occurred_at + timedelta(days=1 + rng.randrange(20), hours=rng.randrange(8))
        if at > self.end:
            return None
        full = rng.random() < 0.5
        amount = (
            sale.amount
            if full
            else _money(float(sale.amount.amount) * (0.2 + 0.6 * rng.random()), self.currency)
        )
        return Transaction(
            id=self.ids.next("T"),
            customer_id=self.customer_id,
            occurred_at=at,
            kind=TransactionKind.REFUND,
            amount=amount,
            quantity=sale.quantity,
            product=sale.product,
            category=sale.category,
            channel=sale.channel,
            refund_of=sale.id,
        )

    # -- contacts ----------------------------------------------------------------------
    def feedback(self, *, survey: bool) -> Feedback | None:
        rng, b = self.rng, self.behaviour
        if not survey and rng.random() < 0.5:
            return None
        recommend = _clamp(b.recommend_mean + 1.8 * (rng.random() + rng.random() - 1), 0, 10)
        satisfaction = _clamp(1 + recommend * 0.4 + rng.random() - 0.5, 1, 5)
        return Feedback(
            recommend=recommend if (survey or rng.random() < 0.5) else None,
            satisfaction=satisfaction,
            praise=(recommend >= 9 and rng.random() < 0.5) if rng.random() < 0.6 else None,
            referral=(recommend >= 9 and rng.random() < 0.3) if rng.random() < 0.4 else None,
            competitor_attitude=(
                _pick(rng, ATTITUDES, b.attitudes) if survey or rng.random() < 0.2 else None
            ),
        )

    def contact(
        self,
        at: datetime,
        stage: PurchaseStage,
        channel: Channel,
        function: ContactFunction,
        direction: Direction = Direction.OUTBOUND,
        purpose: str | None = None,
        feedback: Feedback | None = None,
    ) -> None:
        if at > self.end or at < self.start:
            return
        rng = self.rng
        responded = None
        if direction is Direction.OUTBOUND and channel not in (
            Channel.ADVERTISING,
            Channel.PACKAGING,
            Channel.PUBLIC_RELATIONS,
        ):
            responded = feedback is not None or rng.random() < 0.3
        self.touchpoints.append(
            CareTouchpoint(
                id=self.ids.next("P"),
                customer_id=self.customer_id,
                occurred_at=at,
                stage=stage,
                channel=channel,
                function=function,
                direction=direction,
                purpose=purpose,
                responded=responded,
                cost=_money(CONTACT_COST[channel] * (0.8 + 0.4 * rng.random()), self.currency),
                feedback=feedback,
            )
        )

    def pre_purchase_contacts(self, acquired: datetime, first_purchase: datetime | None) -> None:
        rng = self.rng
        until = first_purchase or min(self.end, acquired + timedelta(days=365))
        options = (
            (Channel.ADVERTISING, ContactFunction.INFORMATION, Direction.OUTBOUND, "campaign"),
            (Channel.EVENT, ContactFunction.INFORMATION, Direction.OUTBOUND, "tasting event"),
            (Channel.PUBLIC_RELATIONS, ContactFunction.INFORMATION, Direction.OUTBOUND, "press"),
            (Channel.SOCIAL, ContactFunction.INFORMATION, Direction.OUTBOUND, "social post"),
            (Channel.WEB, ContactFunction.INFORMATION, Direction.INBOUND, "product enquiry"),
            (Channel.EMAIL, ContactFunction.TRANSACTION, Direction.OUTBOUND, "welcome offer"),
            (Channel.LETTER, ContactFunction.INFORMATION, Direction.OUTBOUND, "catalogue"),
            (Channel.VISIT, ContactFunction.INTELLIGENCE, Direction.OUTBOUND, "needs assessment"),
            (Channel.PHONE, ContactFunction.INTELLIGENCE, Direction.OUTBOUND, "needs call"),
        )
        for _ in range(1 + rng.randrange(3)):
            channel, function, direction, purpose = rng.choice(options)
            if channel is Channel.VISIT and not self.organization and rng.random() < 0.7:
                channel = Channel.PHONE
            self.contact(
                _between(rng, acquired, until),
                PurchaseStage.PRE_PURCHASE,
                channel,
                function,
                direction,
                purpose,
            )

    def purchase_contacts(self, sale: Transaction) -> None:
        rng, at = self.rng, sale.occurred_at
        roll = rng.random()
        if roll < 0.12:
            self.contact(
                at,
                PurchaseStage.PURCHASE,
                Channel.PACKAGING,
                ContactFunction.CARE,
                purpose="thank-you card",
            )
        elif roll < 0.2:
            self.contact(
                at - timedelta(minutes=30),
                PurchaseStage.PURCHASE,
                Channel.CALL_CENTER,
                ContactFunction.TRANSACTION,
                Direction.INBOUND,
                "order by phone",
            )
        elif roll < 0.26:
            self.contact(
                at - timedelta(hours=2),
                PurchaseStage.PURCHASE,
                Channel.SMS,
                ContactFunction.TRANSACTION,
                purpose="promotion reminder",
            )
        if rng.random() < 0.2:
            channel = _pick(rng, (Channel.PHONE, Channel.SMS, Channel.EMAIL), (0.4, 0.35, 0.25))
            self.contact(
                at + timedelta(days=7),
                PurchaseStage.POST_PURCHASE,
                channel,
                ContactFunction.CARE,
                purpose="purchase follow-up",
                feedback=self.feedback(survey=False),
            )
        if rng.random() < 0.08:
            self.contact(
                at + timedelta(days=2 + rng.randrange(30)),
                PurchaseStage.POST_PURCHASE,
                Channel.CALL_CENTER,
                ContactFunction.SERVICE,
                Direction.INBOUND,
                "usage question",
                feedback=self.feedback(survey=False),
            )

    def relationship_contacts(self, birthday: date | None, active_until: datetime) -> None:
        rng = self.rng
        year = self.start.year
        while year <= self.end.year:
            if birthday is not None:
                day = (
                    birthday.replace(year=year)
                    if not (birthday.month == 2 and birthday.day == 29)
                    else date(year, 2, 29 if year % 4 == 0 else 28)
                )
                at = datetime.combine(day, time(9), tzinfo=LOCAL)
                if at <= active_until:
                    self.contact(
                        at,
                        PurchaseStage.POST_PURCHASE,
                        _pick(rng, (Channel.SMS, Channel.LETTER, Channel.EMAIL), (0.5, 0.3, 0.2)),
                        ContactFunction.CARE,
                        purpose="birthday greeting",
                    )
            survey_at = _between(
                rng, datetime(year, 3, 1, tzinfo=LOCAL), datetime(year, 11, 30, tzinfo=LOCAL)
            )
            if survey_at <= active_until and rng.random() < 0.5:
                self.contact(
                    survey_at,
                    PurchaseStage.POST_PURCHASE,
                    _pick(rng, (Channel.EMAIL, Channel.WEB, Channel.PHONE), (0.4, 0.4, 0.2)),
                    ContactFunction.INTELLIGENCE,
                    purpose="yearly satisfaction survey",
                    feedback=self.feedback(survey=True),
                )
            if self.organization and self.behaviour.name in ("loyal", "occasional"):
                for quarter in range(4):
                    if rng.random() < 0.6:
                        visit = _between(
                            rng,
                            datetime(year, 1 + 3 * quarter, 1, tzinfo=LOCAL),
                            datetime(year, 3 + 3 * quarter, 28, tzinfo=LOCAL),
                        )
                        if visit <= active_until:
                            self.contact(
                                visit,
                                PurchaseStage.POST_PURCHASE,
                                Channel.VISIT,
                                ContactFunction.CARE,
                                purpose="key account visit",
                                feedback=self.feedback(survey=False),
                            )
            if rng.random() < 0.15:
                self.contact(
                    _between(
                        rng,
                        datetime(year, 1, 1, tzinfo=LOCAL),
                        datetime(year, 12, 31, tzinfo=LOCAL),
                    ),
                    PurchaseStage.POST_PURCHASE,
                    Channel.EVENT,
                    ContactFunction.CARE,
                    purpose="members' tea tasting",
                )
            year += 1

    def win_back_contact(self, last: datetime) -> None:
        rng = self.rng
        if rng.random() < 0.5:
            at = last + timedelta(days=200 + rng.randrange(60))
            self.contact(
                at,
                PurchaseStage.POST_PURCHASE,
                _pick(rng, (Channel.PHONE, Channel.VISIT), (0.8, 0.2)),
                ContactFunction.INTELLIGENCE,
                purpose="departure interview",
                feedback=self.feedback(survey=True),
            )

    # -- complaints ----------------------------------------------------------------------
    def complaint(self, received: datetime, sale: Transaction | None) -> None:
        rng = self.rng
        if received > self.end:
            return
        category = _pick(rng, COMPLAINT_CATEGORIES, CATEGORY_WEIGHTS_COMPLAINT)
        severity = _pick(rng, SEVERITIES, SEVERITY_WEIGHTS)
        timeline = _Timeline(received, self.end, f"agent-{1 + rng.randrange(12)}")
        valid: bool | None = None
        accepted: bool | None = None
        resolution: str | None = None
        escalated_at: datetime | None = None
        actions: tuple[RecoveryAction, ...] = ()
        compensation: Money | None = None
        ack_hours = ACK_HOURS[severity] * _lognormal(rng, 0.0, 0.6)
        assessed = timeline.step(
            ComplaintStatus.ACKNOWLEDGED, timedelta(hours=ack_hours), "customer heard out"
        ) and timeline.step(
            ComplaintStatus.ASSESSED, timedelta(hours=1 + rng.randrange(24)), "key points recorded"
        )
        if assessed:
            valid = rng.random() < 0.85
            if severity is Severity.CRITICAL or (severity is Severity.HIGH and rng.random() < 0.4):
                escalated_at = timeline.at
        if assessed and not valid:
            resolution = "Assessed as not valid; the terms of sale were explained."
            timeline.step(
                ComplaintStatus.REJECTED, timedelta(hours=2 + rng.randrange(48)), "explanation sent"
            )
        elif assessed:
            actions = self._recovery_actions()
            if sale is not None and rng.random() < 0.4:
                share = 0.05 + 0.45 * rng.random()
                compensation = _money(float(sale.amount.amount) * share, self.currency)
            accepted, resolution, reopened_at = self._resolve(timeline, severity)
            escalated_at = escalated_at or reopened_at
        self.complaints.append(
            Complaint(
                id=self.ids.next("K"),
                customer_id=self.customer_id,
                transaction_id=sale.id if sale is not None and rng.random() < 0.9 else None,
                received_at=received,
                category=category,
                severity=severity,
                status=timeline.status,
                description=COMPLAINT_TEXT[category],
                valid=valid,
                resolution=resolution,
                recovery_actions=actions,
                compensation=compensation,
                handling_cost=_money(
                    HANDLING_COST[severity] * (0.6 + 0.8 * rng.random()), self.currency
                ),
                accepted=accepted,
                escalated_at=escalated_at,
                status_changes=tuple(timeline.changes),
            )
        )

    def _recovery_actions(self) -> tuple[RecoveryAction, ...]:
        chosen = {RecoveryAction.APOLOGY}
        wanted = 1 + self.rng.randrange(3)
        while len(chosen) < wanted:
            chosen.add(self.rng.choice(RECOVERY_ACTIONS))
        return tuple(a for a in RECOVERY_ACTIONS if a in chosen)

    def _resolve(
        self, timeline: _Timeline, severity: Severity
    ) -> tuple[bool | None, str | None, datetime | None]:
        """Resolve a valid complaint; reopen it once if the customer does not accept."""
        rng = self.rng
        days = timedelta(days=RESOLVE_DAYS[severity] * _lognormal(rng, 0.0, 0.5))
        if not (
            timeline.step(ComplaintStatus.RESOLVING, timedelta(hours=1))
            and timeline.step(ComplaintStatus.RESOLVED, days, "solution carried out")
        ):
            return None, None, None
        accepted: bool | None = rng.random() < self.behaviour.accept_p
        reopened_at = None
        if not accepted and timeline.step(
            ComplaintStatus.REOPENED,
            timedelta(days=1 + rng.randrange(4)),
            "customer did not accept the outcome",
        ):
            reopened_at = timeline.at
            timeline.actor = "manager-1"
            accepted = None
            if timeline.step(ComplaintStatus.RESOLVING, timedelta(hours=2)) and timeline.step(
                ComplaintStatus.RESOLVED, days, "revised solution agreed"
            ):
                accepted = rng.random() < 0.7
        if accepted and timeline.step(
            ComplaintStatus.FOLLOWED_UP, timedelta(days=3), "follow-up call"
        ):
            timeline.step(ComplaintStatus.CLOSED, timedelta(days=1 + rng.randrange(7)))
        return accepted, "Replacement sent and the fault corrected.", reopened_at

    # -- everything ------------------------------------------------------------------------
    def build(self) -> Customer:
        rng, b = self.rng, self.behaviour
        occasions = self.occasions()
        basket = _lognormal(rng, 5.0, 0.8) * b.basket_factor * (4.0 if self.organization else 1.0)
        favourite = _pick(rng, CATEGORIES, CATEGORY_WEIGHTS)
        if occasions:
            acquired = occasions[0] - timedelta(days=rng.randrange(60), hours=rng.randrange(24))
            acquired = max(acquired, self.start)
        else:
            acquired = _between(rng, self.start, self.end)
        sales: list[Transaction] = []
        for day in occasions:
            for extra in range(2 if rng.random() < 0.1 else 1):
                category = (
                    favourite if rng.random() < 0.6 else _pick(rng, CATEGORIES, CATEGORY_WEIGHTS)
                )
                sale = self.purchase(day + timedelta(minutes=25 * extra), basket, category)
                sales.append(sale)
                if rng.random() < 0.03:
                    refund = self.refund(sale)
                    if refund is not None:
                        self.transactions.append(refund)
        self.transactions.extend(sales)
        years = max((self.end - self.start).days / 365.25, 1e-9)
        yearly = sum(float(s.amount.amount) for s in sales) / years
        customer = self.customer(acquired, yearly)

        first = occasions[0] if occasions else None
        last = occasions[-1] if occasions else acquired
        self.pre_purchase_contacts(acquired, first)
        for sale in sales:
            self.purchase_contacts(sale)
            if rng.random() < b.complaint_p:
                self.complaint(sale.occurred_at + timedelta(hours=12 + rng.randrange(240)), sale)
        if not sales and rng.random() < b.complaint_p:
            self.complaint(_between(rng, acquired, self.end), None)
        active_until = self.end if b.name != "churned" else last + timedelta(days=90)
        if occasions:
            self.relationship_contacts(customer.birthday, active_until)
        if b.name == "churned":
            self.win_back_contact(last)
        return customer


def generate_records(
    customers: int, seed: int, start: date, end: date, currency: str
) -> Iterator[tuple[Customer, list[Transaction], list[CareTouchpoint], list[Complaint]]]:
    """Yield each customer with its records, customer by customer."""
    begin = datetime.combine(start, time(0), tzinfo=LOCAL)
    finish = datetime.combine(end, time(23, 59, 59), tzinfo=LOCAL)
    width = max(5, len(str(customers)))
    ids = _Ids(width + 2)
    for number in range(1, customers + 1):
        rng = random.Random(f"crmcore-{seed}-{number}")
        builder = _CustomerBuilder(rng, number, ids, begin, finish, currency, width)
        customer = builder.build()
        yield customer, builder.transactions, builder.touchpoints, builder.complaints
