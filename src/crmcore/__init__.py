"""crmcore: the typed, embeddable domain core of customer relationship management.

The names users need are re-exported here; the modules hold the details:

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
from crmcore.errors import CrmError, CurrencyMismatch
from crmcore.history import CustomerHistory, CustomerSummary, build_histories, summarize
from crmcore.lifecycle import LifecyclePolicy, LifecycleStage, LifecycleState
from crmcore.money import Money
from crmcore.period import Period
from crmcore.portfolio import PortfolioConfig, PortfolioReport, analyze

__all__ = [
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
    "ImportantDate",
    "InformationSource",
    "LifecyclePolicy",
    "LifecycleStage",
    "LifecycleState",
    "Money",
    "Period",
    "PortfolioConfig",
    "PortfolioReport",
    "PurchaseStage",
    "RecoveryAction",
    "RelationshipLevel",
    "Severity",
    "StatusChange",
    "Transaction",
    "TransactionKind",
    "__version__",
    "analyze",
    "build_histories",
    "complaints",
    "datasets",
    "entities",
    "errors",
    "io",
    "json_schemas",
    "lifecycle",
    "portfolio",
    "retention",
    "scoring",
    "summarize",
    "value",
]
