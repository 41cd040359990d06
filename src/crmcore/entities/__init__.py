"""The four entities of crmcore and their vocabularies."""

from __future__ import annotations

from crmcore.entities.complaint import Complaint, StatusChange
from crmcore.entities.customer import PERSONAL_FIELDS, Customer, ImportantDate
from crmcore.entities.enums import (
    Channel,
    ChurnReason,
    ChurnSide,
    CompetitorAttitude,
    ComplaintCategory,
    ComplaintStatus,
    ContactFunction,
    CustomerKind,
    Direction,
    InformationSource,
    PurchaseStage,
    RecoveryAction,
    RelationshipLevel,
    Severity,
    TransactionKind,
)
from crmcore.entities.touchpoint import CareTouchpoint, Feedback
from crmcore.entities.transaction import Transaction

__all__ = [
    "PERSONAL_FIELDS",
    "CareTouchpoint",
    "Channel",
    "ChurnReason",
    "ChurnSide",
    "CompetitorAttitude",
    "Complaint",
    "ComplaintCategory",
    "ComplaintStatus",
    "ContactFunction",
    "Customer",
    "CustomerKind",
    "Direction",
    "Feedback",
    "ImportantDate",
    "InformationSource",
    "PurchaseStage",
    "RecoveryAction",
    "RelationshipLevel",
    "Severity",
    "StatusChange",
    "Transaction",
    "TransactionKind",
]
