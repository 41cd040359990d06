"""The complaint: a customer's expressed dissatisfaction and how it was handled."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from crmcore._model import Value
from crmcore._types import Id, Label, NonNegativeMoney, Text, Timestamp
from crmcore.entities._base import Entity
from crmcore.entities.enums import ComplaintCategory, ComplaintStatus, RecoveryAction, Severity

__all__ = ["Complaint", "StatusChange"]


_FOUND_VALID = (
    ComplaintStatus.RESOLVING,
    ComplaintStatus.RESOLVED,
    ComplaintStatus.FOLLOWED_UP,
    ComplaintStatus.CLOSED,
)


def outcome_problem(
    status: ComplaintStatus, valid: bool | None, accepted: bool | None
) -> str | None:
    """What contradicts a complaint's status in its assessment and outcome, if anything.

    A rejected complaint was judged not valid; one being or having been
    resolved was judged valid; a closed one has an outcome the customer accepted.
    """
    if status is ComplaintStatus.REJECTED and valid is True:
        return "it is recorded as valid (a rejection judges it not valid)"
    if status in _FOUND_VALID and valid is False:
        return "it is recorded as not valid (only a valid complaint is resolved)"
    if status is ComplaintStatus.CLOSED and accepted is not True:
        return "the customer's acceptance of the outcome is not recorded (accepted must be true)"
    return None


class StatusChange(Value):
    """One change of a complaint's status: the new status, when, by whom, and why.

    Examples:
        >>> StatusChange(status="acknowledged", at="2024-05-02", actor="agent-7").status
        <ComplaintStatus.ACKNOWLEDGED: 'acknowledged'>
    """

    status: ComplaintStatus = Field(description="The status entered.")
    at: Timestamp = Field(description="When the status was entered (timezone-aware).")
    actor: Label | None = Field(default=None, description="Who made the change.")
    note: Text | None = Field(
        default=None, description="Free text about the change (personal data: masked in reprs)."
    )

    personal_fields: ClassVar[tuple[str, ...]] = ("note",)


class Complaint(Entity):
    """A complaint, its assessment, its resolution and its status history.

    ``status_changes`` lists every status the complaint moved to after
    ``received``, in time order, none earlier than ``received_at``; ``status``
    is the last one (``received`` when there is none).

    Examples:
        >>> from crmcore import Complaint
        >>> c = Complaint(
        ...     id="K-1",
        ...     customer_id="C-1",
        ...     received_at="2024-05-02T09:00:00+08:00",
        ...     category="delivery",
        ...     severity="high",
        ...     status="acknowledged",
        ...     status_changes=[{"status": "acknowledged", "at": "2024-05-02T10:00:00+08:00"}],
        ... )
        >>> c.reached_at("acknowledged").isoformat()
        '2024-05-02T10:00:00+08:00'
    """

    customer_id: Id = Field(description="The id of the customer who complained.")
    transaction_id: Id | None = Field(
        default=None, description="The transaction complained about, if any."
    )
    received_at: Timestamp = Field(
        description="When the complaint was received (timezone-aware); the SLA clocks start here."
    )
    category: ComplaintCategory = Field(
        description="What the complaint is about (product quality, service, price...)."
    )
    severity: Severity = Field(description="How serious it is; it sets the SLA targets.")
    status: ComplaintStatus = Field(
        default=ComplaintStatus.RECEIVED, description="Where the complaint stands in its workflow."
    )
    description: Text | None = Field(
        default=None, description="What the customer said (personal data: masked in reprs)."
    )
    valid: bool | None = Field(default=None, description="Whether the complaint was judged valid.")
    resolution: Text | None = Field(
        default=None, description="How it was resolved (personal data: masked in reprs)."
    )
    recovery_actions: tuple[RecoveryAction, ...] = Field(
        default=(),
        description="What was done to win the customer back (apology, refund, replacement...).",
    )
    compensation: NonNegativeMoney | None = Field(
        default=None, description="What the customer was given in money."
    )
    handling_cost: NonNegativeMoney | None = Field(
        default=None, description="What handling the complaint cost the firm."
    )
    accepted: bool | None = Field(
        default=None, description="Whether the customer accepted the outcome."
    )
    escalated_at: Timestamp | None = Field(
        default=None, description="When the complaint was escalated to a manager."
    )
    status_changes: tuple[StatusChange, ...] = Field(
        default=(), description="Every status change, in time order: the workflow's log."
    )

    #: Free text that may tell of the customer: masked in ``repr()``, erased by `anonymized`.
    personal_fields: ClassVar[tuple[str, ...]] = ("description", "resolution")

    def anonymized(self) -> Complaint:
        """A copy with the free text erased: description, resolution and the notes of changes.

        Who made each change, and when, stay: they are the firm's, not the customer's.

        Examples:
            >>> from crmcore import Complaint
            >>> k = Complaint(id="K-1", customer_id="C-1", received_at="2024-05-02",
            ...               category="staff", severity="low", description="Rude to Ms Li")
            >>> k
            Complaint(id='K-1', customer_id='C-1', ..., description='***', ...)
            >>> k.anonymized().description is None
            True
        """
        changes = tuple(c.model_copy(update={"note": None}) for c in self.status_changes)
        return self.model_copy(
            update={"description": None, "resolution": None, "status_changes": changes}
        )

    @model_validator(mode="after")
    def _history_is_consistent(self) -> Complaint:
        previous = self.received_at
        for index, change in enumerate(self.status_changes):
            if change.at < previous:
                raise PydanticCustomError(
                    "status_change_order",
                    "status_changes[{index}] ({status} at {at}) is earlier than the "
                    "preceding change or the receipt",
                    {"index": index, "status": str(change.status), "at": change.at.isoformat()},
                )
            previous = change.at
        last = self.status_changes[-1].status if self.status_changes else ComplaintStatus.RECEIVED
        if self.status is not last:
            raise PydanticCustomError(
                "status_mismatch",
                "status is {status} but the last status change is to {last}",
                {"status": str(self.status), "last": str(last)},
            )
        if len(set(self.recovery_actions)) != len(self.recovery_actions):
            raise PydanticCustomError(
                "duplicate_recovery_action", "recovery_actions must not repeat an action"
            )
        problem = outcome_problem(self.status, self.valid, self.accepted)
        if problem is not None:
            raise PydanticCustomError(
                "status_contradicts_outcome",
                "status is {status} but {problem}",
                {"status": str(self.status), "problem": problem},
            )
        if self.escalated_at is not None and self.escalated_at < self.received_at:
            raise PydanticCustomError(
                "escalated_before_received", "escalated_at must not be before received_at"
            )
        return self

    def reached_at(self, status: ComplaintStatus | str) -> datetime | None:
        """When the complaint first moved to ``status``, or ``None`` if it never did.

        ``received`` is reached at ``received_at``.

        Examples:
            >>> from crmcore import Complaint
            >>> Complaint(id="K-2", customer_id="C-1", received_at="2024-01-01",
            ...           category="price", severity="low").reached_at("resolved") is None
            True
        """
        wanted = ComplaintStatus(status)
        if wanted is ComplaintStatus.RECEIVED:
            return self.received_at
        return next((c.at for c in self.status_changes if c.status is wanted), None)

    @property
    def is_open(self) -> bool:
        """False once the complaint is closed or rejected."""
        return self.status not in (ComplaintStatus.CLOSED, ComplaintStatus.REJECTED)
