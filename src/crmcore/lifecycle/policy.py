"""When promotion, demotion, churn and qualification happen: the lifecycle policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from operator import sub

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from crmcore._types import PositiveDuration, median_span
from crmcore.period import Period


class LifecyclePolicy(BaseModel):
    """When the time- and data-driven moves happen: promotion, demotion, churn, qualification.

    The defaults: a repeat buyer becomes loyal with at least 4 purchase
    occasions, 3 of them within the last 12 months, and — loyal by preference,
    not only by habit — a loyalty index of at least 60 at that moment (when
    the index has a value); stays loyal while at least 2 occasions fall within
    the last 12 months; churns after a hiatus longer than the larger of 180
    days and 3 times the customer's median gap between occasions, or when a
    supplied probability alive falls below 0.5. A potential customer becomes
    a target when the firm decides so (a recorded ``qualify`` event), or on
    the firm's first outbound contact if ``qualify_on_contact`` is set.

    Examples:
        >>> policy = LifecyclePolicy.model_validate_json('{"loyal_window": "P6M"}')
        >>> policy.loyal_window, policy.loyal_min_occasions
        (Period('P6M'), 4)
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_timedelta="iso8601")

    loyal_min_occasions: int = Field(
        default=4, ge=1, description="Purchase occasions needed, in all, to be promoted to loyal."
    )
    loyal_min_recent: int = Field(
        default=3, ge=1, description="Of those, how many must fall within loyal_window."
    )
    loyal_keep_recent: int = Field(
        default=2,
        ge=1,
        description=(
            "A loyal customer is demoted when fewer occasions than this fall within "
            "loyal_window; below loyal_min_recent it keeps customers from flapping."
        ),
    )
    loyal_window: Period = Field(
        default=Period(years=1),
        description="How long an occasion counts as recent (an ISO 8601 duration such as P12M).",
    )
    churn_min_hiatus: PositiveDuration = Field(
        default=timedelta(days=180),
        description="The shortest hiatus after which a buying customer churns (at most 100 years).",
    )
    churn_gap_multiple: float = Field(
        default=3.0,
        ge=0,
        le=20,
        allow_inf_nan=False,
        description="The hiatus threshold is at least this many median gaps between occasions.",
    )
    churn_p_alive_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="A supplied probability alive below this churns a buying customer.",
    )
    loyal_min_loyalty: float | None = Field(
        default=60.0,
        ge=0,
        le=100,
        description=(
            "Promotion also needs a loyalty index at least this high at that moment (when "
            "the index has a value): loyal by preference, not only by purchases. The "
            "default is the matrix's loyal threshold; None promotes by purchases alone."
        ),
    )
    qualify_on_contact: bool = Field(
        default=False,
        description=(
            "When set, the firm's first outbound contact with a potential customer makes "
            "them a target; otherwise only a recorded qualify event does."
        ),
    )

    @model_validator(mode="after")
    def _thresholds_are_ordered(self) -> LifecyclePolicy:
        if not self.loyal_keep_recent <= self.loyal_min_recent <= self.loyal_min_occasions:
            raise PydanticCustomError(
                "loyalty_thresholds",
                "loyalty thresholds must satisfy loyal_keep_recent <= loyal_min_recent <= "
                "loyal_min_occasions (got {keep}, {recent}, {occasions})",
                {
                    "keep": self.loyal_keep_recent,
                    "recent": self.loyal_min_recent,
                    "occasions": self.loyal_min_occasions,
                },
            )
        return self


DEFAULT_POLICY = LifecyclePolicy()


def hiatus_threshold(
    occasions: Sequence[datetime], policy: LifecyclePolicy | None = None
) -> timedelta:
    """How long a customer with these purchase occasions may go without buying before churning.

    The larger of ``churn_min_hiatus`` and ``churn_gap_multiple`` times the
    median gap between consecutive occasions (``churn_min_hiatus`` with fewer
    than two occasions).

    Examples:
        >>> from datetime import datetime, timezone
        >>> days = [datetime(2024, m, 1, tzinfo=timezone.utc) for m in (1, 4, 7, 10)]
        >>> hiatus_threshold(days).days
        273
    """
    rules = policy or DEFAULT_POLICY
    gaps: list[timedelta] = list(map(sub, occasions[1:], occasions[:-1]))
    if not gaps:
        return rules.churn_min_hiatus
    return max(rules.churn_min_hiatus, median_span(gaps) * rules.churn_gap_multiple)
