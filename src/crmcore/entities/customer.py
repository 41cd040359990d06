"""The customer: a person or an organisation the firm sells to or wants to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, JsonValue, model_validator
from pydantic_core import PydanticCustomError

from crmcore._model import Value
from crmcore._types import CalendarDate, Label, NonNegativeMoney, Timestamp, masked_keys
from crmcore.entities._base import Entity
from crmcore.entities.enums import CustomerKind, InformationSource, RelationshipLevel

__all__ = ["PERSONAL_FIELDS", "Customer", "ImportantDate", "SegmentValue"]

#: The fields of a `Customer` that hold personal data: masked in ``repr()``
#: and erased by `Customer.anonymized`.
PERSONAL_FIELDS = ("name", "email", "phone", "birthday", "important_dates")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"\+?[0-9(][0-9 ()./-]{1,30}[0-9]")

#: The value of one segmentation attribute (age band, income, industry, size...).
SegmentValue = str | int | float | bool


def _check_email(value: str) -> str:
    if _EMAIL.fullmatch(value) is None:
        raise PydanticCustomError(
            "email_format", "email must look like name@domain.tld, without spaces"
        )
    return value


def _check_phone(value: str) -> str:
    if _PHONE.fullmatch(value) is None or sum(ch.isdigit() for ch in value) < 3:
        raise PydanticCustomError(
            "phone_format",
            "phone must be digits with optional leading '+' and spaces, dots, dashes "
            "or parentheses between them",
        )
    return value


Email = Annotated[str, AfterValidator(_check_email)]
Phone = Annotated[str, AfterValidator(_check_phone)]


class ImportantDate(Value):
    """A date worth remembering for the customer, recurring every year.

    Examples are a wedding anniversary or a company's founding day; the
    customer's birthday has its own field.

    Examples:
        >>> ImportantDate(label="wedding anniversary", date="2015-10-01").date.month
        10
    """

    label: Label = Field(description="What the date is (wedding anniversary, company founding...).")
    date: CalendarDate = Field(description="The day it falls on; it recurs every year.")


class Customer(Entity):
    """A person or an organisation: identity, contact data, segment and acquisition.

    Personal data (``name``, ``email``, ``phone``, ``birthday``,
    ``important_dates``) is masked in ``repr()`` and ``str()``, never echoed in
    validation errors, and erased by
    [`anonymized()`][crmcore.entities.customer.Customer.anonymized].

    Examples:
        >>> from crmcore import Customer, Money
        >>> alice = Customer(
        ...     id="C-1",
        ...     name="Alice Zhang",
        ...     email="alice@example.com",
        ...     acquired_at="2024-03-01",
        ...     acquisition_cost=Money("120.00", "CNY"),
        ... )
        >>> alice
        Customer(id='C-1', kind=<...>, name='***', email='***', phone=None, birthday=None, ...)
        >>> alice.acquired_at.isoformat()
        '2024-03-01T00:00:00+00:00'
    """

    kind: CustomerKind = Field(
        default=CustomerKind.INDIVIDUAL,
        description="An individual (a consumer) or an organization (a business customer).",
    )
    name: Label | None = Field(
        default=None,
        description="The customer's name (personal data: masked in reprs, erased by anonymized()).",
    )
    email: Email | None = Field(default=None, description="E-mail address (personal data).")
    phone: Phone | None = Field(
        default=None, description="Phone number, digits with an optional leading + (personal data)."
    )
    birthday: CalendarDate | None = Field(
        default=None, description="Date of birth, for birthday care (personal data)."
    )
    important_dates: tuple[ImportantDate, ...] = Field(
        default=(),
        description="Other dates the customer cares about, each with a label (personal data).",
    )
    region: Label | None = Field(
        default=None, description="Where the customer is, as the firm labels regions."
    )
    segment: Annotated[dict[Label, SegmentValue], masked_keys("segment")] = Field(
        default_factory=dict,
        description="Segmentation attributes: age band, gender, income, occupation, "
        "industry, size...",
    )
    acquired_at: Timestamp | None = Field(
        default=None, description="When the firm first captured this contact."
    )
    acquisition_channel: Label | None = Field(
        default=None, description="The channel through which the customer was acquired."
    )
    information_source: InformationSource | None = Field(
        default=None,
        description="Where the firm got the customer's information (a direct or indirect channel).",
    )
    acquisition_cost: NonNegativeMoney | None = Field(
        default=None, description="What acquiring the customer cost (net value deducts it)."
    )
    wallet: NonNegativeMoney | None = Field(
        default=None,
        description="Estimated yearly spend on this product category with all suppliers.",
    )
    relationship_level: RelationshipLevel = Field(
        default=RelationshipLevel.PASSERBY,
        description="The depth of the relationship, from passer-by to partner.",
    )
    attributes: Annotated[dict[str, JsonValue], masked_keys("attributes")] = Field(
        default_factory=dict,
        description="JSON-compatible extras; do not keep personal data here.",
    )
    erased: bool = Field(
        default=False, description="True once personal data has been erased by `anonymized()`."
    )

    personal_fields: ClassVar[tuple[str, ...]] = PERSONAL_FIELDS

    @model_validator(mode="after")
    def _erased_means_erased(self) -> Customer:
        if self.erased and any(getattr(self, name) not in (None, ()) for name in PERSONAL_FIELDS):
            raise PydanticCustomError(
                "erased_with_personal_data",
                "erased is true but personal data is present; use anonymized() to erase it",
            )
        return self

    def anonymized(self, *, keep_attributes: Iterable[str] = ()) -> Customer:
        """Return a copy with personal data erased and the analysis data kept.

        Name, e-mail, phone, birthday and important dates are removed, and so
        are the free ``attributes`` except the keys listed in
        ``keep_attributes`` (they may hold personal data). The id, kind, region,
        segment, acquisition data, wallet and relationship level stay, so the
        customer's transactions remain usable for analysis.

        Args:
            keep_attributes: Keys of ``attributes`` known to hold no personal data.

        Examples:
            >>> c = Customer(id="C-1", name="Alice", attributes={"tier": "gold", "wechat": "a1"})
            >>> erased = c.anonymized(keep_attributes=["tier"])
            >>> erased.name, erased.attributes, erased.erased
            (None, {'tier': 'gold'}, True)
        """
        keep = set(keep_attributes)
        return self.model_copy(
            update={
                "name": None,
                "email": None,
                "phone": None,
                "birthday": None,
                "important_dates": (),
                "attributes": {k: v for k, v in self.attributes.items() if k in keep},
                "erased": True,
            }
        )
