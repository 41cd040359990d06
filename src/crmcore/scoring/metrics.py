"""The metrics of the satisfaction and loyalty indices, each declared once, as data.

A [`Metric`][crmcore.scoring.metrics.Metric] names the
[`CustomerSummary`][crmcore.history.CustomerSummary] attribute it reads, whether
higher or lower raw values are better, and the scale that turns a raw value
into a 0-100 sub-score. Scales are bounded, monotone and anchored on a
reference value a configuration may change:

| scale | sub-score of raw ``x`` | anchor |
|---|---|---|
| `Proportion` | ``100 x`` (higher better) or ``100 (1 - x)`` (lower better), ``x`` in 0..1 | none |
| `Saturating` | ``100 x / (x + k)``, 0 for ``x <= 0`` | ``reference`` scores 80 |
| `Decay` | ``100 k / (x + k)`` for ``x >= 0`` | ``reference`` scores 80 |
| `Linear` | ``100 (reference - x) / reference``, kept within 0..100 | 0 scores 100, ``reference`` and above 0 |
| `Table` | a score per category | the table |

Each scale's formula is written once, against a few operations (`Ops`), and
evaluated on Python numbers for one customer and on dataframe expressions for
whole tables in the dataframe engine.
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any

from crmcore._formulas import PLAIN, Ops
from crmcore.errors import ConfigurationError

__all__ = [
    "LOYALTY_METRICS",
    "PLAIN",
    "PRICE_SENSITIVITY",
    "PROMOTION_DEPENDENCE",
    "SATISFACTION_METRICS",
    "Better",
    "Decay",
    "Linear",
    "Metric",
    "Ops",
    "Proportion",
    "Saturating",
    "Scale",
    "Table",
]


class Better(str, Enum):
    """Which raw values are better."""

    HIGHER = "higher"
    LOWER = "lower"

    def __str__(self) -> str:
        return self.value


#: The sub-score a reference value earns on the saturating and decaying scales.
AT_REFERENCE = 80.0


class _Scale:
    """What every scale shares: the sub-score of one raw value, from its formula."""

    def formula(self, x: Any, ops: Ops) -> Any:
        raise NotImplementedError  # pragma: no cover - every scale defines it

    def score(self, raw: Any) -> float:
        """The 0-100 sub-score of ``raw``, evaluated on Python numbers."""
        return float(self.formula(raw, PLAIN))


@dataclass(frozen=True)
class Proportion(_Scale):
    """A share from 0 to 1, scored 100 times itself (or its complement when lower is better).

    Examples:
        >>> Proportion(Better.LOWER).score(0.25)
        75.0
    """

    better: Better

    reference: None = None

    def formula(self, x: Any, ops: Ops) -> Any:
        """The sub-score of ``x`` with the engine's operations."""
        return 100.0 * x if self.better is Better.HIGHER else 100.0 * (1.0 - x)


@dataclass(frozen=True)
class Saturating(_Scale):
    """More is better, with diminishing returns: ``100 x / (x + k)``, where ``reference`` scores 80.

    Examples:
        >>> Saturating(reference=4).score(4)
        80.0
        >>> Saturating(reference=4).score(0)
        0.0
    """

    reference: float
    better: Better = Better.HIGHER

    def formula(self, x: Any, ops: Ops) -> Any:
        """The sub-score of ``x`` with the engine's operations."""
        k = self.reference * (100.0 - AT_REFERENCE) / AT_REFERENCE
        positive = ops.clip(x, 0.0, math.inf)
        return ops.where(x > 0, 100.0 * positive / (positive + k), 0.0)


@dataclass(frozen=True)
class Decay(_Scale):
    """Less is better, from 100 at zero: ``100 k / (x + k)``, where ``reference`` scores 80.

    Examples:
        >>> Decay(reference=10).score(10)
        80.0
    """

    reference: float
    better: Better = Better.LOWER

    def formula(self, x: Any, ops: Ops) -> Any:
        """The sub-score of ``x`` (never negative) with the engine's operations."""
        k = self.reference * AT_REFERENCE / (100.0 - AT_REFERENCE)
        return 100.0 * k / (x + k)


@dataclass(frozen=True)
class Linear(_Scale):
    """Less is better, in a straight line: 100 at zero, 0 at ``reference`` and beyond.

    Examples:
        >>> Linear(reference=0.5).score(0.1)
        80.0
        >>> Linear(reference=0.5).score(2.0)
        0.0
    """

    reference: float
    better: Better = Better.LOWER

    def formula(self, x: Any, ops: Ops) -> Any:
        """The sub-score of ``x`` with the engine's operations."""
        return ops.clip(100.0 * (self.reference - x) / self.reference, 0.0, 100.0)


@dataclass(frozen=True)
class Table(_Scale):
    """A score for each category of a categorical raw value.

    Examples:
        >>> Table({"rejects": 100.0, "switching": 0.0}).score("rejects")
        100.0
    """

    scores: Mapping[str, float]
    better: Better = Better.HIGHER
    reference: None = None

    def formula(self, x: Any, ops: Ops) -> Any:
        """The sub-score of category ``x`` with the engine's operations."""
        return ops.lookup(x, self.scores)


Scale = Proportion | Saturating | Decay | Linear | Table


@dataclass(frozen=True)
class Metric:
    """One metric of an index: what it reads, which way is better, and how it is scaled.

    Attributes:
        name: The metric's name (a contract: configurations and results use it).
        term: The source texts' term.
        reads: The `CustomerSummary` attribute giving the raw value (``None``
            when the customer has no data for it).
        scale: How a raw value becomes a 0-100 sub-score.
        description: What the raw value is, for people.
    """

    name: str
    term: str
    reads: str
    scale: Scale
    description: str
    better: Better = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "better", self.scale.better)

    def with_reference(self, reference: float) -> Metric:
        """The same metric with another reference value.

        Raises:
            ConfigurationError: The metric's scale has no reference value.
        """
        if self.scale.reference is None:
            raise ConfigurationError(f"Metric {self.name!r} has no reference value to set.")
        return replace(self, scale=replace(self.scale, reference=reference))


def _declare(*metrics: Metric) -> Mapping[str, Metric]:
    return MappingProxyType({m.name: m for m in metrics})


#: Price sensitivity, shared by both indices: one definition, reused. The
#: texts define it as the tolerance of price rises, so it reads the response
#: to the rises the records show: an elasticity of 0 (bought as much) scores
#: 100, one of 1 or more (cut the quantity in proportion) 0.
PRICE_SENSITIVITY = Metric(
    name="price_sensitivity",
    term="价格敏感度",
    reads="price_elasticity",
    scale=Linear(reference=1.0),
    description=(
        "relative fall in quantity per relative rise in unit list price, over the window's "
        "list-price rises of products the customer bought before"
    ),
)

#: Promotion dependence: how much of the spend waits for a deal. Its own
#: metric, outside the two indices (the texts' price sensitivity is the
#: response to price rises); score it with ``PROMOTION_DEPENDENCE.scale``.
PROMOTION_DEPENDENCE = Metric(
    name="promotion_dependence",
    term="促销依赖",
    reads="promotion_dependence",
    scale=Proportion(Better.LOWER),
    description="share of spend bought below list price or on promotion",
)

#: The six metrics of the satisfaction index (客户满意度), in the order of the source texts.
SATISFACTION_METRICS: Mapping[str, Metric] = _declare(
    Metric(
        name="reputation",
        term="美誉度",
        reads="reputation",
        scale=Proportion(Better.HIGHER),
        description=(
            "mean word-of-mouth signal: promoter 1, passive 0.5, detractor 0; praise 1, "
            "no praise 0; referral 1, no referral 0"
        ),
    ),
    Metric(
        name="designation",
        term="指名度",
        reads="designation_share",
        scale=Proportion(Better.HIGHER),
        description="share of purchases where the customer asked for us by name",
    ),
    Metric(
        name="return_rate",
        term="回头率",
        reads="window_repeat_occasions",
        scale=Saturating(reference=4),
        description="repeat purchase occasions in the window",
    ),
    Metric(
        name="complaint_rate",
        term="投诉率",
        reads="complaint_share",
        scale=Linear(reference=0.5),
        description="share of the window's purchase occasions followed by a complaint",
    ),
    Metric(
        name="purchase_amount",
        term="购买额",
        reads="net_spend",
        scale=Saturating(reference=2000),
        description="spend in the window, less refunds, in the customer's currency",
    ),
    PRICE_SENSITIVITY,
)

#: The competitor-attitude scores of the loyalty index, by default.
ATTITUDE_SCORES: Mapping[str, float] = MappingProxyType(
    {"rejects": 100.0, "indifferent": 50.0, "interested": 25.0, "switching": 0.0}
)

#: The six metrics of the loyalty index (客户忠诚度), in the order of the source texts.
LOYALTY_METRICS: Mapping[str, Metric] = _declare(
    Metric(
        name="repeat_purchases",
        term="客户重复购买的次数",
        reads="repeat_occasions_total",
        scale=Saturating(reference=6),
        description="repeat purchase occasions over the whole relationship",
    ),
    Metric(
        name="selection_time",
        term="客户挑选时间的长短",
        reads="selection_minutes",
        scale=Decay(reference=10),
        description="median minutes taken to choose, in the window",
    ),
    PRICE_SENSITIVITY,
    Metric(
        name="competitor_attitude",
        term="客户对竞争品牌的态度",
        reads="attitude",
        scale=Table(ATTITUDE_SCORES),
        description="the latest recorded attitude to competing brands",
    ),
    Metric(
        name="quality_tolerance",
        term="客户对产品质量问题的承受能力",
        reads="quality_tolerance",
        scale=Proportion(Better.HIGHER),
        description="share of quality complaints settled, after which the customer bought again",
    ),
    Metric(
        name="share_of_wallet",
        term="客户购买费用的多少",
        reads="share_of_wallet",
        scale=Proportion(Better.HIGHER),
        description="annualised spend / the wallet estimate, at most 1",
    ),
)
