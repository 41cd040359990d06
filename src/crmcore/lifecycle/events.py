"""Events staff record about a customer (qualifications, defections), replayed with its records."""

from __future__ import annotations

from typing import ClassVar

from pydantic import (
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crmcore._model import Value
from crmcore._types import Id, Label, Text, Timestamp
from crmcore.entities.enums import ChurnReason
from crmcore.lifecycle.table import Event, LifecycleEvent


class RecordedEvent(Value):
    """A lifecycle event recorded by staff: a qualification, a disqualification, a defection...

    Purchases are not recorded events: they are transactions. A churn event
    for a customer who has already churned records the reason a departure
    interview found: it gives the latest churn that reason, and the stage
    stays ``churned``.

    Examples:
        >>> RecordedEvent(customer_id="C-1", event="churn", at="2024-05-01",
        ...               reason="relocation").reason.side
        <ChurnSide.CUSTOMER: 'customer'>
    """

    customer_id: Id
    event: LifecycleEvent
    at: Timestamp
    id: Id | None = Field(default=None, description="The id of the record, if it has one.")
    reason: ChurnReason | None = Field(
        default=None, description="Why the customer churned; churn events only (default unknown)."
    )
    actor: Label | None = None
    note: Text | None = None

    personal_fields: ClassVar[tuple[str, ...]] = ("note",)

    @model_validator(mode="after")
    def _fits_the_event(self) -> RecordedEvent:
        if self.event is Event.PURCHASE:
            raise PydanticCustomError(
                "purchase_event", "a purchase is recorded as a transaction, not as an event"
            )
        if self.reason is not None and self.event is not Event.CHURN:
            raise PydanticCustomError("reason_without_churn", "only a churn event takes a reason")
        return self
