"""The care touchpoint: one contact between the firm and a customer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from crmcore._model import Value
from crmcore._types import Id, Label, NonNegativeMoney, Text, Timestamp
from crmcore.entities._base import Entity
from crmcore.entities.enums import (
    Channel,
    CompetitorAttitude,
    ContactFunction,
    Direction,
    PurchaseStage,
)

__all__ = ["CareTouchpoint", "Feedback"]


class Feedback(Value):
    """What the customer told us during a contact; at least one signal is required.

    Examples:
        >>> Feedback(recommend=9, praise=True).recommend
        9
    """

    recommend: int | None = Field(
        default=None, ge=0, le=10, description="Likelihood to recommend, 0 to 10."
    )
    satisfaction: int | None = Field(
        default=None, ge=1, le=5, description="Satisfaction, 1 (very low) to 5 (very high)."
    )
    praise: bool | None = Field(default=None, description="The customer praised us.")
    referral: bool | None = Field(default=None, description="The customer referred someone.")
    competitor_attitude: CompetitorAttitude | None = Field(
        default=None, description="The customer's stance towards competing brands, when stated."
    )
    note: Text | None = Field(
        default=None, description="Free text about the contact (personal data: masked in reprs)."
    )

    personal_fields: ClassVar[tuple[str, ...]] = ("note",)

    @model_validator(mode="after")
    def _not_empty(self) -> Feedback:
        if all(value is None for value in self.__dict__.values()):
            raise PydanticCustomError(
                "empty_feedback",
                "feedback must carry at least one signal; leave it out when there is none",
            )
        return self


class CareTouchpoint(Entity):
    """One contact, in either direction, before, during or after a purchase.

    Examples:
        >>> from crmcore import CareTouchpoint
        >>> call = CareTouchpoint(
        ...     id="P-1",
        ...     customer_id="C-1",
        ...     occurred_at="2024-05-08",
        ...     stage="post_purchase",
        ...     channel="phone",
        ...     function="care",
        ...     direction="outbound",
        ...     feedback={"satisfaction": 5},
        ... )
        >>> call.feedback.satisfaction
        5
    """

    customer_id: Id = Field(description="The id of the customer contacted.")
    occurred_at: Timestamp = Field(description="When the contact happened (timezone-aware).")
    stage: PurchaseStage = Field(description="Before, during or after the purchase.")
    channel: Channel = Field(description="How the contact was made (phone, e-mail, visit...).")
    function: ContactFunction = Field(
        description="What the contact was for (care, service, sales, win-back...)."
    )
    direction: Direction = Field(
        description="Inbound (the customer reached out) or outbound (the firm did)."
    )
    purpose: Label | None = Field(default=None, description="Why the contact was made.")
    responded: bool | None = Field(
        default=None, description="For an outbound contact: whether the customer responded."
    )
    cost: NonNegativeMoney | None = Field(default=None, description="What the contact cost.")
    feedback: Feedback | None = Field(
        default=None, description="What the customer said: ratings, praise, referral, attitude."
    )

    def anonymized(self) -> CareTouchpoint:
        """A copy with the feedback's free text erased (and the feedback, if nothing is left).

        Examples:
            >>> from crmcore import CareTouchpoint
            >>> contact = CareTouchpoint(
            ...     id="P-1", customer_id="C-1", occurred_at="2024-05-02", stage="post_purchase",
            ...     channel="phone", function="care", direction="outbound",
            ...     feedback={"satisfaction": 4, "note": "Her son starts school"})
            >>> contact.feedback
            Feedback(recommend=None, satisfaction=4, ..., note='***')
            >>> erased = contact.anonymized()
            >>> erased.feedback.satisfaction, erased.feedback.note
            (4, None)
        """
        feedback = self.feedback
        if feedback is None or feedback.note is None:
            return self
        kept = {k: v for k, v in feedback.__dict__.items() if k != "note" and v is not None}
        return self.model_copy(update={"feedback": Feedback.model_validate(kept) if kept else None})
