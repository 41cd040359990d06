"""How close customers are, and how far the relationship has come.

The ladder runs passer-by (过客) → acquaintance (熟人) → friend (朋友) →
confidant (知己). Of 100 contacts roughly 50 become acquaintances, 10 friends
and 3 to 5 confidants. A customer's level is recorded on the `Customer`;
[`suggest_level`][crmcore.retention.relationship.suggest_level] proposes one
from the contact history and never changes the recorded one.

The relationship also passes through phases — exploration (考察期),
formation (形成期), stability (稳定期), decline (退化期) — with a switching
cost that is low while the customer explores and grows as trading goes on;
[`relationship_phase`][crmcore.retention.relationship.relationship_phase]
derives the phase from the purchase history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from crmcore._model import Value, Vocabulary
from crmcore._types import NonNegativeDuration, Timestamp, to_moment
from crmcore.entities import Customer
from crmcore.entities.enums import (
    Channel,
    Direction,
    RelationshipLevel,
    TransactionKind,
)
from crmcore.history import CustomerHistory, Occasions
from crmcore.period import Period

__all__ = [
    "EXPECTED_REACH",
    "FunnelLevel",
    "LevelPolicy",
    "LevelSuggestion",
    "PhasePolicy",
    "PhaseReading",
    "RelationshipFunnel",
    "RelationshipPhase",
    "relationship_funnel",
    "relationship_phase",
    "suggest_level",
]

#: The share of contacts expected to reach at least each level, as a (low, high) range.
EXPECTED_REACH: dict[RelationshipLevel, tuple[float, float]] = {
    RelationshipLevel.PASSERBY: (1.0, 1.0),
    RelationshipLevel.ACQUAINTANCE: (0.5, 0.5),
    RelationshipLevel.FRIEND: (0.1, 0.1),
    RelationshipLevel.CONFIDANT: (0.03, 0.05),
}


class FunnelLevel(Value):
    """One rung of the funnel: who is there and who got this far, against the rule of thumb."""

    level: RelationshipLevel
    count: int = Field(description="Customers recorded at exactly this level.")
    reached: int = Field(description="Customers at this level or closer.")
    reached_share: float | None = Field(description="reached ÷ all customers; None without any.")
    expected_low: float
    expected_high: float
    versus_expected: str | None = Field(
        description="'below', 'within' or 'above' the expected range; None without customers."
    )


class RelationshipFunnel(Value):
    """The customers per relationship level, passer-by first."""

    customers: int
    levels: tuple[FunnelLevel, ...]


def relationship_funnel(customers: Iterable[Customer]) -> RelationshipFunnel:
    """Count customers per recorded relationship level against 100 : 50 : 10 : 3-5.

    A level's ``reached`` counts the customers at that level or closer, the
    way the rule of thumb counts ("of 100 contacts, 50 become acquaintances").
    A share within 1 percentage point of a single expected value counts as
    within it.

    Examples:
        >>> from crmcore import Customer
        >>> people = [Customer(id=f"C-{n}", relationship_level=level)
        ...           for n, level in enumerate(["passerby"] * 6 + ["acquaintance"] * 3 + ["friend"])]
        >>> [(f.level.value, f.reached, f.versus_expected) for f in relationship_funnel(people).levels]
        [('passerby', 10, 'within'), ('acquaintance', 4, 'below'), ('friend', 1, 'within'), ('confidant', 0, 'below')]
    """  # noqa: E501
    counts = dict.fromkeys(RelationshipLevel, 0)
    for customer in customers:
        counts[customer.relationship_level] += 1
    total = sum(counts.values())
    levels = []
    for level in RelationshipLevel:
        reached = sum(n for other, n in counts.items() if other.rank >= level.rank)
        low, high = EXPECTED_REACH[level]
        share = reached / total if total else None
        verdict = None
        if share is not None:
            margin = 0.01 if low == high else 0.0
            verdict = (
                "below" if share < low - margin else "above" if share > high + margin else "within"
            )
        levels.append(
            FunnelLevel(
                level=level,
                count=counts[level],
                reached=reached,
                reached_share=share,
                expected_low=low,
                expected_high=high,
                versus_expected=verdict,
            )
        )
    return RelationshipFunnel(customers=total, levels=tuple(levels))


class LevelPolicy(BaseModel):
    """What each level takes, by default (each rung needs everything the one below needs).

    | level | personal contacts | reciprocal contacts | tenure |
    |---|---|---|---|
    | acquaintance | 2 | 1 | — |
    | friend | 4 | 2 | 1 year |
    | confidant | 8 | 4 | 2 years |

    Personal contacts are visits, events and phone calls; reciprocal ones are
    contacts the customer started, or outbound ones the customer answered.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    personal_channels: frozenset[Channel] = frozenset({Channel.VISIT, Channel.EVENT, Channel.PHONE})
    acquaintance: tuple[int, int, NonNegativeDuration] = (2, 1, timedelta(0))
    friend: tuple[int, int, NonNegativeDuration] = (4, 2, timedelta(days=365))
    confidant: tuple[int, int, NonNegativeDuration] = (8, 4, timedelta(days=730))


class LevelSuggestion(Value):
    """A suggested relationship level beside the recorded one, with the evidence."""

    customer_id: str
    recorded: RelationshipLevel
    suggested: RelationshipLevel
    personal_contacts: int
    reciprocal_contacts: int
    tenure: timedelta = Field(description="From the first record (or acquisition) to as_of.")


def suggest_level(
    history: CustomerHistory, *, as_of: datetime | str, policy: LevelPolicy | None = None
) -> LevelSuggestion:
    """Suggest a relationship level from personal contacts, reciprocity and tenure.

    The suggestion is the closest level whose requirements (and those of the
    levels below) the history meets by ``as_of``; the recorded level is
    reported beside it, unchanged.

    Examples:
        >>> from crmcore import CareTouchpoint, Customer, CustomerHistory
        >>> calls = [CareTouchpoint(id=f"P-{n}", customer_id="C-1", occurred_at=f"2023-0{n}-10",
        ...                         stage="post_purchase", channel="phone", function="care",
        ...                         direction="inbound" if n % 2 else "outbound")
        ...          for n in range(1, 6)]
        >>> history = CustomerHistory(customer=Customer(id="C-1"), touchpoints=calls)
        >>> s = suggest_level(history, as_of="2024-06-30")
        >>> s.recorded.value, s.suggested.value, s.personal_contacts, s.reciprocal_contacts
        ('passerby', 'friend', 5, 3)
    """
    moment = to_moment(as_of)
    rules = policy or LevelPolicy()
    personal = reciprocal = 0
    first = history.customer.acquired_at
    for contact in history.touchpoints:
        if contact.occurred_at > moment:
            break
        first = contact.occurred_at if first is None else min(first, contact.occurred_at)
        personal += contact.channel in rules.personal_channels
        reciprocal += contact.direction is Direction.INBOUND or bool(contact.responded)
    for sale in history.transactions:
        if sale.occurred_at <= moment:
            first = sale.occurred_at if first is None else min(first, sale.occurred_at)
            break
    tenure = moment - first if first is not None and first <= moment else timedelta(0)
    suggested = RelationshipLevel.PASSERBY
    for level, (need_personal, need_reciprocal, need_tenure) in (
        (RelationshipLevel.ACQUAINTANCE, rules.acquaintance),
        (RelationshipLevel.FRIEND, rules.friend),
        (RelationshipLevel.CONFIDANT, rules.confidant),
    ):
        if personal < need_personal or reciprocal < need_reciprocal or tenure < need_tenure:
            break
        suggested = level
    return LevelSuggestion(
        customer_id=history.customer_id,
        recorded=history.customer.relationship_level,
        suggested=suggested,
        personal_contacts=personal,
        reciprocal_contacts=reciprocal,
        tenure=tenure,
    )


class RelationshipPhase(Vocabulary):
    """The phases of a customer relationship, with the switching cost of each.

    Examples:
        >>> RelationshipPhase.EXPLORATION.switching_cost
        'low'
    """

    EXPLORATION = "exploration"
    """考察期: the customer tries the firm out; switching costs little, customers leave easily."""
    FORMATION = "formation"
    """形成期: the customer buys regularly and the relationship is being built."""
    STABILITY = "stability"
    """稳定期: trading has gone on long enough that staying saves the customer effort."""
    DECLINE = "decline"
    """退化期: the customer buys clearly less than before, or has stopped."""

    @property
    def switching_cost(self) -> str:
        """The customer's switching cost in this phase: low, rising, high or falling."""
        return _SWITCHING_COST[self]

    @property
    def term(self) -> str:
        """The source texts' term."""
        return _PHASE_TERMS[self]


_SWITCHING_COST = {
    RelationshipPhase.EXPLORATION: "low",
    RelationshipPhase.FORMATION: "rising",
    RelationshipPhase.STABILITY: "high",
    RelationshipPhase.DECLINE: "falling",
}
_PHASE_TERMS = {
    RelationshipPhase.EXPLORATION: "考察期",
    RelationshipPhase.FORMATION: "形成期",
    RelationshipPhase.STABILITY: "稳定期",
    RelationshipPhase.DECLINE: "退化期",
}


class PhasePolicy(BaseModel):
    """When a relationship is in which phase (defaults in the table of `relationship_phase`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: Period = Field(
        default=Period(years=1), description="The period activity is compared over."
    )
    formation_min_occasions: int = Field(
        default=3, ge=2, description="Purchase occasions, in all, that end the exploration."
    )
    stable_after: Period = Field(
        default=Period(years=1),
        description="How long after the first purchase a steady relationship counts as stable.",
    )
    decline_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Fewer occasions in the latest window than this share of the window "
        "before it is a decline.",
    )


class PhaseReading(Value):
    """A customer's relationship phase as of a moment, with the evidence."""

    customer_id: str
    as_of: Timestamp
    phase: RelationshipPhase | None = Field(description="None for a customer who never bought.")
    occasions: int = Field(description="Purchase occasions up to as_of.")
    recent: int = Field(description="Of those, in the latest window.")
    earlier: int = Field(description="Of those, in the window before it.")
    first_purchase_at: Timestamp | None
    detail: str = Field(description="Why the phase, in a sentence.")


def relationship_phase(
    history: CustomerHistory, *, as_of: datetime | str, policy: PhasePolicy | None = None
) -> PhaseReading:
    """The phase of the customer's relationship as of ``as_of``, from the purchase occasions.

    The rule, with the defaults (a purchase occasion is a calendar day with
    purchases, as in the lifecycle):

    | phase | when |
    |---|---|
    | decline (退化期) | no occasion in the last 12 months |
    | exploration (考察期) | fewer than 3 occasions in all |
    | decline (退化期) | fewer than half as many occasions in the last 12 months as in the 12 months before |
    | stability (稳定期) | otherwise, when the first purchase is at least 12 months old and the customer also bought in the 12 months before the last |
    | formation (形成期) | otherwise |

    A customer who never bought has no phase. The tests apply in the order of
    the table.

    Examples:
        >>> from crmcore import Customer, CustomerHistory, Money, Transaction
        >>> days = ["2023-02-01", "2023-06-01", "2023-11-01", "2024-03-01", "2024-08-01"]
        >>> history = CustomerHistory(customer=Customer(id="C-1"), transactions=[
        ...     Transaction(id=f"T-{n}", customer_id="C-1", occurred_at=day,
        ...                 amount=Money("90", "CNY")) for n, day in enumerate(days)])
        >>> reading = relationship_phase(history, as_of="2024-12-31")
        >>> reading.phase.value, reading.phase.switching_cost, reading.recent, reading.earlier
        ('stability', 'high', 2, 3)
        >>> relationship_phase(history, as_of="2023-07-01").phase.value
        'exploration'
    """  # noqa: E501
    moment = to_moment(as_of)
    rules = policy or PhasePolicy()
    occasions = Occasions()
    for sale in history.transactions:
        if sale.occurred_at > moment:
            break
        if sale.kind is TransactionKind.PURCHASE:
            occasions.add(sale.occurred_at, sale.id, sale.amount.amount)
    firsts = [o.first for o in occasions.finish()]
    start = rules.window.before(moment)
    before = rules.window.before(start)
    recent = sum(1 for at in firsts if at > start)
    earlier = sum(1 for at in firsts if before < at <= start)
    first = firsts[0] if firsts else None
    phase: RelationshipPhase | None
    if not firsts:
        phase, detail = None, "no purchase yet"
    elif recent == 0:
        phase = RelationshipPhase.DECLINE
        detail = f"no occasion in the last {rules.window}, {len(firsts)} before"
    elif len(firsts) < rules.formation_min_occasions:
        phase = RelationshipPhase.EXPLORATION
        detail = f"{len(firsts)} purchase occasion(s), fewer than {rules.formation_min_occasions}"
    elif recent < rules.decline_ratio * earlier:
        phase = RelationshipPhase.DECLINE
        detail = (
            f"{recent} occasion(s) in the last {rules.window}, against {earlier} in the "
            f"{rules.window} before"
        )
    elif first is not None and first <= rules.stable_after.before(moment) and earlier > 0:
        phase = RelationshipPhase.STABILITY
        detail = (
            f"buying for more than {rules.stable_after}, {recent} occasion(s) in the last "
            f"{rules.window} and {earlier} before"
        )
    else:
        phase = RelationshipPhase.FORMATION
        detail = f"{len(firsts)} occasions, the relationship still young or just resumed"
    return PhaseReading(
        customer_id=history.customer_id,
        as_of=moment,
        phase=phase,
        occasions=len(firsts),
        recent=recent,
        earlier=earlier,
        first_purchase_at=first,
        detail=detail,
    )
