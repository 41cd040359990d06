"""crmcore: the typed, embeddable domain core of customer relationship management.

The names a typical workflow needs are re-exported here — the entities and
their vocabularies, `Money` and `Period`, histories and summaries, the
lifecycle (`replay`, `observe`), the headline scores (`satisfaction`,
`loyalty`, `delivered_value`, `nps`, `csat`, `quadrant`), customer value
(`historical_value`, `profitability`, `pyramid`, `rfm_summary`, `rfm_scores`,
`BetaGeo`, `GammaGamma`, `lifetime_value`), care and retention (`plan_care`,
`at_risk`, `win_back_plan`, `cohorts`), the readers and writers, `analyze`,
and the errors most often caught. Everything else is in its module, which is
the API of its concept:

* [`crmcore.money`][crmcore.money]: `Money`, exact amounts with a currency;
* [`crmcore.entities`][crmcore.entities]: `Customer`, `Transaction`,
  `CareTouchpoint`, `Complaint` and their vocabularies;
* [`crmcore.history`][crmcore.history]: `CustomerHistory`, one customer's records,
  and `CustomerSummary`, what one pass over them yields;
* [`crmcore.lifecycle`][crmcore.lifecycle]: the customer lifecycle state machine,
  its policy and `replay`;
* [`crmcore.complaints`][crmcore.complaints]: the complaint workflow and SLA targets;
* [`crmcore.period`][crmcore.period]: `Period`, calendar lengths such as 12 months;
* [`crmcore.scoring`][crmcore.scoring]: satisfaction and loyalty indices, delivered
  value, survey measures and the satisfaction-loyalty matrix;
* [`crmcore.retention`][crmcore.retention]: cohort retention and the relationship funnel;
* [`crmcore.value`][crmcore.value]: purchase summaries, lifetime value (historical,
  retention-based, BG/NBD and Gamma-Gamma), profitability, the pyramid and RFM;
* [`crmcore.errors`][crmcore.errors]: the error tree under `CrmError`;
* [`crmcore.io`][crmcore.io]: CSV and JSON Lines readers and writers;
* [`crmcore.datasets`][crmcore.datasets]: the embedded sample portfolio and a generator;
* `crmcore.strategies`: hypothesis strategies (needs the ``strategies`` or ``test`` extra).

Examples:
    >>> import crmcore
    >>> sample = crmcore.datasets.load_sample()
    >>> len(sample.customers)
    500
"""

from __future__ import annotations

from crmcore import (
    complaints,
    datasets,
    entities,
    errors,
    io,
    lifecycle,
    portfolio,
    retention,
    scoring,
    value,
)
from crmcore._schemas import json_schemas
from crmcore._version import __version__
from crmcore.entities import (
    CareTouchpoint,
    Channel,
    ChurnReason,
    ChurnSide,
    CompetitorAttitude,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    ContactFunction,
    Customer,
    CustomerKind,
    Direction,
    Feedback,
    ImportantDate,
    InformationSource,
    PurchaseStage,
    RecoveryAction,
    RelationshipLevel,
    Severity,
    StatusChange,
    Transaction,
    TransactionKind,
)
from crmcore.errors import (
    CrmError,
    CurrencyMismatch,
    InvalidRecord,
    InvalidTransition,
    UsageError,
)
from crmcore.history import CustomerHistory, CustomerSummary, build_histories, summarize
from crmcore.io import read_csv, read_jsonl, write_csv, write_jsonl
from crmcore.lifecycle import (
    LifecyclePolicy,
    LifecycleStage,
    LifecycleState,
    RecordedEvent,
    observe,
    replay,
)
from crmcore.money import Money
from crmcore.period import Period
from crmcore.portfolio import PortfolioConfig, PortfolioReport, analyze
from crmcore.retention import at_risk, cohorts, plan_care, win_back_plan
from crmcore.scoring import (
    LoyaltyConfig,
    SatisfactionConfig,
    csat,
    delivered_value,
    loyalty,
    nps,
    quadrant,
    satisfaction,
)
from crmcore.value import (
    BetaGeo,
    GammaGamma,
    historical_value,
    lifetime_value,
    profitability,
    pyramid,
    rfm_scores,
    rfm_summary,
)

__all__ = [
    "BetaGeo",
    "CareTouchpoint",
    "Channel",
    "ChurnReason",
    "ChurnSide",
    "CompetitorAttitude",
    "Complaint",
    "ComplaintCategory",
    "ComplaintStatus",
    "ContactFunction",
    "CrmError",
    "CurrencyMismatch",
    "Customer",
    "CustomerHistory",
    "CustomerKind",
    "CustomerSummary",
    "Direction",
    "Feedback",
    "GammaGamma",
    "ImportantDate",
    "InformationSource",
    "InvalidRecord",
    "InvalidTransition",
    "LifecyclePolicy",
    "LifecycleStage",
    "LifecycleState",
    "LoyaltyConfig",
    "Money",
    "Period",
    "PortfolioConfig",
    "PortfolioReport",
    "PurchaseStage",
    "RecordedEvent",
    "RecoveryAction",
    "RelationshipLevel",
    "SatisfactionConfig",
    "Severity",
    "StatusChange",
    "Transaction",
    "TransactionKind",
    "UsageError",
    "__version__",
    "analyze",
    "at_risk",
    "build_histories",
    "cohorts",
    "complaints",
    "csat",
    "datasets",
    "delivered_value",
    "entities",
    "errors",
    "historical_value",
    "io",
    "json_schemas",
    "lifecycle",
    "lifetime_value",
    "loyalty",
    "nps",
    "observe",
    "plan_care",
    "portfolio",
    "profitability",
    "pyramid",
    "quadrant",
    "read_csv",
    "read_jsonl",
    "replay",
    "retention",
    "rfm_scores",
    "rfm_summary",
    "satisfaction",
    "scoring",
    "summarize",
    "value",
    "win_back_plan",
    "write_csv",
    "write_jsonl",
]
