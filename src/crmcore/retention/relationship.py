"""How close customers are: the relationship funnel, and a level suggested from contact history.

The ladder runs passer-by (过客) → acquaintance (熟人) → friend (朋友) →
confidant (知己). Of 100 contacts roughly 50 become acquaintances, 10 friends
and 3 to 5 confidants. A customer's level is recorded on the `Customer`;
[`suggest_level`][crmcore.retention.relationship.suggest_level] proposes one
from the contact history and never changes the recorded one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from crmcore._types import NonNegativeDuration, Timestamp
from crmcore.entities import Customer
from crmcore.entities._base import Value
from crmcore.entities.enums import Channel, Direction, RelationshipLevel
from crmcore.history import CustomerHistory

__all__ = [
    "EXPECTED_REACH",
    "FunnelLevel",
    "LevelPolicy",
    "LevelSuggestion",
    "RelationshipFunnel",
    "relationship_funnel",
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


_AT: TypeAdapter[datetime] = TypeAdapter(Timestamp)


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
    moment = _AT.validate_python(as_of)
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
