"""What the retention rules share about their inputs: records, recorded events, values."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from crmcore.errors import UsageError
from crmcore.history import CustomerActivity, CustomerHistory
from crmcore.lifecycle import RecordedEvent
from crmcore.value.profit import historical_value
from crmcore.value.pyramid import pyramid

#: A customer's records, whole or as its activity.
Records = CustomerHistory | CustomerActivity


def histories_of(
    histories: Mapping[str, Records] | Iterable[Records],
) -> list[Records]:
    """The histories given, as a list, from a mapping by id or an iterable."""
    return list(histories.values() if isinstance(histories, Mapping) else histories)


def events_by_customer(
    events: Iterable[RecordedEvent],
) -> dict[str, list[RecordedEvent]]:
    """The recorded events grouped by customer, each customer's in the order given."""
    grouped: dict[str, list[RecordedEvent]] = {}
    for event in events:
        grouped.setdefault(event.customer_id, []).append(event)
    return grouped


def values_of(
    histories: Sequence[Records], moment: datetime, values: Mapping[str, float] | None
) -> dict[str, float]:
    """Each customer's value: from ``values`` (0 when missing), else its historical value."""
    if values is not None:
        given = {h.customer_id: float(values.get(h.customer_id, 0.0)) for h in histories}
        odd = [cid for cid, value in given.items() if not math.isfinite(value)]
        if odd:
            raise UsageError(
                f"The value of customer {odd[0]!r} is not a finite number: {given[odd[0]]!r}."
            )
        return given
    found = {}
    for h in histories:
        if isinstance(h, CustomerActivity):
            raise UsageError(
                f"Cannot value customer {h.customer_id!r} from an activity, which has no "
                "amounts: give values=."
            )
        found[h.customer_id] = float(historical_value(h, as_of=moment).value)
    return found


def tiers_of(tiers: Mapping[str, int] | None, worth: Mapping[str, float]) -> dict[str, int]:
    """The tiers given, or the customer pyramid over the customers' values."""
    return dict(tiers) if tiers is not None else dict(pyramid(worth).tiers)
