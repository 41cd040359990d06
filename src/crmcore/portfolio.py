"""A whole customer base at once: `analyze` streams the records, reports per customer and overall.

`analyze` reads the customers first, then the transactions, touchpoints and
complaints once each, in any order and interleaved among customers. While
records stream past, each customer keeps only running totals: the summary
the indices read, the profit ledger, and per purchase day the first and last
purchase time and the day's total. Memory therefore grows with customers and
their purchase days, never with the records themselves. Everything is then
computed by the same functions the rest of crmcore offers (the lifecycle
replay, the indices, the quadrants, historical value and profitability, the
pyramid, RFM, BG/NBD or Pareto/NBD, the churn ranking and the care plan), customer by
customer.

Nothing is dropped silently. Per kind of record, ``records`` counts what
was read, analysed and left out, and why: dated after ``as_of`` (customers
acquired after it, and their records, too), of a customer not in the
customer list (the first of them listed in
``unknown_records``), or rejected as bad (listed in ``rejected``). Record
ids seen twice are counted (``duplicate_ids``) and warned about with
`DuplicateIdWarning`; ``check_ids=True`` refuses them instead.

Money is never mixed across currencies. Each customer's amounts are in one
currency: a record in another one is a bad record (``on_error`` says whether
it is raised or left out and listed). A portfolio in several currencies is
analysed per currency: the pyramid and its Pareto share, the RFM scores,
the customers at risk and the value totals are worked out within each
currency, in ``currencies``. A customer with no amount at all joins the
portfolio's currency when there is one, or the group ``XXX`` (ISO 4217's
"no currency") when there are none or several.
"""

from __future__ import annotations

import copy
import math
import statistics
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from crmcore._intake import (
    KEPT_RECORDS,
    PROGRESS_EVERY,
    Ids,
    Intake,
    Kept,
    RecordCount,
    RecordKind,
    RejectedRecord,
    UnknownRecord,
    currency_of,
    mixed,
)
from crmcore._model import Value, trusted
from crmcore._types import Timestamp, to_moment
from crmcore._validation import OnError, ReadLimits, mapping_problem
from crmcore.complaints import SlaPolicy, SlaStatus, sla_status
from crmcore.entities import (
    CareTouchpoint,
    Complaint,
    Customer,
    Feedback,
    StatusChange,
    Transaction,
)
from crmcore.entities.enums import Channel, ComplaintStatus, Direction, TransactionKind
from crmcore.errors import (
    DuplicateId,
    DuplicateIdWarning,
    ModelFitError,
    UsageError,
)
from crmcore.history import (
    CustomerActivity,
    CustomerHistory,
    LoyaltyTrail,
    Occasion,
    Occasions,
    SaleMoment,
    SummaryBuilder,
)
from crmcore.lifecycle import LifecyclePolicy, LifecycleStage, LifecycleState, advance, replay
from crmcore.money import Money
from crmcore.period import Period
from crmcore.retention.care import CarePlan, CarePolicy, CareTask, plan_care
from crmcore.retention.churn import AtRisk, at_risk
from crmcore.scoring.indices import (
    LoyaltyConfig,
    SatisfactionConfig,
    loyalty,
    loyalty_source,
    satisfaction,
)
from crmcore.scoring.matrix import Quadrant, QuadrantThresholds, quadrant
from crmcore.scoring.surveys import csat, nps
from crmcore.tabular import Column, Table
from crmcore.value.models import BetaGeo
from crmcore.value.pareto import ParetoNBD
from crmcore.value.profit import Ledger, ProfitabilityPolicy, ledger_profitability, ledger_value
from crmcore.value.pyramid import Pyramid, Tier, TierGroup, pyramid
from crmcore.value.rfm import RfmRow, rfm_summary
from crmcore.value.segments import RfmSegment, rfm_scores

__all__ = [
    "KEPT_RECORDS",
    "NO_CURRENCY",
    "PROGRESS_EVERY",
    "CurrencyReport",
    "CustomerReport",
    "ModelReport",
    "PortfolioConfig",
    "PortfolioReport",
    "RecordCount",
    "RecordKind",
    "RejectedRecord",
    "UnknownRecord",
    "ValueSettings",
    "analyze",
    "lifecycle_states",
]

_ZERO = Decimal(0)
_M = TypeVar("_M", bound=BaseModel)
_R = TypeVar("_R", Transaction, CareTouchpoint, Complaint)
_T = TypeVar("_T")
#: The currency group of customers with no amount when the portfolio has no single currency.
NO_CURRENCY = "XXX"


_MODELS: dict[str, type[BetaGeo] | type[ParetoNBD]] = {"BG/NBD": BetaGeo, "Pareto/NBD": ParetoNBD}


class ValueSettings(BaseModel):
    """How customer value is measured in a portfolio analysis (documented defaults).

    Examples:
        >>> ValueSettings.model_validate_json('{"margin_rate": 0.4}').fit_model
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    margin_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Estimates the cost of goods of purchases that record none (None: cost 0).",
    )
    profitability: ProfitabilityPolicy = Field(default_factory=ProfitabilityPolicy)
    pyramid_shares: tuple[float, ...] = Field(
        default=(0.01, 0.19, 0.30, 0.50),
        min_length=1,
        description="The pyramid's tier shares, top first: each above 0, summing to 1.",
    )
    rfm_unit: Literal["days", "weeks", "months"] = "days"
    rfm_periods: Literal["calendar", "days"] = "calendar"
    rfm_monetary: Literal["average", "total"] = Field(
        default="average",
        description="What the RFM M score ranks: spend per purchase period, or total spend.",
    )
    fit_model: bool = Field(
        default=True,
        description="Fit a purchase model on the portfolio's RFM summary to get P(alive).",
    )
    transaction_model: Literal["auto", "BG/NBD", "Pareto/NBD"] = Field(
        default="auto",
        description="The purchase model behind P(alive): 'BG/NBD', 'Pareto/NBD', or 'auto' "
        "(both fitted, the one with the lower AIC kept; the report says which and why).",
    )
    min_model_customers: int = Field(
        default=30, ge=1, description="Fewer buying customers than this: no model is fitted."
    )

    @model_validator(mode="after")
    def _shares_make_a_pyramid(self) -> ValueSettings:
        shares = self.pyramid_shares
        if any(not (share > 0) for share in shares) or not math.isclose(sum(shares), 1.0):
            raise PydanticCustomError(
                "pyramid_shares", "pyramid_shares must each be above 0 and sum to 1"
            )
        return self


class PortfolioConfig(BaseModel):
    """Everything a portfolio analysis can be told, in one JSON-loadable object.

    Examples:
        >>> config = PortfolioConfig.model_validate_json(
        ...     '{"care_days": 14, "lifecycle": {"churn_min_hiatus": "P120D"}}')
        >>> config.care_days, config.lifecycle.churn_min_hiatus.days
        (14, 120)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    lifecycle: LifecyclePolicy = Field(default_factory=LifecyclePolicy)
    satisfaction: SatisfactionConfig = Field(default_factory=SatisfactionConfig)
    loyalty: LoyaltyConfig = Field(default_factory=LoyaltyConfig)
    quadrants: QuadrantThresholds = Field(default_factory=QuadrantThresholds)
    value: ValueSettings = Field(default_factory=ValueSettings)
    care: CarePolicy = Field(default_factory=CarePolicy)
    care_days: int = Field(
        default=30,
        ge=1,
        le=3660,
        description="The care plan covers as_of's day and the days after it (at most ten years).",
    )
    sla: SlaPolicy = Field(default_factory=SlaPolicy)
    top_at_risk: int = Field(default=10, ge=0, description="How many customers at risk to list.")
    columns: dict[RecordKind, dict[str, str]] = Field(
        default_factory=dict,
        description="Per kind of file, its column names that differ from crmcore's, mapped to "
        "crmcore's (used when reading files, as by the command line).",
    )
    reading: ReadLimits = Field(
        default_factory=ReadLimits,
        description="The limits files are read within (used when reading files).",
    )

    @model_validator(mode="after")
    def _one_name_per_column(self) -> PortfolioConfig:
        for kind, mapping in self.columns.items():
            problem = mapping_problem(mapping)
            if problem is not None:
                raise PydanticCustomError(
                    "column_mapping",
                    "columns of {kind}: {problem}",
                    {"kind": kind, "problem": problem},
                )
        return self


class CustomerReport(Value):
    """One customer's line of a portfolio report."""

    customer_id: str
    stage: LifecycleStage
    stage_since: Timestamp | None
    satisfaction: float | None
    satisfaction_coverage: float
    loyalty: float | None
    loyalty_coverage: float
    quadrant: Quadrant
    currency: str | None
    gross_value: Decimal = Field(
        description="Gross historical value: what the customer paid for purchases, less refunds."
    )
    contribution: Decimal = Field(
        description="Profit contribution: the gross value less the cost of goods."
    )
    net_value: Decimal = Field(
        description=(
            "Net lifetime value to date: the contribution less the acquisition cost and the "
            "retention costs (care contacts, complaint handling, compensation). The pyramid "
            "tiers and the value at risk read it."
        )
    )
    profitable: bool = Field(description="Whether the net value is 0 or more.")
    tier: int | None = Field(description="The pyramid tier, 1 for the top.")
    tier_name: str | None
    tier_group: TierGroup | None = Field(
        description="key (关键客户, the tiers of the top 20 %) or ordinary (普通客户)."
    )
    wallet_left: float | None = Field(
        description=(
            "The yearly category spend not yet with us (the wallet less the yearly spend of "
            "the loyalty window); None without a wallet estimate."
        )
    )
    upgrade_potential: bool | None = Field(
        description=(
            "For an ordinary customer with a wallet estimate: whether the wallet left is at "
            "least the median yearly spend of the currency's key customers (won, it would "
            "make a key customer of him); None otherwise, and when no key customer bought in "
            "the window or the wallet is in another currency."
        )
    )
    rfm_code: str | None = Field(
        description="The R, F and M scores, as '545'; None if no purchase."
    )
    rfm_segment: RfmSegment | None
    p_alive: float | None = Field(
        description="From the fitted purchase model (`PortfolioReport.model`); None without one."
    )
    value_at_risk: Decimal | None = Field(
        description="Net value × churn risk, for customers still buying (to the cent; JSON: a "
        "decimal string)."
    )
    next_care_due: date | None
    next_care_purpose: str | None
    next_care_channel: Channel | None


class CurrencyReport(Value):
    """The customers whose amounts are in one currency: their value, pyramid and risks."""

    currency: str = Field(description="ISO 4217 code; XXX for customers with no amount.")
    customers: int
    gross_value: Decimal = Field(description="The customers' gross value, summed.")
    contribution: Decimal = Field(description="The customers' profit contribution, summed.")
    net_value: Decimal = Field(description="The customers' net value to date, summed.")
    tiers: tuple[Tier, ...]
    pareto: float | None = Field(description="Share of value held by the top 20 % of customers.")
    at_risk: tuple[AtRisk, ...] = Field(description="The top customers by value at risk.")


class ModelReport(Value):
    """The purchase model behind P(alive): which was fitted and why, or why none was."""

    fitted: BetaGeo | ParetoNBD | None
    reason: str | None = Field(description="Why no model was fitted; None when one was.")
    name: Literal["BG/NBD", "Pareto/NBD"] | None = Field(
        default=None, description="The model fitted; None without one."
    )
    choice: str | None = Field(
        default=None,
        description="Why this model: named by transaction_model, or the lower AIC of the two "
        "(both figures given), or the only one that could be fitted.",
    )
    aic: dict[str, float] = Field(
        default_factory=dict, description="The AIC of each model fitted, by name (lower is better)."
    )


class PortfolioReport(BaseModel):
    """The result of `analyze`: one line per customer and the portfolio's aggregates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    as_of: Timestamp
    customers: tuple[CustomerReport, ...]
    records: dict[RecordKind, RecordCount] = Field(
        description="Per kind of record: read, analysed, and left out and why."
    )
    unknown_records: tuple[UnknownRecord, ...] = Field(
        description=f"The first {KEPT_RECORDS:,} records of customers not in the list."
    )
    rejected: tuple[RejectedRecord, ...] = Field(
        default=(), description=f"The first {KEPT_RECORDS:,} records left out as bad."
    )
    stages: dict[LifecycleStage, int]
    currencies: tuple[CurrencyReport, ...] = Field(
        description="Per currency (in code order): value totals, the pyramid, the Pareto "
        "share and the customers at risk."
    )
    quadrants: dict[Quadrant, int]
    nps: float | None = Field(description="Over the ratings in the satisfaction window.")
    nps_ratings: int
    csat: float | None = Field(description="Over the ratings in the satisfaction window.")
    csat_ratings: int
    sla: dict[str, dict[SlaStatus, int]] = Field(
        description="Complaints per SLA status, for the first response and the resolution."
    )
    care_plan: CarePlan
    model: ModelReport

    def to_dicts(self) -> list[dict[str, Any]]:
        """The customer lines as plain dicts (enum members as their values).

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> sorted(report.to_dicts()[0])[:4]
            ['contribution', 'currency', 'customer_id', 'gross_value']
        """
        return [_plain(line) for line in self.customers]

    def lines_in(self, currency: str) -> list[CustomerReport]:
        """The customer lines of one currency section, as `analyze` groups them.

        A customer with no amount belongs to the portfolio's one currency, or
        to ``XXX`` when there are none or several.

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> len(report.lines_in("CNY")) == report.currencies[0].customers
            True
        """
        alone = len(self.currencies) == 1
        return [
            line
            for line in self.customers
            if line.currency == currency
            or (line.currency is None and (alone or currency == NO_CURRENCY))
        ]

    def table(self, section: ReportSection = "customers") -> Table:
        """One section of the report as a `Table` (see `crmcore.tabular`).

        Sections: ``customers`` (one line each), ``records`` (per kind: read,
        analysed, left out), ``rejected``, ``stages``, ``currencies`` (value
        totals and the Pareto share), ``tiers``, ``pareto`` (the Pareto curve:
        customers by net value, largest first, with the cumulative shares),
        ``quadrants``, ``feedback`` (NPS and CSAT), ``sla``, ``at_risk``,
        ``care_plan`` and ``model`` (the purchase model's parameters and AICs).
        Sections kept per currency have a ``currency`` column.

        Raises:
            UsageError: There is no such section.

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> report.table("stages").names
            ('stage', 'customers', 'share')
            >>> sum(report.table("stages").column("customers"))
            20
        """
        build = _SECTIONS.get(section)
        if build is None:
            raise UsageError(
                f"A portfolio report has no section {section!r}; its sections: "
                f"{', '.join(_SECTIONS)}."
            )
        return build(self)

    def tables(self) -> dict[str, Table]:
        """Every section as a `Table`, by section name (see `table`).

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> list(report.tables())[:4]
            ['customers', 'records', 'rejected', 'stages']
        """
        return {name: build(self) for name, build in _SECTIONS.items()}

    def to_pandas(self, section: ReportSection = "customers") -> Any:
        """A section (the customer lines by default) as a pandas DataFrame.

        Money is a decimal amount with a currency column, timestamps are UTC,
        dates dates, enumerations strings (see `crmcore.tabular`).

        Raises:
            ImportError: pandas or pyarrow is not installed (``pip install 'crmcore[pandas]'``).
            UsageError: There is no such section.

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> str(report.to_pandas()["stage_since"].dtype)
            'datetime64[us, UTC]'
        """
        return self.table(section).to_pandas()

    def to_polars(self, section: ReportSection = "customers") -> Any:
        """A section (the customer lines by default) as a polars DataFrame.

        Raises:
            ImportError: polars is not installed (``pip install 'crmcore[polars]'``).
            UsageError: There is no such section.

        Examples:
            >>> from crmcore.datasets import generate
            >>> data = generate(customers=20, seed=3)
            >>> report = analyze(data.customers, data.transactions, as_of=data.end)
            >>> report.to_polars("care_plan").columns[:3]
            ['customer_id', 'due', 'purpose']
        """
        return self.table(section).to_polars()

    def _repr_html_(self) -> str:
        shown: tuple[ReportSection, ...] = (
            "records",
            "stages",
            "currencies",
            "tiers",
            "quadrants",
            "feedback",
            "sla",
        )
        parts = [
            f"<h4>Portfolio report as of {self.as_of.isoformat(timespec='seconds')}: "
            f"{len(self.customers):,} customers</h4>"
        ]
        parts.extend(self.table(name)._repr_html_() for name in shown)
        parts.append(
            "<p>More: <code>report.table(section)</code> for "
            + ", ".join(f"<code>{name}</code>" for name in _SECTIONS if name not in shown)
            + ".</p>"
        )
        return "".join(parts)


ReportSection = Literal[
    "customers",
    "records",
    "rejected",
    "stages",
    "currencies",
    "tiers",
    "pareto",
    "quadrants",
    "feedback",
    "sla",
    "at_risk",
    "care_plan",
    "model",
]


def _shares(name: str, key: Column, counts: Mapping[Any, int]) -> Table:
    total = sum(counts.values())
    return Table(
        name,
        (key, Column("customers", "integer"), Column("share", "number", "Of all customers.")),
        ((k, n, n / total if total else None) for k, n in counts.items()),
    )


def _records_table(report: PortfolioReport) -> Table:
    head = Table.of_type("records", RecordCount, report.records.values())
    kind = Column("kind", "text", "The record kind.")
    return head.extended([kind], ((k,) for k in report.records), front=True)


_CURRENCY = Column("currency", "text", "ISO 4217 code; XXX for customers with no amount.")


def _per_currency(name: str, kind: type[Any], report: PortfolioReport, attr: str) -> Table:
    items = [(c.currency, item) for c in report.currencies for item in getattr(c, attr)]
    head = Table.of_type(name, kind, (item for _, item in items))
    return head.extended([_CURRENCY], ((c,) for c, _ in items), front=True)


def _currencies_table(report: PortfolioReport) -> Table:
    kept = ("currency", "customers", "gross_value", "contribution", "net_value", "pareto")
    head = Table.of_type("currencies", CurrencyReport, report.currencies)
    index = [head.names.index(n) for n in kept]
    return Table(
        "currencies",
        [head.columns[i] for i in index],
        ([row[i] for i in index] for row in head.rows),
    )


def _pareto_table(report: PortfolioReport) -> Table:
    rows: list[tuple[Any, ...]] = []
    for group in report.currencies:
        values = sorted((line.net_value for line in report.lines_in(group.currency)), reverse=True)
        total = sum(values, Decimal(0))
        running = Decimal(0)
        for rank, value in enumerate(values, start=1):
            running += value
            rows.append(
                (
                    group.currency,
                    rank,
                    value,
                    rank / len(values),
                    float(running / total) if total else None,
                )
            )
    return Table(
        "pareto",
        (
            _CURRENCY,
            Column("rank", "integer", "1 for the customer of the largest net value."),
            Column("net_value", "decimal", "The customer's net value to date."),
            Column("customer_share", "number", "Share of the currency's customers up to this one."),
            Column(
                "value_share", "number", "Share of the total net value they hold; None at total 0."
            ),
        ),
        rows,
    )


def _feedback_table(report: PortfolioReport) -> Table:
    return Table(
        "feedback",
        (
            Column("measure", "text"),
            Column("score", "number", "NPS from -100 to 100; CSAT in % of ratings 4 or 5."),
            Column("ratings", "integer", "Ratings in the satisfaction window."),
        ),
        (("NPS", report.nps, report.nps_ratings), ("CSAT", report.csat, report.csat_ratings)),
    )


def _sla_table(report: PortfolioReport) -> Table:
    return Table(
        "sla",
        (Column("clock", "text"), Column("status", "text"), Column("complaints", "integer")),
        (
            (clock, status, count)
            for clock, counts in report.sla.items()
            for status, count in counts.items()
        ),
    )


def _model_table(report: PortfolioReport) -> Table:
    model = report.model
    rows: list[tuple[Any, ...]] = []
    if model.fitted is not None:
        names = (
            ("r", "alpha", "a", "b")
            if isinstance(model.fitted, BetaGeo)
            else ("r", "alpha", "s", "beta")
        )
        rows.extend((model.name, True, n, getattr(model.fitted, n)) for n in names)
    rows.extend((name, name == model.name, "AIC", aic) for name, aic in model.aic.items())
    return Table(
        "model",
        (
            Column("model", "text", "BG/NBD or Pareto/NBD."),
            Column("chosen", "boolean", "Whether the analysis used this model."),
            Column("parameter", "text", "A parameter of the model, or its AIC."),
            Column("estimate", "number", "alpha and beta in the unit of time of the fit."),
        ),
        rows,
    )


def _care_plan_table(report: PortfolioReport) -> Table:
    return report.care_plan.table()


_SECTIONS: dict[str, Callable[[PortfolioReport], Table]] = {
    "customers": lambda r: Table.of_type("customers", CustomerReport, r.customers),
    "records": _records_table,
    "rejected": lambda r: Table.of_type("rejected", RejectedRecord, r.rejected),
    "stages": lambda r: _shares("stages", Column("stage", "text"), r.stages),
    "currencies": _currencies_table,
    "tiers": lambda r: _per_currency("tiers", Tier, r, "tiers"),
    "pareto": _pareto_table,
    "quadrants": lambda r: _shares("quadrants", Column("quadrant", "text"), r.quadrants),
    "feedback": _feedback_table,
    "sla": _sla_table,
    "at_risk": lambda r: _per_currency("at_risk", AtRisk, r, "at_risk"),
    "care_plan": _care_plan_table,
    "model": _model_table,
}


_FIELDS = tuple(CustomerReport.model_fields)
_ALL_SET = set(_FIELDS)  # shared by the lines: none is ever changed (frozen)


def _line(values: dict[str, Any]) -> CustomerReport:
    """A customer line from values computed here (the per-line cost counts at scale).

    Tests check that the lines equal validated copies.
    """
    line = trusted(CustomerReport, values)
    object.__setattr__(line, "__pydantic_fields_set__", _ALL_SET)
    return line


def _plain(line: CustomerReport) -> dict[str, Any]:
    return {
        name: value.value if isinstance(value, str) and hasattr(value, "value") else value
        for name, value in ((name, getattr(line, name)) for name in _FIELDS)
    }


@cache
def _defaults(model: type[BaseModel]) -> dict[str, Any]:
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
        if not field.is_required()
    }


def _built(model: type[_M], **values: Any) -> _M:
    """A record rebuilt from a slim copy of values that were validated when read.

    The defaults are worked out once per class (``model_construct`` works them
    out every time, which costs more than the rest of a customer's analysis).
    """
    return trusted(model, {**_defaults(model), **values})


class _SlimCustomer(NamedTuple):
    """What the lifecycle and the care plan read of a customer, without the rest."""

    id: str
    acquired_at: datetime | None
    birthday: date | None
    important_dates: tuple[Any, ...]

    def customer(self) -> Customer:
        return _built(
            Customer,
            id=self.id,
            acquired_at=self.acquired_at,
            birthday=self.birthday,
            important_dates=self.important_dates,
        )


class _SlimContact(NamedTuple):
    """What the lifecycle, the churn ranking and the care plan read of a touchpoint."""

    occurred_at: datetime
    id: str
    direction: Direction
    attitude: Any
    kind: tuple[Any, Any, Any]  # stage, channel, function

    def touchpoint(self, customer_id: str) -> CareTouchpoint:
        feedback = None if self.attitude is None else Feedback(competitor_attitude=self.attitude)
        stage, channel, function = self.kind
        return _built(
            CareTouchpoint,
            id=self.id,
            customer_id=customer_id,
            occurred_at=self.occurred_at,
            stage=stage,
            channel=channel,
            function=function,
            direction=self.direction,
            feedback=feedback,
        )


def _slim_contact(contact: CareTouchpoint) -> _SlimContact:
    feedback = contact.feedback
    attitude = None if feedback is None else feedback.competitor_attitude
    kind = (contact.stage, contact.channel, contact.function)
    return _SlimContact(contact.occurred_at, contact.id, contact.direction, attitude, kind)


class _SlimComplaint(NamedTuple):
    """What the churn ranking and the care plan read of a complaint."""

    received_at: datetime
    id: str
    kind: tuple[Any, Any, Any]  # category, severity, status
    resolved_at: datetime | None

    def complaint(self, customer_id: str) -> Complaint:
        category, severity, status = self.kind
        resolved = self.resolved_at
        changes = () if resolved is None else (_resolved(resolved),)
        return _built(
            Complaint,
            id=self.id,
            customer_id=customer_id,
            received_at=self.received_at,
            category=category,
            severity=severity,
            status=status,
            status_changes=changes,
        )


def _resolved(at: datetime) -> StatusChange:
    return _built(StatusChange, status=ComplaintStatus.RESOLVED, at=at)


def _slim_complaint(complaint: Complaint) -> _SlimComplaint:
    kind = (complaint.category, complaint.severity, complaint.status)
    resolved = complaint.reached_at(ComplaintStatus.RESOLVED)
    return _SlimComplaint(complaint.received_at, complaint.id, kind, resolved)


class _Account:
    """What one customer keeps while the records stream past."""

    __slots__ = (
        "attitude_contact",
        "builders",
        "complaints",
        "currency",
        "customer",
        "first_outbound",
        "latest_contact",
        "latest_refund",
        "ledger",
        "occasions",
        "position",
        "trail",
    )

    def __init__(
        self, customer: Customer, run: AnalysisRun, currency: str | None, position: int
    ) -> None:
        self.position = position  # the customer's place in the customer list
        self.currency = currency  # all the customer's amounts are in it, once there is one
        self.customer = _SlimCustomer(
            customer.id, customer.acquired_at, customer.birthday, customer.important_dates
        )
        self.occasions = Occasions(keep_ids_from=run.keep_ids_from)
        self.builders = tuple(SummaryBuilder(customer, run.moment, w) for w in run.windows)
        self.ledger = Ledger(customer, run.moment, run.config.value.margin_rate)
        # the loyalty index at each promotion, when the lifecycle asks for it
        self.trail = (
            LoyaltyTrail(customer, run.config.loyalty.window)
            if run.config.lifecycle.loyal_min_loyalty is not None
            else None
        )
        self.latest_refund: tuple[datetime, str] | None = None
        self.first_outbound: _SlimContact | None = None
        self.latest_contact: _SlimContact | None = None
        self.attitude_contact: _SlimContact | None = None
        self.complaints: list[_SlimComplaint] = []

    def currency_problem(self, code: str | frozenset[str]) -> str | None:
        """Why a record with amounts in ``code`` (several: a set) cannot be taken, if it cannot."""
        if isinstance(code, frozenset):
            return mixed(code)
        if self.currency is None:
            self.currency = code
        elif code != self.currency:
            return (
                f"is {code}, but customer {self.customer.id!r} has amounts in "
                f"{self.currency}; one customer's amounts are in one currency"
            )
        return None


class AnalysisRun:
    """The settings of one analysis, worked out once."""

    def __init__(self, config: PortfolioConfig, moment: datetime) -> None:
        self.config, self.moment = config, moment
        self.windows: tuple[Period, ...] = tuple(
            dict.fromkeys((config.satisfaction.window, config.loyalty.window))
        )
        self.first = moment.date()
        self.last = self.first + timedelta(days=config.care_days - 1)
        self.opening = datetime.combine(self.first, time(), tzinfo=timezone.utc)
        follow_up = config.care.purchase_follow_up_days
        self.keep_ids_from = (
            None if follow_up is None else self.opening - timedelta(days=follow_up + 1)
        )
        complaint_days = config.care.complaint_follow_up_days
        self.resolved_from = (
            None if complaint_days is None else self.first - timedelta(days=complaint_days)
        )
        self.feedback_start = config.satisfaction.window.before(moment)


def analyze(
    customers: Iterable[Customer | Mapping[str, Any]],
    transactions: Iterable[Transaction | Mapping[str, Any]] = (),
    touchpoints: Iterable[CareTouchpoint | Mapping[str, Any]] = (),
    complaints: Iterable[Complaint | Mapping[str, Any]] = (),
    *,
    as_of: datetime | str,
    config: PortfolioConfig | None = None,
    check_ids: bool = False,
    on_error: OnError = "raise",
    progress: Callable[[str, int], None] | None = None,
) -> PortfolioReport:
    """Analyse a customer base as of a moment: per customer and for the portfolio.

    Each input is read once, in any order; records may be entities or
    mappings (validated here). Per customer: the lifecycle stage and since
    when, the satisfaction and loyalty indices with their coverage, the
    quadrant, the gross value, the profit contribution and the net value to
    date (see `CustomerReport`), the pyramid tier, the RFM scores
    and segment, P(alive) from a purchase model fitted on the portfolio —
    BG/NBD or Pareto/NBD, by default the one with the lower AIC (when
    ``config.value.fit_model`` and there are enough buyers), the value at
    risk, and the next care task. For the portfolio: counts per stage; per
    currency the value totals, the tier table with value shares and the
    Pareto share, and the top customers at risk; quadrant counts, NPS and
    CSAT over the satisfaction window's ratings, complaint SLA counts, and
    the care plan for ``config.care_days`` days from ``as_of``'s day. What
    was left out, and why, is counted in ``records``.

    Args:
        customers: The customer list (read first).
        transactions: Purchases and refunds.
        touchpoints: Care contacts.
        complaints: Complaints.
        as_of: The moment of the analysis; later records, and customers acquired
            later with their records, are left out (and counted).
        config: Policies and settings (default `PortfolioConfig()`).
        check_ids: Refuse a record id seen twice in one kind of record, as a
            bad record; it keeps every id, so memory grows with records.
            Without it, repeated ids are counted (by fingerprint) and warned
            about, and the records analysed.
        on_error: What to do with a bad record (a mapping that is not a valid
            record, a customer id seen twice, an amount in another currency
            than the customer's others, a repeated id with ``check_ids``): ``"raise"`` an
            [`InvalidRecord`][crmcore.errors.InvalidRecord] naming its file
            and line (or its position in the input), or ``"collect"``: leave
            it out, count it, and list it in the report's ``rejected``.
        progress: Called as ``progress(kind, records_so_far)`` every
            100,000 records and at the end of each kind.

    Warns:
        DuplicateIdWarning: Record ids were seen twice (without ``check_ids``).

    Raises:
        InvalidRecord: A bad record, with ``on_error="raise"`` (a mapping
            that is not valid is named by its position).
        DuplicateId: Two records share an id with ``check_ids`` and
            ``on_error="raise"``, or two customers do.

    Examples:
        >>> from crmcore.datasets import load_sample
        >>> data = load_sample()
        >>> report = analyze(data.customers, data.transactions, data.touchpoints,
        ...                  data.complaints, as_of=data.end)
        >>> len(report.customers), sum(report.stages.values())
        (500, 500)
        >>> [(c.currency, c.customers) for c in report.currencies]
        [('CNY', 500)]
        >>> round(sum(t.value_share for t in report.currencies[0].tiers), 6)
        1.0
    """
    at = to_moment(as_of)
    config = config or PortfolioConfig()
    if on_error not in ("raise", "collect"):
        raise UsageError(f"on_error must be 'raise' or 'collect', not {on_error!r}.")
    run = AnalysisRun(config, at)
    taken = take_records(
        Taken(),
        customers,
        {"transactions": transactions, "touchpoints": touchpoints, "complaints": complaints},
        run,
        check_ids=check_ids,
        on_error=on_error,
        progress=progress,
    )
    counts = merged_counts([taken])
    if not check_ids:
        warn_of_repeats(counts)
    context = PassContext(digest_accounts(taken, run), run)
    return assemble(run, context, [taken], [report_lines(taken, context, run)], counts)


_OCCURRED: Callable[[Any], datetime] = attrgetter("occurred_at")
_RECEIVED: Callable[[Any], datetime] = attrgetter("received_at")
_KINDS: tuple[RecordKind, ...] = ("customers", "transactions", "touchpoints", "complaints")
_ENTITIES: dict[RecordKind, type[Any]] = {
    "transactions": Transaction,
    "touchpoints": CareTouchpoint,
    "complaints": Complaint,
}


def lifecycle_states(
    histories: Mapping[str, CustomerHistory] | Iterable[CustomerHistory],
    report: PortfolioReport,
    *,
    config: PortfolioConfig | None = None,
) -> dict[str, LifecycleState]:
    """The lifecycle states behind a report's stages, with each customer's transition log.

    Replays each customer's history as `analyze` did, as of the report's
    moment with the configuration's lifecycle policy, the customer's P(alive)
    from the report, and the loyalty index when the policy asks for it; so
    each state's stage is the report's. The logs give the moves between
    stages over any period (`crmcore.plot.lifecycle_flows`).

    Args:
        histories: The customers' histories, by id or as a list.
        report: The report of `analyze` over the same records.
        config: The configuration of that analysis (the defaults when ``None``).

    Raises:
        UsageError: A history is of a customer the report does not hold.

    Examples:
        >>> from crmcore import build_histories
        >>> from crmcore.datasets import generate
        >>> data = generate(customers=20, seed=3)
        >>> report = analyze(data.customers, data.transactions, as_of=data.end)
        >>> states = lifecycle_states(build_histories(data.customers, data.transactions), report)
        >>> all(states[line.customer_id].stage is line.stage for line in report.customers)
        True
    """
    settings = config or PortfolioConfig()
    policy = settings.lifecycle
    moment = report.as_of
    lines = {line.customer_id: line for line in report.customers}
    items = histories.values() if isinstance(histories, Mapping) else histories
    states: dict[str, LifecycleState] = {}
    for history in items:
        line = lines.get(history.customer_id)
        if line is None:
            raise UsageError(
                f"Cannot replay customer {history.customer_id!r}: the report has no line "
                "of that customer (give the histories of the customers analysed)."
            )
        loyalty_at: Callable[[datetime], float | None] | None = None
        if policy.loyal_min_loyalty is not None:
            trail = LoyaltyTrail(history.customer, settings.loyalty.window)
            for sale in history.transactions:
                if sale.occurred_at <= moment:
                    trail.sale(sale)
            for contact in history.touchpoints:
                if contact.occurred_at <= moment:
                    trail.contact(contact)
            for complaint in history.complaints:
                if complaint.received_at <= moment:
                    trail.complaint(complaint)
            loyalty_at = loyalty_source(trail, config=settings.loyalty)
        states[history.customer_id] = replay(
            history, as_of=moment, policy=policy, p_alive=line.p_alive, loyalty=loyalty_at
        )
    return states


class Taken:
    """The records of some customers, taken in: their accounts, and what was counted on the way.

    The whole portfolio is one; a partition of the customers (with their
    records) is another, and the partitions' results merge (`assemble`).
    """

    def __init__(self) -> None:
        self.accounts: dict[str, _Account] = {}
        self.counts: dict[RecordKind, RecordCount] = {}
        # the first records left out, each with where it was met (kind, position) to merge by
        self.ids: dict[RecordKind, Ids] = {}  # the records' ids, to count repeats by
        self.unknown: Kept = Kept()
        self.rejected: Kept = Kept()
        self.ratings: dict[str, Counter[int]] = {"recommend": Counter(), "satisfaction": Counter()}
        self.sla: dict[str, dict[SlaStatus, int]] = {
            "first_response": dict.fromkeys(SlaStatus, 0),
            "resolution": dict.fromkeys(SlaStatus, 0),
        }
        # the rows crmcore's readers could not read, when a worker read files itself
        self.unread: dict[RecordKind, Any] = {}


def take_records(
    taken: Taken,
    customers: Iterable[Any],
    records: Mapping[RecordKind, Iterable[Any]],
    run: AnalysisRun,
    *,
    check_ids: bool,
    on_error: OnError,
    progress: Callable[[str, int], None] | None,
    tables: Mapping[RecordKind, str] | None = None,
    columns: Callable[[type[BaseModel]], Callable[[str], str]] | None = None,
) -> Taken:
    """Stream the customers, then their records, into accounts.

    ``columns`` gives, for an entity class, the column a field path of an
    error names, for rows read from tables (the reader's layout).

    With ``tables`` (how errors name each kind's table), every input comes as
    (position, record) pairs, the position being the record's place in its
    whole table (a partition's records are a part of it); otherwise records
    are numbered as they come.
    """
    moment, accounts = run.moment, taken.accounts
    numbered = tables is not None
    rejected = _Placed(taken.rejected, 0)
    people = Intake(
        customers,
        Customer,
        "customers",
        on_error,
        progress,
        rejected,
        numbered=numbered,
        name=None if tables is None else tables["customers"],
        rename=columns(Customer) if numbered and columns else None,
    )
    future: set[str] = set()  # customers acquired after as_of: not yet customers then
    for customer in people:
        code = currency_of(customer)
        if customer.acquired_at is not None and customer.acquired_at > moment:
            people.count.after_as_of += 1
            future.add(customer.id)
        elif customer.id in accounts:
            people.count.duplicate_ids += 1
            if on_error == "raise":
                raise DuplicateId("customer", customer.id)
            people.reject(customer, "id", "another customer has the same id")
        elif isinstance(code, frozenset):
            people.reject(customer, None, mixed(code))
        else:
            accounts[customer.id] = _Account(customer, run, code, people.position)
    taken.counts["customers"] = people.count.result(people.read)

    def stream(kind: RecordKind, when: Callable[[Any], datetime]) -> Iterator[tuple[_Account, Any]]:
        order = _KINDS.index(kind)
        source = Intake(
            records.get(kind, ()),
            _ENTITIES[kind],
            kind,
            on_error,
            progress,
            _Placed(taken.rejected, order),
            numbered=numbered,
            name=None if tables is None else tables[kind],
            rename=columns(_ENTITIES[kind]) if numbered and columns else None,
        )
        count = source.count
        ids = Ids(exact=check_ids)
        for record in source:
            if ids.seen(record.id):  # only ever true with check_ids
                count.duplicate_ids += 1
                if on_error == "raise":
                    raise DuplicateId(source.single, record.id)
                source.reject(record, "id", f"another {source.single} has the same id")
                continue
            if when(record) > moment:
                count.after_as_of += 1
                continue
            account = accounts.get(record.customer_id)
            if account is None and record.customer_id in future:
                count.after_as_of += 1
                continue
            if account is None:
                count.unknown_customer += 1
                unknown = UnknownRecord(
                    kind=source.single, record_id=record.id, customer_id=record.customer_id
                )
                taken.unknown.add(((order, source.position), unknown))
                continue
            code = currency_of(record)
            if code is not None and code != account.currency:
                problem = account.currency_problem(code)
                if problem is not None:
                    source.reject(record, _CURRENCY_FIELD[kind], problem)
                    continue
            yield account, record
        if not check_ids:  # counted once every partition's ids are known (`merged_counts`)
            taken.ids[kind] = ids
        taken.counts[kind] = count.result(source.read)

    for account, sale in stream("transactions", _OCCURRED):
        _take_sale(account, sale, run)
    for account, contact in stream("touchpoints", _OCCURRED):
        _take_contact(account, contact, run, taken.ratings)
    for account, complaint in stream("complaints", _RECEIVED):
        _take_complaint(account, complaint, run, taken.sla)
    return taken


class _Placed:
    """A `Kept` list that records each item with the place it was met (kind, position)."""

    def __init__(self, kept: Kept, order: int) -> None:
        self.kept, self.order = kept, order

    def add(self, item: RejectedRecord) -> None:
        self.kept.add(((self.order, item.line), item))


_CURRENCY_FIELD: dict[RecordKind, str | None] = {
    "customers": None,
    "transactions": "amount.currency",
    "touchpoints": "cost.currency",
    "complaints": None,
}


def _take_sale(account: _Account, sale: Transaction, run: AnalysisRun) -> None:
    at = sale.occurred_at
    for builder in account.builders:
        builder.sale(sale)
    account.ledger.sale(sale)
    if account.trail is not None and at <= run.moment:
        account.trail.sale(sale)
    if sale.kind is TransactionKind.PURCHASE:
        account.occasions.add(at, sale.id, sale.amount.amount)
    elif at < run.opening:
        latest = account.latest_refund
        if latest is None or (at, sale.id) > latest:
            account.latest_refund = (at, sale.id)


def _later(a: _SlimContact | None, b: CareTouchpoint) -> bool:
    return a is None or (b.occurred_at, b.id) > (a.occurred_at, a.id)


def _take_contact(
    account: _Account, contact: CareTouchpoint, run: AnalysisRun, ratings: dict[str, Counter[int]]
) -> None:
    at = contact.occurred_at
    for builder in account.builders:
        builder.contact(contact)
    account.ledger.contact(contact)
    if account.trail is not None and at <= run.moment:
        account.trail.contact(contact)
    compact: _SlimContact | None = None  # one compact copy, however many slots keep it
    if contact.direction is Direction.OUTBOUND:
        first = account.first_outbound
        if first is None or (at, contact.id) < (first.occurred_at, first.id):
            account.first_outbound = compact = _slim_contact(contact)
    if at < run.opening and _later(account.latest_contact, contact):
        account.latest_contact = compact = compact or _slim_contact(contact)
    feedback = contact.feedback
    if feedback is None:
        return
    if feedback.competitor_attitude is not None and _later(account.attitude_contact, contact):
        account.attitude_contact = compact or _slim_contact(contact)
    if at > run.feedback_start:
        if feedback.recommend is not None:
            ratings["recommend"][feedback.recommend] += 1
        if feedback.satisfaction is not None:
            ratings["satisfaction"][feedback.satisfaction] += 1


def _take_complaint(
    account: _Account, complaint: Complaint, run: AnalysisRun, sla: dict[str, dict[SlaStatus, int]]
) -> None:
    for builder in account.builders:
        builder.complaint(complaint)
    account.ledger.complaint(complaint)
    if account.trail is not None and complaint.received_at <= run.moment:
        account.trail.complaint(complaint)
    report = sla_status(complaint, as_of=run.moment, policy=run.config.sla)
    sla["first_response"][report.first_response.status] += 1
    sla["resolution"][report.resolution.status] += 1
    resolved = complaint.reached_at(ComplaintStatus.RESOLVED)
    if complaint.is_open or (
        run.resolved_from is not None
        and resolved is not None
        and resolved.date() >= run.resolved_from
    ):
        account.complaints.append(_slim_complaint(complaint))  # what at_risk and the care plan read


class _DayPurchase(NamedTuple):
    """A purchase day of a customer, as the RFM summary reads it."""

    customer_id: str
    occurred_at: datetime
    kind: TransactionKind
    amount: Money


def _activity(account: _Account, occasions: list[Occasion]) -> CustomerActivity:
    """What the lifecycle, the churn ranking and the care plan read of one customer.

    Per purchase day the moments of its first and its last purchase (the
    first one's id where kept), the latest refund before the plan, and the
    touchpoints and complaints that can still matter.
    """
    cid = account.customer.id
    sales: list[SaleMoment] = []
    for occasion in occasions:
        sales.append(SaleMoment(occasion.first_id, occasion.first, _PURCHASE))
        if occasion.last != occasion.first:
            sales.append(SaleMoment(None, occasion.last, _PURCHASE))
    if account.latest_refund is not None:
        at, refund_id = account.latest_refund
        sales.append(SaleMoment(refund_id, at, _REFUND))
    sales.sort(key=lambda t: (t.occurred_at, t.id or ""))
    kept = {account.first_outbound, account.latest_contact, account.attitude_contact} - {None}
    contacts = sorted(kept, key=lambda c: (c.occurred_at, c.id))  # type: ignore[union-attr]
    return CustomerActivity(
        account.customer.customer(),
        tuple(sales),
        tuple(c.touchpoint(cid) for c in contacts),  # type: ignore[union-attr]
        tuple(k.complaint(cid) for k in sorted(account.complaints)),
    )


_PURCHASE, _REFUND = TransactionKind.PURCHASE, TransactionKind.REFUND


def _fit(rows: list[RfmRow], settings: ValueSettings) -> ModelReport:
    if not settings.fit_model:
        return ModelReport(fitted=None, reason="model fitting is switched off (fit_model)")
    if len(rows) < settings.min_model_customers:
        return ModelReport(
            fitted=None,
            reason=f"{len(rows)} buying customers, fewer than min_model_customers "
            f"({settings.min_model_customers})",
        )
    auto = settings.transaction_model == "auto"
    names = list(_MODELS) if auto else [settings.transaction_model]
    fitted: dict[str, BetaGeo | ParetoNBD] = {}
    failed: dict[str, str] = {}
    for name in names:
        try:
            fitted[name] = _MODELS[name].fit(rows)
        except (ModelFitError, ValueError) as exc:
            failed[name] = f"{name} could not be fitted: {exc}"
    if not fitted:
        return ModelReport(fitted=None, reason="; ".join(failed.values()))
    aic = {name: model.aic for name, model in fitted.items() if model.aic is not None}
    name = min(fitted, key=lambda n: aic.get(n, math.inf))  # a tie keeps BG/NBD, listed first
    if not auto:
        choice = "named by transaction_model"
    elif failed:
        choice = f"the only model fitted ({'; '.join(failed.values())})"
    else:
        figures = " and ".join(f"{n} {aic[n]:,.1f}" for n in names)
        choice = f"the lower AIC of {figures}"
    chosen: Literal["BG/NBD", "Pareto/NBD"] = "BG/NBD" if name == "BG/NBD" else "Pareto/NBD"
    return ModelReport(fitted=fitted[name], reason=None, name=chosen, choice=choice, aic=aic)


class Digest(NamedTuple):
    """What the portfolio-wide figures need of one customer (pass 1)."""

    position: int  # the customer's place in the customer list
    customer_id: str
    currency: str | None  # of the customer's value; None without any amount
    value: float  # the net value to date
    rfm: RfmRow | None  # None without a purchase
    yearly_spend: float | None  # over the loyalty window


def digest_accounts(taken: Taken, run: AnalysisRun) -> list[Digest]:
    """Pass 1 over some customers: the figures the portfolio-wide quantities are made of."""
    settings, window = run.config.value, run.config.loyalty.window
    found = []
    for cid, account in taken.accounts.items():
        historical = ledger_value(account.ledger, cid)
        currency = account.ledger.currency or NO_CURRENCY
        occasions = account.occasions.finish()
        days = [
            _DayPurchase(cid, o.first, TransactionKind.PURCHASE, Money._trusted(o.total, currency))
            for o in occasions
        ]
        rows = rfm_summary(
            days, observation_end=run.moment, unit=settings.rfm_unit, periods=settings.rfm_periods
        )
        builder = next(b for b in account.builders if b.period == window)
        found.append(
            Digest(
                account.position,
                cid,
                historical.currency,
                float(historical.value),
                rows[0] if rows else None,
                builder.finish(occasions).yearly_spend,
            )
        )
    return found


class PassContext:
    """The portfolio-wide quantities (pass 1, merged): currency groups, pyramids, RFM, model.

    Worked out from every customer's `Digest`, in the customer list's order
    whatever the partitions they came from; each customer's line (pass 2)
    then needs only its own records and these.
    """

    def __init__(self, digests: Iterable[Digest], run: AnalysisRun) -> None:
        settings = run.config.value
        ordered = sorted(digests)  # by position: the customer list's order
        self.values = {d.customer_id: d.value for d in ordered}
        self.groups = _groups({d.customer_id: d.currency for d in ordered})
        self.group_of = {cid: code for code, members in self.groups.items() for cid in members}
        rows = [d.rfm for d in ordered if d.rfm is not None]
        self.scores: dict[str, tuple[str, RfmSegment]] = {}
        for members in self.groups.values():
            inside = set(members)
            self.scores |= {
                s.customer_id: (s.code, s.segment)
                for s in rfm_scores(
                    [r for r in rows if r.customer_id in inside], monetary=settings.rfm_monetary
                )
            }
        self.model = _fit(rows, settings)
        self.rfm = {r.customer_id: r for r in rows}
        self.pyramids = {
            code: pyramid(
                {cid: self.values[cid] for cid in members}, shares=settings.pyramid_shares
            )
            for code, members in self.groups.items()
        }
        spends = {d.customer_id: d.yearly_spend for d in ordered}
        self.key_spend = {
            code: _key_yearly_spend(levels, spends) for code, levels in self.pyramids.items()
        }

    def sliced(self, ids: Iterable[str]) -> PassContext:
        """The context of some customers only: all their lines need, for a worker to be sent.

        The model, the currency groups and each pyramid's levels stay; the
        per-customer tables (values, groups' members, RFM, tiers) keep these
        customers' entries only.
        """
        mine = list(ids)
        part = copy.copy(self)
        part.values = {cid: self.values[cid] for cid in mine}
        part.group_of = {cid: self.group_of[cid] for cid in mine}
        part.groups = {code: [] for code in self.groups}
        for cid in mine:
            part.groups[part.group_of[cid]].append(cid)
        part.scores = {cid: self.scores[cid] for cid in mine if cid in self.scores}
        part.rfm = {cid: self.rfm[cid] for cid in mine if cid in self.rfm}
        part.pyramids = {
            code: levels.model_copy(
                update={
                    "tiers": {c: levels.tiers[c] for c in part.groups[code] if c in levels.tiers}
                }
            )
            for code, levels in self.pyramids.items()
        }
        return part

    def p_alive(self, cid: str) -> float | None:
        fitted, row = self.model.fitted, self.rfm.get(cid)
        if fitted is None or row is None:
            return None
        return fitted.p_alive(frequency=row.frequency, recency=row.recency, T=row.T, unit=row.unit)


class Part:
    """Pass 2 over some customers: their lines, their top customers at risk, their care tasks."""

    def __init__(self, groups: Iterable[str]) -> None:
        self.lines: list[tuple[int, CustomerReport]] = []
        self.ranked: dict[str, list[AtRisk]] = {code: [] for code in groups}  # the top so far
        self.tasks: list[CareTask] = []
        self.held: list[CareTask] = []


def _by_risk(r: AtRisk) -> tuple[Decimal, str]:
    return (-r.value_at_risk, r.customer_id)


def report_lines(taken: Taken, context: PassContext, run: AnalysisRun) -> Part:
    """Pass 2: each customer's line, from its own records and the portfolio-wide quantities."""
    config, moment, values = run.config, run.moment, context.values
    settings = config.value
    part = Part(context.groups)
    accounts = taken.accounts
    # each account is let go once its line is made, so lines replace accounts in memory
    for cid in list(accounts):
        account = accounts.pop(cid)
        occasions = account.occasions.finish()
        history = _activity(account, occasions)
        p_alive = context.p_alive(cid)
        state, opening_state = _replayed(
            history,
            run,
            p_alive,
            None if account.trail is None else loyalty_source(account.trail, config=config.loyalty),
        )
        summaries = {b.period: b.finish(occasions) for b in account.builders}
        happy = satisfaction(
            summaries[config.satisfaction.window], as_of=moment, config=config.satisfaction
        )
        loyal = loyalty(summaries[config.loyalty.window], as_of=moment, config=config.loyalty)
        group = context.group_of[cid]
        tiers = context.pyramids[group]
        tier = tiers.tiers.get(cid)
        tier_group = tiers.group_of(cid)
        wallet_left = summaries[config.loyalty.window].wallet_left
        potential = None
        wallet, key = summaries[config.loyalty.window].wallet, context.key_spend[group]
        # undetermined without a key customer's spend to compare with, or across currencies
        if tier_group == "ordinary" and wallet_left is not None and key is not None:
            potential = wallet_left >= key if wallet and wallet.currency == group else None
        risk = at_risk(
            [history],
            as_of=moment,
            values=values,
            p_alive=None if p_alive is None else {cid: p_alive},
            policy=config.lifecycle,
            states={cid: state},
        )
        ranking = part.ranked[group]
        ranking += risk
        if len(ranking) > 2 * config.top_at_risk + 100:
            part.ranked[group] = sorted(ranking, key=_by_risk)[: config.top_at_risk]
        plan = plan_care(
            [history],
            start=run.first,
            end=run.last,
            policy=config.care,
            tiers={} if tier is None else {cid: tier},
            values=values,
            lifecycle=config.lifecycle,
            states={cid: opening_state},
        )
        part.tasks += plan.tasks
        part.held += plan.throttled
        following = plan.tasks[0] if plan.tasks else None
        historical = ledger_value(account.ledger, cid)
        profit = ledger_profitability(account.ledger, cid, settings.profitability)
        score = context.scores.get(cid)
        line = _line(
            {
                "customer_id": cid,
                "stage": state.stage,
                "stage_since": state.since,
                "satisfaction": happy.value,
                "satisfaction_coverage": happy.coverage,
                "loyalty": loyal.value,
                "loyalty_coverage": loyal.coverage,
                "quadrant": quadrant(happy, loyal, thresholds=config.quadrants),
                "currency": historical.currency,
                "gross_value": historical.revenue - historical.refunds,
                "contribution": historical.contribution,
                "net_value": historical.value,
                "profitable": profit.profitable,
                "tier": tier,
                "tier_name": None if tier is None else _tier_name(tiers, tier),
                "tier_group": tier_group,
                "wallet_left": wallet_left,
                "upgrade_potential": potential,
                "rfm_code": None if score is None else score[0],
                "rfm_segment": None if score is None else score[1],
                "p_alive": p_alive,
                "value_at_risk": risk[0].value_at_risk if risk else None,
                "next_care_due": None if following is None else following.due,
                "next_care_purpose": None if following is None else following.purpose,
                "next_care_channel": None if following is None else following.channel,
            }
        )
        part.lines.append((account.position, line))
    return part


def _replayed(
    history: CustomerActivity,
    run: AnalysisRun,
    p_alive: float | None,
    loyalty: Callable[[datetime], float | None] | None,
) -> tuple[LifecycleState, LifecycleState]:
    """A customer's state as of the analysis and as of the care plan's start, from one replay.

    The replay stops at the earlier of the two moments and the time rules
    carry it to the later one; only a customer with records between the
    care plan's start and a later ``as_of`` is replayed to ``as_of`` again.
    """
    policy, moment, opening = run.config.lifecycle, run.moment, run.opening
    if opening > moment:
        base = replay(history, as_of=moment, policy=policy, loyalty=loyalty)
        return (
            advance(base, as_of=moment, policy=policy, p_alive=p_alive),
            advance(base, as_of=opening, policy=policy),
        )
    base = replay(history, as_of=opening, policy=policy, loyalty=loyalty)
    since = [t.occurred_at for t in history.transactions if t.occurred_at > opening]
    since += [p.occurred_at for p in history.touchpoints if p.occurred_at > opening]
    if since:
        state = replay(history, as_of=moment, policy=policy, p_alive=p_alive, loyalty=loyalty)
    else:
        state = advance(base, as_of=moment, policy=policy, p_alive=p_alive)
    return state, base


def merged_counts(takens: Sequence[Taken]) -> dict[RecordKind, RecordCount]:
    """The record counts of the whole input: the partitions' summed, repeated ids among all."""
    counts: dict[RecordKind, RecordCount] = {}
    for kind in _KINDS:
        found = [t.counts[kind] for t in takens if kind in t.counts]
        if not found:
            continue
        total = {name: sum(getattr(c, name) for c in found) for name in RecordCount.model_fields}
        ids = [t.ids[kind] for t in takens if kind in t.ids]
        if ids:
            total["duplicate_ids"] += Ids.merged(ids).repeats()
        counts[kind] = RecordCount(**total)
    return counts


def warn_of_repeats(counts: Mapping[RecordKind, RecordCount]) -> None:
    repeated: dict[str, int] = {  # analysed all the same (customers never are)
        k: n.duplicate_ids for k, n in counts.items() if n.duplicate_ids and k != "customers"
    }
    if repeated:
        warnings.warn(DuplicateIdWarning(repeated), stacklevel=3)


def _first_kept(kept: Iterable[Kept]) -> tuple[Any, ...]:
    """The first `KEPT_RECORDS` items of several partitions, in the order they were met."""
    placed = sorted((item for part in kept for item in part), key=lambda pair: pair[0])
    return tuple(item for _, item in placed[:KEPT_RECORDS])


def assemble(
    run: AnalysisRun,
    context: PassContext,
    takens: Sequence[Taken],
    parts: Sequence[Part],
    counts: dict[RecordKind, RecordCount],
) -> PortfolioReport:
    """The report of the whole portfolio from its partitions' intakes and lines."""
    config, groups = run.config, context.groups

    def order(task: CareTask) -> tuple[Any, ...]:
        return (task.due, task.priority, task.customer_id, task.rule.value)

    lines = [line for _, line in sorted((p for part in parts for p in part.lines), key=_first)]
    stages = dict.fromkeys(LifecycleStage, 0)
    quadrants = dict.fromkeys(Quadrant, 0)
    totals = dict.fromkeys(groups, (0, _ZERO, _ZERO, _ZERO))
    for line in lines:
        stages[line.stage] += 1
        quadrants[line.quadrant] += 1
        code = context.group_of[line.customer_id]
        number, gross, contribution, net = totals[code]
        totals[code] = (
            number + 1,
            gross + line.gross_value,
            contribution + line.contribution,
            net + line.net_value,
        )
    recommend: Counter[int] = Counter()
    stars: Counter[int] = Counter()
    sla: dict[str, dict[SlaStatus, int]] = {
        "first_response": dict.fromkeys(SlaStatus, 0),
        "resolution": dict.fromkeys(SlaStatus, 0),
    }
    for taken in takens:
        recommend.update(taken.ratings["recommend"])
        stars.update(taken.ratings["satisfaction"])
        for clock, statuses in taken.sla.items():
            for status, n in statuses.items():
                sla[clock][status] += n
    return PortfolioReport(
        as_of=run.moment,
        customers=tuple(lines),
        records=counts,
        unknown_records=_first_kept(t.unknown for t in takens),
        rejected=_first_kept(t.rejected for t in takens),
        stages=stages,
        currencies=tuple(
            CurrencyReport(
                currency=code,
                customers=totals[code][0],
                gross_value=totals[code][1],
                contribution=totals[code][2],
                net_value=totals[code][3],
                tiers=context.pyramids[code].levels,
                pareto=context.pyramids[code].pareto,
                at_risk=tuple(
                    sorted((r for p in parts for r in p.ranked[code]), key=_by_risk)[
                        : config.top_at_risk
                    ]
                ),
            )
            for code in sorted(groups)
        ),
        quadrants=quadrants,
        nps=nps(recommend.elements()),
        nps_ratings=recommend.total(),
        csat=csat(stars.elements()),
        csat_ratings=stars.total(),
        sla=sla,
        care_plan=CarePlan(
            start=run.first,
            end=run.last,
            tasks=tuple(sorted((t for p in parts for t in p.tasks), key=order)),
            throttled=tuple(sorted((t for p in parts for t in p.held), key=order)),
        ),
        model=context.model,
    )


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _groups(currencies: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The customers of each currency, in the customer list's order.

    A customer with no amount joins the portfolio's currency if it has
    exactly one, and the group `NO_CURRENCY` otherwise.
    """
    codes = {code for code in currencies.values() if code is not None}
    fallback = next(iter(codes)) if len(codes) == 1 else NO_CURRENCY
    groups: dict[str, list[str]] = {}
    for cid, code in currencies.items():
        groups.setdefault(code or fallback, []).append(cid)
    return groups


def _key_yearly_spend(tiers: Pyramid, spends: Mapping[str, float | None]) -> float | None:
    """The median yearly spend (over the loyalty window) of a pyramid's key customers.

    ``None`` without key customers, or when their median spend is not above 0
    (no key customer bought in the window): nothing to measure potential by.
    """
    found = [
        spends[cid] or 0.0
        for cid, number in tiers.tiers.items()
        if tiers.levels[number - 1].group == "key"
    ]
    median = statistics.median(found) if found else 0.0
    return median if median > 0 else None


def _tier_name(tiers: Pyramid, number: int) -> str:
    return tiers.levels[number - 1].name
