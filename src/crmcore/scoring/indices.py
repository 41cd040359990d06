"""The satisfaction and loyalty indices: explainable 0-100 scores from a customer's summary.

Each index evaluates its six declared [metrics][crmcore.scoring.metrics]:
the raw value read from the [`CustomerSummary`][crmcore.history.CustomerSummary],
its 0-100 sub-score, and the configured weight. A metric without data is
left out and the weights re-normalised over the others; with fewer than
``min_metrics`` metrics available the index is ``None``, with the reason.
Missing data is never scored as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from crmcore._cache import ByIdentity
from crmcore._model import Value, trusted, tuple_record_schema
from crmcore._types import Timestamp, to_moment
from crmcore.entities.enums import CompetitorAttitude
from crmcore.errors import UnsupportedType, UsageError
from crmcore.history import YEAR, CustomerHistory, CustomerSummary, LoyaltyTrail, summarize
from crmcore.period import Period
from crmcore.scoring.metrics import (
    ATTITUDE_SCORES,
    LOYALTY_METRICS,
    SATISFACTION_METRICS,
    Metric,
    Table,
)

__all__ = [
    "IndexConfig",
    "IndexResult",
    "LoyaltyConfig",
    "MetricScore",
    "SatisfactionConfig",
    "loyalty",
    "loyalty_source",
    "satisfaction",
]


class IndexConfig(BaseModel):
    """What an index weighs and how: the window, weights, reference values, minimum coverage.

    Every metric weighs 1 unless ``weights`` says otherwise; ``references``
    moves the anchor of a metric's scale (the raw value that scores 80, or
    for the complaint rate the rate that scores 0).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The metrics the index is made of (set by each index's configuration).
    METRICS: ClassVar[Mapping[str, Metric]] = {}

    window: Period = Field(default=YEAR, description="The look-back window ending at as_of.")
    min_metrics: int = Field(
        default=3, ge=1, description="The fewest metrics with data for the index to have a value."
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="Weights by metric name (default 1 each), 0 or more."
    )
    references: dict[str, float] = Field(
        default_factory=dict, description="Reference values by metric name, above 0."
    )

    @model_validator(mode="after")
    def _check(self) -> IndexConfig:
        known = self.METRICS
        for kind, names in (("weights", self.weights), ("references", self.references)):
            unknown = sorted(set(names) - set(known))
            if unknown:
                raise PydanticCustomError(
                    "unknown_metric",
                    "{kind} name unknown metrics {unknown}; the metrics are {known}",
                    {"kind": kind, "unknown": ", ".join(unknown), "known": ", ".join(known)},
                )
        for name, weight in self.weights.items():
            if not math.isfinite(weight) or weight < 0:
                raise PydanticCustomError(
                    "bad_weight",
                    "weight of {name} must be a finite number of 0 or more",
                    {"name": name},
                )
        for name, reference in self.references.items():
            if known[name].scale.reference is None:
                raise PydanticCustomError(
                    "no_reference", "metric {name} has no reference value", {"name": name}
                )
            if not math.isfinite(reference) or reference <= 0:
                raise PydanticCustomError(
                    "bad_reference",
                    "reference of {name} must be a finite number above 0",
                    {"name": name},
                )
            if name == "complaint_rate" and reference > 1:
                raise PydanticCustomError(
                    "bad_reference",
                    "reference of complaint_rate must be at most 1, so that complaints "
                    "without a purchase score 0",
                )
        if not any(self.weights.get(name, 1.0) > 0 for name in known):
            raise PydanticCustomError("zero_weights", "at least one weight must be above 0")
        if self.min_metrics > len(known):
            raise PydanticCustomError(
                "min_metrics",
                "min_metrics must be at most {count}, the number of metrics",
                {"count": len(known)},
            )
        return self

    def _adapt(self, metric: Metric) -> Metric:
        """Let a configuration change a metric further (the loyalty attitude table)."""
        return metric

    def plan(self) -> tuple[tuple[Metric, float], ...]:
        """Each metric of the index as this configuration sets it, with its weight.

        References and the configuration's own changes applied, in the order
        of ``METRICS``; computed once per configuration object.

        Examples:
            >>> config = SatisfactionConfig(weights={"reputation": 2})
            >>> [(metric.name, weight) for metric, weight in config.plan()][:2]
            [('reputation', 2.0), ('designation', 1.0)]
        """
        return _plans(self)


class SatisfactionConfig(IndexConfig):
    """The configuration of the satisfaction index (defaults: 12 months, equal weights, 3 metrics).

    Examples:
        >>> config = SatisfactionConfig.model_validate_json(
        ...     '{"weights": {"purchase_amount": 2}, "references": {"purchase_amount": 5000}}')
        >>> config.weights, config.window
        ({'purchase_amount': 2.0}, Period('P1Y'))
    """

    METRICS: ClassVar[Mapping[str, Metric]] = SATISFACTION_METRICS


class LoyaltyConfig(IndexConfig):
    """The configuration of the loyalty index, with the score of each competitor attitude.

    Examples:
        >>> LoyaltyConfig(attitude_scores={"interested": 40}).attitude_scores["rejects"]
        100.0
    """

    METRICS: ClassVar[Mapping[str, Metric]] = LOYALTY_METRICS

    attitude_scores: dict[CompetitorAttitude, float] = Field(
        default_factory=lambda: {CompetitorAttitude(k): v for k, v in ATTITUDE_SCORES.items()},
        description="The 0-100 score of each attitude to competing brands; missing ones keep "
        "their default.",
    )

    @model_validator(mode="before")
    @classmethod
    def _complete_attitudes(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("attitude_scores"), dict):
            data = {**data, "attitude_scores": {**ATTITUDE_SCORES, **data["attitude_scores"]}}
        return data

    @model_validator(mode="after")
    def _attitudes_in_range(self) -> LoyaltyConfig:
        for attitude, score in self.attitude_scores.items():
            if not 0 <= score <= 100:
                raise PydanticCustomError(
                    "bad_attitude_score",
                    "the score of attitude {attitude} must be from 0 to 100",
                    {"attitude": attitude.value},
                )
        return self

    def _adapt(self, metric: Metric) -> Metric:
        if isinstance(metric.scale, Table):
            scores = {k.value: v for k, v in self.attitude_scores.items()}
            return Metric(metric.name, metric.term, metric.reads, Table(scores), metric.description)
        return metric


class MetricScore(NamedTuple):
    """One metric of an index result: its raw input, its 0-100 sub-score and its weight.

    A named tuple (cheap to build for every metric of every customer); in
    JSON, an object with these fields.
    """

    raw: int | float | str | None
    """The raw input read from the summary; ``None`` without data."""
    score: float | None
    """The 0-100 sub-score; ``None`` without data."""
    weight: float
    """The configured weight."""
    available: bool
    """Whether the customer has data for the metric."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return tuple_record_schema(cls, handler)


class IndexResult(Value):
    """An index value with its breakdown: every metric's raw input, sub-score and weight.

    ``coverage`` is the share of the total weight whose metrics had data;
    ``reason`` says why ``value`` is ``None`` when it is.
    """

    index: str
    customer_id: str
    as_of: Timestamp
    value: float | None = Field(description="The 0-100 index, or None (see reason).")
    metrics: dict[str, MetricScore]
    coverage: float = Field(description="Share of the total weight with data, 0 to 1.")
    reason: str | None = None


def _summary_for(
    index: str, subject: CustomerHistory | CustomerSummary, as_of: datetime | str, window: Period
) -> CustomerSummary:
    moment = as_of if isinstance(as_of, datetime) else to_moment(as_of)
    if isinstance(subject, CustomerHistory):
        return summarize(subject, as_of=moment, window=window)
    if not isinstance(subject, CustomerSummary):
        raise UnsupportedType(
            f"Cannot compute the {index} index of a {type(subject).__name__}: it takes the "
            "customer's CustomerHistory (the customer with its records, as build_histories "
            "makes them) or a CustomerSummary made by summarize()."
        )
    if subject.as_of != moment or subject.window != window:
        raise UsageError(
            f"Cannot score customer {subject.customer_id!r} as of {moment.isoformat()} over "
            f"{window}: the summary is as of {subject.as_of.isoformat()} over {subject.window}."
        )
    return subject


def _plan(config: IndexConfig) -> tuple[tuple[Metric, float], ...]:
    """Each metric of the index as the configuration sets it, with its weight."""
    plan = []
    for name, metric in config.METRICS.items():
        reference = config.references.get(name)
        adapted = metric if reference is None else metric.with_reference(reference)
        plan.append((config._adapt(adapted), float(config.weights.get(name, 1.0))))
    return tuple(plan)


_plans: ByIdentity[IndexConfig, tuple[tuple[Metric, float], ...]] = ByIdentity(_plan)
#: What each metric with a positive weight reads, per configuration.
_weighed_reads: ByIdentity[IndexConfig, tuple[str, ...]] = ByIdentity(
    lambda config: tuple(metric.reads for metric, weight in config.plan() if weight > 0)
)
_new_score = tuple.__new__


def _evaluate(name: str, summary: CustomerSummary, config: IndexConfig) -> IndexResult:
    entries: dict[str, MetricScore] = {}
    total = usable = weighted = 0.0
    counted: list[str] = []
    for metric, weight in config.plan():
        raw = getattr(summary, metric.reads)
        total += weight
        if raw is None:
            entries[metric.name] = _new_score(MetricScore, (None, None, weight, False))
            continue
        score = metric.scale.score(raw)
        entries[metric.name] = _new_score(MetricScore, (raw, score, weight, True))
        if weight > 0:
            usable += weight
            weighted += weight * score
            counted.append(metric.name)
    value: float | None = None
    reason = None
    if len(counted) < config.min_metrics:
        reason = (
            f"only {len(counted)} of {len(entries)} metrics have data"
            f"{' (' + ', '.join(counted) + ')' if counted else ''}; "
            f"at least {config.min_metrics} are needed"
        )
    else:
        value = weighted / usable
    return trusted(
        IndexResult,
        {
            "index": name,
            "customer_id": summary.customer_id,
            "as_of": summary.as_of,
            "value": value,
            "metrics": entries,
            "coverage": usable / total,
            "reason": reason,
        },
    )


_SATISFACTION = SatisfactionConfig()
_LOYALTY = LoyaltyConfig()


def satisfaction(
    history_or_summary: CustomerHistory | CustomerSummary,
    *,
    as_of: datetime | str,
    config: SatisfactionConfig | None = None,
) -> IndexResult:
    """The satisfaction index (客户满意度) of a customer, 0-100, with its six metrics.

    Args:
        history_or_summary: The customer's history, or a summary made for the
            same ``as_of`` and window.
        as_of: The end of the look-back window.
        config: Weights, references, window and minimum coverage.

    Raises:
        UsageError: A summary was made for another moment or window.
        UnsupportedType: Neither a history nor a summary (a bare `Customer`, say).

    Examples:
        >>> from crmcore.datasets import load_sample
        >>> result = satisfaction(load_sample().histories["C-00003"],
        ...                       as_of="2025-12-31T23:59:59+08:00")
        >>> list(result.metrics)
        ['reputation', 'designation', 'return_rate', 'complaint_rate', 'purchase_amount', 'price_sensitivity']
        >>> result.value is None or 0 <= result.value <= 100
        True
    """  # noqa: E501
    config = config or _SATISFACTION
    summary = _summary_for("satisfaction", history_or_summary, as_of, config.window)
    return _evaluate("satisfaction", summary, config)


def loyalty(
    history_or_summary: CustomerHistory | CustomerSummary,
    *,
    as_of: datetime | str,
    config: LoyaltyConfig | None = None,
) -> IndexResult:
    """The loyalty index (客户忠诚度) of a customer, 0-100, with its six metrics.

    Args:
        history_or_summary: The customer's history, or a summary made for the
            same ``as_of`` and window.
        as_of: The end of the look-back window.
        config: Weights, references, attitude scores, window and minimum coverage.

    Raises:
        UsageError: A summary was made for another moment or window.
        UnsupportedType: Neither a history nor a summary (a bare `Customer`, say).

    Examples:
        >>> from crmcore.datasets import load_sample
        >>> result = loyalty(load_sample().histories["C-00003"],
        ...                  as_of="2025-12-31T23:59:59+08:00")
        >>> list(result.metrics)
        ['repeat_purchases', 'selection_time', 'price_sensitivity', 'competitor_attitude', 'quality_tolerance', 'share_of_wallet']
    """  # noqa: E501
    config = config or _LOYALTY
    summary = _summary_for("loyalty", history_or_summary, as_of, config.window)
    return _evaluate("loyalty", summary, config)


def default_loyalty_source(history: CustomerHistory) -> Callable[[datetime], float | None]:
    """The loyalty index of the default configuration, of a history's records at any moment."""
    return loyalty_source(LoyaltyTrail.of(history, _LOYALTY.window), config=_LOYALTY)


def loyalty_source(
    trail: LoyaltyTrail, *, config: LoyaltyConfig | None = None
) -> Callable[[datetime], float | None]:
    """The loyalty index of a customer's records at any moment, for the lifecycle.

    What [`replay`][crmcore.lifecycle.replay] takes as ``loyalty=`` to decide
    whether a repeat buyer is loyal by preference: a function of the moment
    giving the index value (``None`` without one). An index that has too few
    metrics with data at any moment is known to have no value without
    summarizing.

    Args:
        trail: The customer's records (`LoyaltyTrail.of(history, window)`),
            over the window of ``config``, all of them: which metrics can
            have data is read when the source is made.
        config: Weights, references, attitude scores, window and minimum coverage.

    Raises:
        UsageError: The trail's window is not the configuration's.

    Examples:
        >>> from crmcore.datasets import load_sample
        >>> from crmcore.history import LoyaltyTrail
        >>> from crmcore.lifecycle import replay
        >>> history = load_sample().histories["C-00003"]
        >>> config = LoyaltyConfig(weights={"share_of_wallet": 2})
        >>> source = loyalty_source(LoyaltyTrail.of(history, config.window), config=config)
        >>> state = replay(history, as_of="2025-12-31T23:59:59+08:00", loyalty=source)
        >>> state.stage.value
        'loyal'
    """
    config = config or _LOYALTY
    if trail.window != config.window:
        raise UsageError(
            f"Cannot score loyalty over {config.window} from a trail over {trail.window}."
        )
    counted = sum(map(trail.readable().__contains__, _weighed_reads(config)))
    if counted < config.min_metrics:
        return lambda _: None

    def index(at: datetime) -> float | None:
        return _evaluate("loyalty", trail.summary(at), config).value

    return index
