"""Customer delivered value (顾客让渡价值): what an offer gives the customer, less what it costs.

Kotler's model: total customer value = product + service + personnel + image
value; total customer cost = monetary + time + mental + physical cost;
delivered value = value - cost, and the ratio value / cost. Customers choose
the offer with the largest delivered value, so an offer is compared with the
competitors', and the expectation a customer brought with what was perceived.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import UsageError

__all__ = [
    "COST_COMPONENTS",
    "VALUE_COMPONENTS",
    "DeliveredValue",
    "Disconfirmation",
    "OfferComparison",
    "ValueAssessment",
    "compare_offers",
    "delivered_value",
    "disconfirmation",
]

#: The four value components and the four cost components, in the model's order.
VALUE_COMPONENTS = ("product", "service", "personnel", "image")
COST_COMPONENTS = ("monetary", "time", "mental", "physical")

_Amount = Field(ge=0, allow_inf_nan=False)


class ValueAssessment(Value):
    """An assessment of one offer: four values and four costs, non-negative, in one unit.

    The unit is the assessor's (money, points on a scale...), the same for all
    eight components.

    Examples:
        >>> ValueAssessment(product=8, service=6, personnel=7, image=5,
        ...                 monetary=9, time=2, mental=1, physical=1).product
        8.0
    """

    product: float = _Amount
    service: float = _Amount
    personnel: float = _Amount
    image: float = _Amount
    monetary: float = _Amount
    time: float = _Amount
    mental: float = _Amount
    physical: float = _Amount


class DeliveredValue(Value):
    """Total value, total cost, their difference and their ratio.

    ``ratio`` is ``None`` when the total cost is 0 (a free, effortless offer):
    the ratio is undefined, not infinite.
    """

    total_value: float
    total_cost: float
    delivered_value: float
    ratio: float | None


def delivered_value(assessment: ValueAssessment) -> DeliveredValue:
    """The delivered value of an offer.

    Examples:
        >>> result = delivered_value(ValueAssessment(product=8, service=6, personnel=7, image=5,
        ...                                          monetary=9, time=2, mental=1, physical=1))
        >>> result.total_value, result.total_cost, result.delivered_value, result.ratio
        (26.0, 13.0, 13.0, 2.0)
    """
    value = sum(getattr(assessment, c) for c in VALUE_COMPONENTS)
    cost = sum(getattr(assessment, c) for c in COST_COMPONENTS)
    return DeliveredValue(
        total_value=value,
        total_cost=cost,
        delivered_value=value - cost,
        ratio=value / cost if cost else None,
    )


class OfferComparison(Value):
    """Offers ranked by delivered value, and what separates ours from the best rival.

    ``gaps`` is per component, our advantage over the best competitor: for a
    value component ours minus theirs, for a cost component theirs minus ours
    (so a positive gap always favours us).
    """

    ranking: tuple[tuple[str, float], ...] = Field(
        description="(offer, delivered value), best first; ties by name."
    )
    our_rank: int = Field(description="Our place in the ranking, 1 for the best.")
    best_competitor: str
    gaps: dict[str, float]


def compare_offers(
    ours: ValueAssessment, competitors: Mapping[str, ValueAssessment], *, name: str = "ours"
) -> OfferComparison:
    """Rank our offer among the competitors' by delivered value, and explain the gap.

    Raises:
        UsageError: No competitor was given, or a competitor is named like our offer.

    Examples:
        >>> ours = ValueAssessment(product=8, service=8, personnel=7, image=6,
        ...                        monetary=10, time=3, mental=2, physical=1)
        >>> rival = ValueAssessment(product=9, service=5, personnel=6, image=7,
        ...                         monetary=8, time=4, mental=2, physical=2)
        >>> c = compare_offers(ours, {"rival": rival})
        >>> c.ranking, c.our_rank, c.gaps["service"], c.gaps["monetary"]
        ((('ours', 13.0), ('rival', 11.0)), 1, 3.0, -2.0)
    """
    if not competitors:
        raise UsageError("Cannot compare offers: no competitor was given.")
    if name in competitors:
        raise UsageError(f"Cannot compare offers: a competitor is named {name!r}, like ours.")
    values = {n: delivered_value(a).delivered_value for n, a in competitors.items()}
    best = min(values, key=lambda n: (-values[n], n))
    values[name] = delivered_value(ours).delivered_value
    ranking = tuple(sorted(values.items(), key=lambda item: (-item[1], item[0])))
    rival = competitors[best]
    gaps = {c: getattr(ours, c) - getattr(rival, c) for c in VALUE_COMPONENTS}
    gaps |= {c: getattr(rival, c) - getattr(ours, c) for c in COST_COMPONENTS}
    return OfferComparison(
        ranking=ranking,
        our_rank=[n for n, _ in ranking].index(name) + 1,
        best_competitor=best,
        gaps=gaps,
    )


class Disconfirmation(Value):
    """Perception against expectation, per component and overall.

    A component's gap is positive when perception beat expectation: more value
    than expected, or less cost. The customer is satisfied when the perceived
    delivered value is at least the expected one.
    """

    gaps: dict[str, float]
    expected: float = Field(description="The expected delivered value.")
    perceived: float = Field(description="The perceived delivered value.")
    overall: float = Field(description="Perceived minus expected delivered value.")
    satisfied: bool


def disconfirmation(expected: ValueAssessment, perceived: ValueAssessment) -> Disconfirmation:
    """Compare what a customer expected of an offer with what the customer perceived.

    Examples:
        >>> expected = ValueAssessment(product=8, service=8, personnel=6, image=6,
        ...                            monetary=10, time=2, mental=1, physical=1)
        >>> perceived = expected.model_copy(update={"service": 5, "time": 1})
        >>> d = disconfirmation(expected, perceived)
        >>> d.gaps["service"], d.gaps["time"], d.overall, d.satisfied
        (-3.0, 1.0, -2.0, False)
    """
    gaps = {c: getattr(perceived, c) - getattr(expected, c) for c in VALUE_COMPONENTS}
    gaps |= {c: getattr(expected, c) - getattr(perceived, c) for c in COST_COMPONENTS}
    before = delivered_value(expected).delivered_value
    after = delivered_value(perceived).delivered_value
    return Disconfirmation(
        gaps=gaps,
        expected=before,
        perceived=after,
        overall=after - before,
        satisfied=after >= before,
    )
