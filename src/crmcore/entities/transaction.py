"""The transaction: one purchase, or one refund of an earlier purchase."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from crmcore._types import Id, Label, NonNegativeDuration, NonNegativeMoney, Timestamp
from crmcore.entities._base import Entity
from crmcore.entities.enums import TransactionKind
from crmcore.money import Money

__all__ = ["Transaction"]


class Transaction(Entity):
    """One purchase or refund by one customer.

    ``amount`` is what was paid (for a refund: what was paid back) and is never
    negative; a free item is a real purchase of 0. ``list_amount`` is the price
    before discount and cannot be below ``amount``. ``list_amount`` and
    ``cost`` must be in the currency of ``amount``.

    Optional facts feed the scores: ``designated`` (the customer asked for our
    brand by name, 指名), ``promotion`` (bought in response to a promotion) and
    ``selection_time`` (how long the customer took to choose). ``None`` means
    *not recorded*, which is different from ``False``.

    Examples:
        >>> from crmcore import Money, Transaction
        >>> t = Transaction(
        ...     id="T-1",
        ...     customer_id="C-1",
        ...     occurred_at="2024-05-01T10:30:00+08:00",
        ...     amount=Money("80.00", "CNY"),
        ...     list_amount=Money("100.00", "CNY"),
        ... )
        >>> t.discount
        Money('20.00', 'CNY')
        >>> t.signed_amount
        Money('80.00', 'CNY')
    """

    customer_id: Id = Field(description="The id of the customer who bought (or was refunded).")
    occurred_at: Timestamp = Field(
        description="When the purchase or refund happened (timezone-aware)."
    )
    kind: TransactionKind = Field(
        default=TransactionKind.PURCHASE, description="A purchase or a refund."
    )
    amount: NonNegativeMoney = Field(
        description="What was paid, or paid back for a refund; 0 or more, with its currency."
    )
    list_amount: NonNegativeMoney | None = Field(
        default=None, description="Price before discount; at least `amount`."
    )
    cost: NonNegativeMoney | None = Field(default=None, description="Cost of goods sold.")
    quantity: int = Field(default=1, ge=1, description="How many units were bought, 1 or more.")
    product: Label | None = Field(default=None, description="The product bought.")
    category: Label | None = Field(default=None, description="The product category.")
    channel: Label | None = Field(
        default=None, description="Where it was bought (store, web shop, phone...)."
    )
    designated: bool | None = Field(
        default=None, description="The customer asked for our brand by name."
    )
    promotion: bool | None = Field(default=None, description="Bought in response to a promotion.")
    selection_time: NonNegativeDuration | None = Field(
        default=None, description="How long the customer took to choose."
    )
    refund_of: Id | None = Field(
        default=None, description="For a refund: the id of the purchase refunded."
    )

    @model_validator(mode="after")
    def _amounts_agree(self) -> Transaction:
        for name in ("list_amount", "cost"):
            other: Money | None = getattr(self, name)
            if other is not None and other.currency != self.amount.currency:
                raise PydanticCustomError(
                    "currency_mismatch",
                    "{field} is in {other} but amount is in {currency}; "
                    "one transaction has one currency",
                    {"field": name, "other": other.currency, "currency": self.amount.currency},
                )
        if self.list_amount is not None and self.list_amount.amount < self.amount.amount:
            raise PydanticCustomError(
                "list_below_paid",
                "list_amount ({list_amount}) must not be below amount ({amount}): "
                "the price before discount cannot be less than the price paid",
                {"list_amount": str(self.list_amount), "amount": str(self.amount)},
            )
        if self.refund_of is not None and self.kind is not TransactionKind.REFUND:
            raise PydanticCustomError(
                "refund_of_on_purchase", "refund_of is only allowed on a refund"
            )
        return self

    @property
    def is_purchase(self) -> bool:
        """True for a purchase, False for a refund."""
        return self.kind is TransactionKind.PURCHASE

    @property
    def signed_amount(self) -> Money:
        """The amount as revenue: positive for a purchase, negative for a refund."""
        return self.amount if self.is_purchase else -self.amount

    @property
    def discount(self) -> Money | None:
        """``list_amount - amount``, or ``None`` when the list price is not recorded."""
        return None if self.list_amount is None else self.list_amount - self.amount
