"""The customer pyramid: customers tiered by value, and how concentrated value is.

Tiering by value (客户分级) is not segmentation by attributes: it decides
where resources go [003 ch.6]. The default pyramid has the texts' four
levels: the top 1 % (最高层), the next 19 % (次高层), the next 30 % (第三层)
and the bottom 50 % (最底层). The top two levels, the top 20 % of
customers, are the **key customers** (关键客户), who bring about 80 % of the
value (Pareto) and get concentrated resources; the other two are the
**ordinary customers** (普通客户), many and of small value each, to be
developed where they have upgrade potential and served at lower cost where
they have none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Literal

from pydantic import Field

from crmcore._model import Value
from crmcore.errors import ConfigurationError, CurrencyMismatch, UsageError
from crmcore.money import Money
from crmcore.tabular import Table, Tabular

__all__ = ["KEY_SHARE", "TIER_NAMES", "Pyramid", "Tier", "TierGroup", "pyramid", "tier_counts"]

#: The names of the default pyramid's levels, top first (最高层, 次高层, 第三层, 最底层).
TIER_NAMES = ("top", "second", "third", "bottom")

#: The share of customers, from the top, whose tiers make the key customers.
KEY_SHARE = 0.2

TierGroup = Literal["key", "ordinary"]


class Tier(Value):
    """One tier of the pyramid: its customers' count and share of the total value."""

    number: int = Field(description="1 for the top tier.")
    name: str
    group: TierGroup = Field(
        description="key customers (关键客户: the tiers of the top 20 %) or ordinary (普通客户)."
    )
    share: float = Field(description="The share of customers the tier is meant to hold.")
    count: int
    value: Decimal = Field(description="The tier's total value, exact (JSON: a decimal string).")
    value_share: float | None = Field(
        description="The tier's share of the total value; None when the total is 0."
    )


class Pyramid(Value, Tabular):
    """Customers tiered by value, with each tier's count and value share, and the Pareto share."""

    tiers: dict[str, int] = Field(description="Customer id → tier number (1 for the top).")
    levels: tuple[Tier, ...]
    pareto: float | None = Field(
        description="The share of total value held by the top 20 % of customers."
    )

    def table(self) -> Table:
        """The tiers, top first: number, name, group, share, count, value and value share.

        Examples:
            >>> pyramid({f"C-{n}": n for n in range(10)}).table().column("count")
            [0, 2, 3, 5]
        """
        return Table.of_type("pyramid", Tier, self.levels)

    def group_of(self, customer_id: str) -> TierGroup | None:
        """Whether a customer is a key or an ordinary customer (None if not tiered).

        Examples:
            >>> result = pyramid({f"C-{n}": n for n in range(10)})
            >>> result.group_of("C-9"), result.group_of("C-0"), result.group_of("C-X")
            ('key', 'ordinary', None)
        """
        number = self.tiers.get(customer_id)
        return None if number is None else self.levels[number - 1].group


def tier_counts(customers: int, shares: Sequence[float]) -> tuple[int, ...]:
    """How many customers each tier holds: the largest-remainder rule.

    Each tier first gets the whole part of ``share × customers``; the customers
    left over go one each to the tiers with the largest fractional parts, the
    higher tier first on equal parts. Every customer gets exactly one tier and
    the counts never change for the same number of customers.

    Examples:
        >>> tier_counts(7, (0.01, 0.19, 0.30, 0.50))
        (0, 1, 2, 4)
        >>> tier_counts(1000, (0.01, 0.19, 0.30, 0.50))
        (10, 190, 300, 500)
    """
    quotas = [share * customers for share in shares]
    counts = [math.floor(q + 1e-9) for q in quotas]
    left = customers - sum(counts)
    order = sorted(range(len(shares)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return tuple(counts)


def _amounts(values: Mapping[str, float | Decimal | Money]) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    currency = None
    for customer, value in values.items():
        if isinstance(value, Money):
            if currency is not None and value.currency != currency:
                raise CurrencyMismatch("rank", currency, value.currency)
            currency = value.currency
            amounts[customer] = value.amount
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise UsageError(f"The value of customer {customer!r} is not a finite number.")
            amounts[customer] = Decimal(repr(value))
        else:
            amounts[customer] = Decimal(value)
    return amounts


def pyramid(
    values: Mapping[str, float | Decimal | Money],
    *,
    shares: Sequence[float] = (0.01, 0.19, 0.30, 0.50),
    names: Sequence[str] | None = None,
    key_share: float = KEY_SHARE,
) -> Pyramid:
    """Tier customers by value, the most valuable first.

    Customers are ranked by value, highest first, ties by customer id; negative
    values (unprofitable customers) are allowed and rank last. Tier sizes
    follow `tier_counts`. An empty portfolio gives empty tiers. The tiers
    whose shares, added from the top, stay within ``key_share`` are the key
    customers' (the top tier at least); the others are ordinary.

    Args:
        values: Customer id → value (a number, or `Money` in one currency).
        shares: The share of customers in each tier, top first; they must sum to 1.
        names: The tiers' names (default: top, second, third, bottom for four
            tiers, tier 1, tier 2... otherwise).
        key_share: The share of customers, from the top, that key customers
            may make (20 % by default).

    Raises:
        ConfigurationError: Shares not positive or not summing to 1, names not one per
            tier, a ``key_share`` outside 0 to 1, or a value that is not a
            finite number.
        CurrencyMismatch: Values in more than one currency.

    Examples:
        >>> result = pyramid({"C-1": 900, "C-2": 50, "C-3": 30, "C-4": 20}, shares=(0.25, 0.75),
        ...                  names=("top", "rest"))
        >>> result.tiers
        {'C-1': 1, 'C-2': 2, 'C-3': 2, 'C-4': 2}
        >>> [(t.name, t.group, t.count, t.value_share) for t in result.levels]
        [('top', 'key', 1, 0.9), ('rest', 'ordinary', 3, 0.1)]
    """
    if not shares or any(not (s > 0) for s in shares) or not math.isclose(sum(shares), 1.0):
        raise ConfigurationError("shares must be positive and sum to 1.")
    if names is None:
        names = TIER_NAMES if len(shares) == 4 else [f"tier {n}" for n in range(1, len(shares) + 1)]
    if len(names) != len(shares):
        raise ConfigurationError("names must give one name per tier.")
    if not 0 <= key_share <= 1:
        raise ConfigurationError(f"key_share must be a share from 0 to 1, not {key_share!r}.")
    amounts = _amounts(values)
    ranked = sorted(amounts, key=lambda c: (-amounts[c], c))
    counts = tier_counts(len(ranked), shares)
    total = sum(amounts.values(), Decimal(0))
    tiers: dict[str, int] = {}
    levels = []
    start = 0
    above = 0.0  # the share of customers in the tiers above
    for number, (count, share, name) in enumerate(zip(counts, shares, names, strict=True), 1):
        above += share
        group: TierGroup = "key" if number == 1 or above <= key_share + 1e-9 else "ordinary"
        members = ranked[start : start + count]
        start += count
        tiers.update(dict.fromkeys(members, number))
        value = sum((amounts[c] for c in members), Decimal(0))
        levels.append(
            Tier(
                number=number,
                name=name,
                group=group,
                share=share,
                count=count,
                value=value,
                value_share=float(value / total) if total else None,
            )
        )
    top = tier_counts(len(ranked), (0.2, 0.8))[0]
    pareto = None
    if total and ranked:
        pareto = float(sum((amounts[c] for c in ranked[:top]), Decimal(0)) / total)
    return Pyramid(tiers={c: tiers[c] for c in amounts}, levels=tuple(levels), pareto=pareto)
