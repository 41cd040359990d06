"""The replay engine: one customer's working state while records and time rules are applied.

Every rule of the lifecycle lives here, once; `replay`, `observe`, `advance`
and `LifecycleState.apply` all drive a `Replay`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmcore._cache import ByIdentity
from crmcore.entities import CareTouchpoint, Transaction
from crmcore.entities.enums import ChurnReason, Direction, TransactionKind
from crmcore.errors import OutOfOrder, UsageError
from crmcore.history import SaleMoment
from crmcore.lifecycle.events import RecordedEvent
from crmcore.lifecycle.policy import LifecyclePolicy, hiatus_threshold
from crmcore.lifecycle.table import (
    BUYING,
    TABLE,
    Event,
    LifecycleEvent,
    Rule,
    Stage,
    Transition,
)
from crmcore.period import Period

if TYPE_CHECKING:
    from crmcore.lifecycle.state import LifecycleState


class _Wording:
    """The policy-dependent parts of the transition details, formatted once per policy."""

    def __init__(self, policy: LifecyclePolicy) -> None:
        window = str(policy.loyal_window)
        self.promote = (
            f" purchase occasions, at least {policy.loyal_min_recent} of them within {window}"
            f" (promotion needs {policy.loyal_min_occasions} and {policy.loyal_min_recent})"
        )
        self.demote = f"fewer than {policy.loyal_keep_recent} purchase occasions within {window}"
        self.churn = (
            f"(the larger of {day_count(policy.churn_min_hiatus)} and "
            f"{policy.churn_gap_multiple:g} median gaps between occasions)"
        )


#: The wording of a policy, by identity (hashing a model costs more than wording it).
_wording: ByIdentity[LifecyclePolicy, _Wording] = ByIdentity(_Wording)


class Replay:
    """The mutable working copy of one customer's state while events are applied.

    Every rule of the lifecycle lives here, once: replay, observe, advance and
    apply all drive a run. Stage changes go through ``move`` only.
    """

    __slots__ = (
        "customer_id",
        "day",
        "last_purchase_at",
        "log",
        "loyalty",
        "occasions",
        "policy",
        "since",
        "stage",
        "threshold",
        "updated_at",
    )

    def __init__(
        self, customer_id: str, policy: LifecyclePolicy, since: datetime | None = None
    ) -> None:
        self.customer_id = customer_id
        self.policy = policy
        self.stage = TABLE.initial
        self.since = since
        self.log: list[Transition] = []
        self.occasions: list[datetime] = []
        self.day: date | None = None
        self.last_purchase_at: datetime | None = None
        self.updated_at: datetime | None = None
        # the hiatus threshold and the occasion count it was computed for
        self.threshold: tuple[int, timedelta] = (0, policy.churn_min_hiatus)
        # the loyalty index at a moment, when the policy asks for it and it can be had
        self.loyalty: Callable[[datetime], float | None] | None = None

    @classmethod
    def resume(cls, state: LifecycleState, policy: LifecyclePolicy) -> Replay:
        run = cls(state.customer_id, policy, state.since)
        run.stage = state.stage
        run.log = list(state.transitions)
        run.occasions = list(state.occasions)
        run.day = state.occasions[-1].date() if state.occasions else None
        run.last_purchase_at = state.last_purchase_at
        run.updated_at = state.updated_at
        return run

    def values(self) -> dict[str, Any]:
        """The fields of the `LifecycleState` this run has reached (build it with ``trusted``)."""
        return {
            "customer_id": self.customer_id,
            "stage": self.stage,
            "since": self.since,
            "transitions": tuple(self.log),
            "occasions": tuple(self.occasions),
            "last_purchase_at": self.last_purchase_at,
            "updated_at": self.updated_at,
        }

    def check_order(self, what: str, at: datetime) -> None:
        if self.updated_at is not None and at < self.updated_at:
            raise OutOfOrder(
                entity="customer",
                entity_id=self.customer_id,
                event=what,
                at=at,
                latest=self.updated_at,
            )

    def move(
        self,
        event: LifecycleEvent,
        at: datetime,
        rule: Rule,
        cause_id: str | None,
        detail: str,
        reason: ChurnReason | None = None,
    ) -> None:
        """Apply one move of the table and log it (a move to the same stage is not logged)."""
        stage = self.stage
        target = _MOVES_GET((event, stage))
        if target is None:
            raise TABLE.refusal(stage, event, self.customer_id, TABLE.explanations[stage])
        if target is not stage:
            if event is _CHURN_EVENT and reason is None:
                reason = ChurnReason.UNKNOWN
            self.log.append(
                _new_transition(
                    Transition, (stage, target, event, at, rule, cause_id, reason, detail)
                )
            )
            self.stage = target
            self.since = at
        if self.updated_at is None or at > self.updated_at:
            self.updated_at = at

    def occasion(self, at: datetime, day: date, cause_id: str | None) -> None:
        """Count a purchase that starts a new occasion (on ``day``), and make the purchase move."""
        occasions = self.occasions
        occasions.append(at)
        self.day = day
        self.last_purchase_at = self.updated_at = at
        stage = self.stage
        if stage in _KEPT_BY_PURCHASE:
            return  # a repeat or loyal customer buying again: nothing to log
        count = len(occasions)
        if stage is _CHURNED:
            rule, detail = Rule.WIN_BACK, f"won back: purchase occasion {count} after churning"
        elif stage is _NON_CUSTOMER:
            rule = Rule.PURCHASE_AFTER_DISQUALIFICATION
            detail = f"purchase occasion {count} by a contact that had been disqualified"
        else:
            rule, detail = Rule.PURCHASE, f"purchase occasion {count}"
        self.move(_PURCHASE_EVENT, at, rule, cause_id, detail)

    def purchases(self, transactions: Sequence[Transaction | SaleMoment], until: datetime) -> None:
        """Apply purchases given in time order, up to ``until``, with the rules due among them.

        This loop is the hot path of a replay. A repeat or loyal customer
        buying again with no rule due (the common case) only counts the
        occasion, on local variables; anything else goes the general way:
        the time rules up to the purchase, the purchase move, the promotion.
        """
        if not transactions:
            return
        # Aware datetimes compare several times faster when they share one tzinfo.
        until = until.astimezone(transactions[0].occurred_at.tzinfo)
        occasions = self.occasions
        count_occasion = occasions.append
        churn_after, loyalty_kept, promotion_met = (
            self.churn_after,
            self.loyalty_kept,
            self.promotion_met,
        )
        stage, day, last = self.stage, self.day, self.last_purchase_at
        for sale in transactions:
            if sale.kind is not PURCHASE:
                continue
            at = sale.occurred_at
            if at > until:
                break
            today = at.date()
            if today == day:
                last = at
                continue
            if stage is _REPEAT or stage is _LOYAL:
                if (stage is _REPEAT or loyalty_kept(at)) and churn_after(
                    last,  # type: ignore[arg-type]
                    at,
                ) is None:  # no time rule due: count the occasion
                    count_occasion(at)
                    day, last = today, at
                    if stage is _REPEAT and promotion_met(at):
                        self.sync(day, last)
                        self.promote(at, sale.id)
                        stage = self.stage
                    continue
                due = True
            else:  # a first-time buyer may have churned; no other stage has a time rule
                due = stage is _FIRST_TIME and churn_after(last, at) is not None  # type: ignore[arg-type]
            self.sync(day, last)
            if due:
                self.elapse(at)
            self.occasion(at, today, sale.id)
            if self.stage is _REPEAT and promotion_met(at):
                self.promote(at, sale.id)
            stage, day, last = self.stage, self.day, self.last_purchase_at
        self.sync(day, last)

    def sync(self, day: date | None, last: datetime | None) -> None:
        """Write back the purchase day and moment the hot loop kept in local variables."""
        self.day, self.last_purchase_at = day, last
        if last is not None and (self.updated_at is None or last > self.updated_at):
            self.updated_at = last

    # -- the rules of promotion, demotion and churn, each stated once ------------------

    def promotion_met(self, at: datetime) -> bool:
        """Whether the occasions meet the purchase criteria of promotion at ``at``.

        At least ``loyal_min_occasions`` occasions, the latest
        ``loyal_min_recent`` of them within the loyalty window.
        """
        policy, occasions = self.policy, self.occasions
        return len(occasions) >= policy.loyal_min_occasions and recent(
            policy.loyal_window, occasions[-policy.loyal_min_recent], at
        )

    def loyalty_kept(self, at: datetime) -> bool:
        """Whether ``loyal_keep_recent`` occasions or more are recent at ``at`` (the window)."""
        keep, occasions = self.policy.loyal_keep_recent, self.occasions
        return len(occasions) >= keep and recent(self.policy.loyal_window, occasions[-keep], at)

    def churn_after(self, last: datetime, at: datetime) -> timedelta | None:
        """The hiatus threshold, when a customer who last bought at ``last`` churned by ``at``.

        ``None`` while the hiatus is within the threshold (never shorter
        than ``churn_min_hiatus``, so most purchases need no median).
        """
        hiatus = at - last
        if hiatus <= self.policy.churn_min_hiatus:
            return None
        threshold = self.hiatus_threshold()
        return threshold if hiatus > threshold else None

    def promote(self, at: datetime, cause_id: str | None) -> None:
        """Promote a repeat buyer whose occasions meet the criteria, if the loyalty index agrees.

        The index is consulted only when the policy sets ``loyal_min_loyalty``
        and a loyalty source is at hand; an index without a value (too little
        data) does not block the promotion.
        """
        policy = self.policy
        detail = f"{len(self.occasions)}{_wording(policy).promote}"
        if policy.loyal_min_loyalty is not None and self.loyalty is not None:
            score = self.loyalty(at)
            if score is not None:
                if score < policy.loyal_min_loyalty:
                    return
                detail += f"; loyalty index {score:.1f}, at least {policy.loyal_min_loyalty:g}"
        self.move(_PROMOTE_EVENT, at, Rule.LOYALTY_CRITERIA, cause_id, detail)

    def hiatus_threshold(self) -> timedelta:
        """The policy's hiatus threshold for the occasions so far (cached per occasion count)."""
        count, threshold = self.threshold
        if count != len(self.occasions):
            threshold = hiatus_threshold(self.occasions, self.policy)
            self.threshold = (len(self.occasions), threshold)
        return threshold

    def loyalty_lapses(self, until: datetime) -> datetime | None:
        """When, by ``until``, fewer than loyal_keep_recent occasions were recent (or None).

        Never before the customer became loyal: a customer promoted by a
        recorded event with too few recent occasions is demoted at once.
        """
        since = self.since
        assert since is not None  # loyal is only reached by a move
        if self.loyalty_kept(until):
            return None
        keep = self.policy.loyal_keep_recent
        if len(self.occasions) < keep:
            return since
        return max(self.policy.loyal_window.after(self.occasions[-keep]), since)

    def elapse(self, until: datetime) -> None:
        """Apply the time-driven moves (demotion, churn) that fire up to ``until``."""
        if self.stage not in BUYING:
            return
        policy = self.policy
        last = self.last_purchase_at
        assert last is not None  # a buying stage is only reached by purchasing
        if until.tzinfo is not last.tzinfo:
            until = until.astimezone(last.tzinfo)  # faster comparisons
        while self.stage in BUYING:
            churn_at = demote_at = None
            threshold = self.churn_after(last, until)
            if threshold is not None:
                churn_at = last + threshold
            if self.stage is _LOYAL:
                demote_at = self.loyalty_lapses(until)
            if demote_at is not None and (churn_at is None or demote_at <= churn_at):
                detail = _wording(policy).demote
                self.move(Event.DEMOTE, demote_at, Rule.LOYALTY_LAPSED, None, detail)
                continue
            if churn_at is not None:
                detail = (
                    f"no purchase for more than {self.hiatus_threshold() / _DAY:g} days after "
                    f"{last.date().isoformat()} {_wording(policy).churn}"
                )
                self.move(_CHURN_EVENT, churn_at, Rule.HIATUS, None, detail)
            return

    def judge_p_alive(self, p_alive: float, at: datetime) -> None:
        threshold = self.policy.churn_p_alive_threshold
        if self.stage in BUYING and p_alive < threshold:
            detail = f"probability alive {p_alive:.3f} is below {threshold:g}"
            self.move(_CHURN_EVENT, at, Rule.P_ALIVE, None, detail)

    def contact(self, touchpoint: CareTouchpoint) -> None:
        if touchpoint.direction is not Direction.OUTBOUND:
            return
        at = touchpoint.occurred_at
        self.elapse(at)
        if self.stage is Stage.POTENTIAL and self.policy.qualify_on_contact:
            detail = "the firm contacted the customer: chosen for development"
            self.move(Event.QUALIFY, at, Rule.CONTACT, touchpoint.id, detail)

    def record(self, event: RecordedEvent) -> None:
        self.elapse(event.at)
        if event.event is _CHURN_EVENT and self.stage is _CHURNED and self.log:
            self.explain_churn(event)
            return
        detail = event.note or f"{event.event} recorded"
        self.move(event.event, event.at, Rule.RECORDED, event.id, detail, event.reason)

    def explain_churn(self, event: RecordedEvent) -> None:
        """Give the latest churn the reason a departure interview found (the stage stays).

        Raises:
            InvalidTransition: The event carries no reason, or only ``unknown``.
        """
        if event.reason is None or event.reason is ChurnReason.UNKNOWN:
            raise TABLE.refusal(
                self.stage, _CHURN_EVENT, self.customer_id, "already churned; give the reason found"
            )
        churn = self.log[-1]
        detail = f"{churn.detail}; reason found on {event.at.date().isoformat()}: {event.reason}"
        if event.note:
            detail += f" ({event.note})"
        self.log[-1] = churn._replace(reason=event.reason, detail=detail)
        if self.updated_at is None or event.at > self.updated_at:
            self.updated_at = event.at

    def feed(self, record: Replayed) -> None:
        if isinstance(record, (Transaction, SaleMoment)):
            self.purchases((record,), record.occurred_at)
        elif isinstance(record, CareTouchpoint):
            self.contact(record)
        else:
            self.record(record)


PURCHASE = TransactionKind.PURCHASE
# Module-level names for the hot loop (an enum member read through its class is slower).
_PURCHASE_EVENT, _PROMOTE_EVENT, _CHURN_EVENT = Event.PURCHASE, Event.PROMOTE, Event.CHURN
_FIRST_TIME, _REPEAT, _LOYAL = Stage.FIRST_TIME, Stage.REPEAT, Stage.LOYAL
_CHURNED, _NON_CUSTOMER = Stage.CHURNED, Stage.NON_CUSTOMER
_MOVES_GET = TABLE.moves.get
_DAY = timedelta(days=1)
_new_transition = tuple.__new__  # a Transition without the Python-level __new__ of NamedTuple
#: The stages a purchase leaves unchanged (the table's self-moves).
_KEPT_BY_PURCHASE = frozenset(
    s for (e, s), t in TABLE.moves.items() if e is _PURCHASE_EVENT and s is t
)


def recent(window: Period, began: datetime, at: datetime) -> bool:
    """Whether an occasion that began at ``began`` is still within the loyalty window at ``at``."""
    elapsed = at - began
    if elapsed < window.shortest:
        return True
    if elapsed >= window.longest:
        return False
    return window.after(began) > at


def day_count(span: timedelta) -> str:
    days = span / _DAY
    return "1 day" if days == 1 else f"{days:g} days"


def no_loyalty(cid: str) -> Callable[[datetime], float | None]:
    """What an activity (no amounts) answers when a promotion asks for the loyalty index."""

    def index(at: datetime) -> float | None:
        raise UsageError(
            f"Cannot replay the activity of customer {cid!r} past {at.isoformat()}: the policy "
            "asks for the loyalty index there (loyal_min_loyalty), and an activity has no "
            "amounts; give loyalty= to replay it, or states= to rank it or plan its care."
        )

    return index


def check_p_alive(p_alive: float | None) -> None:
    if p_alive is not None and not 0 <= p_alive <= 1:
        raise UsageError(f"p_alive must be a probability between 0 and 1, not {p_alive!r}.")


Record = Transaction | CareTouchpoint | RecordedEvent
Replayed = Transaction | SaleMoment | CareTouchpoint | RecordedEvent
_RANK: dict[type[Any], int] = {
    Transaction: 0,
    SaleMoment: 0,
    CareTouchpoint: 1,
    RecordedEvent: 2,
}


def moment_of(record: Replayed) -> datetime:
    return record.at if isinstance(record, RecordedEvent) else record.occurred_at


_EVENT_ORDER = {event: n for n, event in enumerate(LifecycleEvent)}


def replay_order(record: Replayed) -> tuple[Any, ...]:
    """The order records are applied in: time, kind of record, id, then event and fields.

    Recorded events whose ids do not tell them apart go in the order of
    `LifecycleEvent`, then by their other fields, so input order never matters.
    """
    key = (moment_of(record), _RANK[type(record)], record.id or "")
    if isinstance(record, RecordedEvent):
        extra = (record.reason or "", record.actor or "", record.note or "")
        return (*key, _EVENT_ORDER[record.event], *extra)
    return key
