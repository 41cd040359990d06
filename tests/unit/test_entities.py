from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from crmcore import (
    CareTouchpoint,
    Complaint,
    ComplaintStatus,
    Customer,
    CustomerHistory,
    CustomerKind,
    Feedback,
    Money,
    RelationshipLevel,
    Transaction,
    TransactionKind,
)
from crmcore.entities import PERSONAL_FIELDS
from tests.conftest import make_purchase

PURCHASE = {
    "id": "T-1",
    "customer_id": "C-1",
    "occurred_at": "2024-05-01T10:00:00+08:00",
    "amount": {"amount": "80.00", "currency": "CNY"},
}
TOUCHPOINT = {
    "id": "P-1",
    "customer_id": "C-1",
    "occurred_at": "2024-05-08T10:00:00+08:00",
    "stage": "post_purchase",
    "channel": "phone",
    "function": "care",
    "direction": "outbound",
}
COMPLAINT = {
    "id": "K-1",
    "customer_id": "C-1",
    "received_at": "2024-05-02T09:00:00+08:00",
    "category": "delivery",
    "severity": "high",
}


# -- timestamps -----------------------------------------------------------------------


def test_a_naive_datetime_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"occurred_at\n.*timezone-aware"):
        Transaction.model_validate({**PURCHASE, "occurred_at": datetime(2024, 5, 1, 10)})
    with pytest.raises(ValidationError, match=r"occurred_at\n.*timezone-aware"):
        Transaction.model_validate({**PURCHASE, "occurred_at": "2024-05-01T10:00:00"})


def test_timestamps_with_one_utc_offset_share_one_time_zone_object() -> None:
    first = make_purchase("T-1", datetime.fromisoformat("2024-03-01T09:00:00+08:00"))
    second = Transaction.model_validate_json(
        '{"id": "T-2", "customer_id": "C-1", "occurred_at": "2024-03-02T09:00:00+08:00",'
        ' "amount": {"amount": "1", "currency": "CNY"}}'
    )
    assert first.occurred_at.tzinfo is second.occurred_at.tzinfo
    assert first.occurred_at == datetime(2024, 3, 1, 1, tzinfo=timezone.utc)


def test_a_named_fixed_offset_keeps_its_name() -> None:
    named = timezone(timedelta(hours=8), "CST")
    sale = make_purchase("T-1", datetime(2024, 3, 1, 9, tzinfo=named))
    assert sale.occurred_at.tzname() == "CST"


def test_a_bare_date_means_midnight_utc() -> None:
    for value in (date(2024, 5, 1), "2024-05-01"):
        sale = Transaction.model_validate({**PURCHASE, "occurred_at": value})
        assert sale.occurred_at == datetime(2024, 5, 1, tzinfo=timezone.utc)


def test_the_given_offset_is_kept_not_converted() -> None:
    sale = Transaction.model_validate(PURCHASE)
    assert sale.occurred_at.utcoffset() == timedelta(hours=8)
    assert (
        Transaction.model_validate({**PURCHASE, "occurred_at": "2024-05-01T02:00:00Z"}).occurred_at
        == sale.occurred_at
    )


def test_an_unparseable_timestamp_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"occurred_at\n.*must be an ISO 8601 date"):
        Transaction.model_validate({**PURCHASE, "occurred_at": "last tuesday"})


# -- customer -----------------------------------------------------------------------------


def test_a_customer_needs_only_an_id(alice: Customer) -> None:
    bare = Customer(id="C-9")
    assert bare.kind is CustomerKind.INDIVIDUAL
    assert bare.relationship_level is RelationshipLevel.PASSERBY
    assert bare.segment == {}
    assert alice.important_dates[0].date == date(2016, 10, 1)


def test_entities_are_frozen(alice: Customer) -> None:
    with pytest.raises(ValidationError, match="frozen"):
        alice.name = "Bob"  # type: ignore[misc]


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"nickname\n.*Extra inputs are not permitted"):
        Customer.model_validate({"id": "C-1", "nickname": "Al"})


def test_an_unknown_enum_value_lists_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="Input should be 'individual' or 'organization'"):
        Customer.model_validate({"id": "C-1", "kind": "robot"})
    with pytest.raises(
        ValidationError, match="'passerby', 'acquaintance', 'friend' or 'confidant'"
    ):
        Customer.model_validate({"id": "C-1", "relationship_level": "enemy"})


@pytest.mark.parametrize("bad_id", ["", " C-1", "C-1 ", "x" * 129])
def test_ids_must_be_non_empty_and_unpadded(bad_id: str) -> None:
    with pytest.raises(ValidationError, match=r"^1 validation error for Customer\nid\n"):
        Customer(id=bad_id)


def test_repr_and_str_mask_personal_data(alice: Customer) -> None:
    for text in (repr(alice), str(alice)):
        for secret in ("Alice", "alice.zhang", "138 0013", "1990", "2016-10-01", "wedding"):
            assert secret not in text
        assert "name='***'" in text
        assert "region='Shanghai'" in text


def test_absent_personal_data_is_shown_as_none_not_masked() -> None:
    assert "name=None" in repr(Customer(id="C-2"))


def test_validation_errors_never_echo_personal_data() -> None:
    with pytest.raises(ValidationError) as info:
        Customer.model_validate({"id": "C-1", "email": "alice at example", "phone": "call me 555"})
    message = str(info.value)
    assert "email must look like" in message
    assert "phone must be digits" in message
    assert "alice at example" not in message
    assert "555" not in message


def test_anonymized_erases_personal_data_and_keeps_analysis_data(alice: Customer) -> None:
    erased = alice.anonymized(keep_attributes=["newsletter"])
    assert all(getattr(erased, f) in (None, ()) for f in PERSONAL_FIELDS)
    assert erased.attributes == {"newsletter": True}
    assert erased.erased is True
    kept = (
        "id",
        "kind",
        "region",
        "segment",
        "acquired_at",
        "acquisition_channel",
        "information_source",
        "acquisition_cost",
        "wallet",
        "relationship_level",
    )
    assert all(getattr(erased, f) == getattr(alice, f) for f in kept)
    assert alice.name == "Alice Zhang"


def test_anonymized_drops_all_free_attributes_by_default(alice: Customer) -> None:
    assert alice.anonymized().attributes == {}


@pytest.mark.parametrize(
    ("moment", "rule"),
    [
        (1_700_000_000, "not a number"),
        (1.7e9, "not a number"),
        (datetime(1, 1, 1, tzinfo=timezone.utc), "from 1900-01-01 up to the end of 2199"),
        (datetime(9999, 12, 31, tzinfo=timezone.utc), "from 1900-01-01 up to the end of 2199"),
        (date(2200, 1, 1), "from 1900-01-01 up to the end of 2199"),
        ("2024-W18-3", "ISO 8601 date"),
    ],
)
def test_an_instant_is_iso_8601_text_or_a_datetime_in_the_accepted_range(
    moment: object, rule: str
) -> None:
    with pytest.raises(ValidationError, match=rf"occurred_at\n.*{rule}"):
        make_purchase("T-1", moment)  # type: ignore[arg-type]


def test_birthdays_and_anniversaries_are_dates_from_the_year_1000_to_2199() -> None:
    assert Customer(id="C-1", important_dates=[{"label": "founded", "date": "1694-07-27"}])
    with pytest.raises(ValidationError, match="must be a date from the year 1000 to 2199"):
        Customer(id="C-1", birthday="9999-12-31")


def test_a_customer_marked_erased_cannot_hold_personal_data(alice: Customer) -> None:
    with pytest.raises(ValidationError, match="erased is true but personal data is present"):
        Customer(id="C-1", name="Alice", erased=True)
    erased = alice.anonymized()
    assert Customer.model_validate_json(erased.model_dump_json()) == erased


FREE_TEXT_COMPLAINT = {
    "id": "K-9",
    "customer_id": "C-1",
    "received_at": "2024-05-02",
    "category": "staff",
    "severity": "low",
    "status": "acknowledged",
    "description": "Ms Li of 5 Elm Road was shouted at",
    "resolution": "Apologised to Ms Li",
    "status_changes": [
        {"status": "acknowledged", "at": "2024-05-03", "actor": "agent-7", "note": "Li called"}
    ],
}


def test_complaint_reprs_mask_descriptions_resolutions_and_notes() -> None:
    complaint = Complaint.model_validate(FREE_TEXT_COMPLAINT)
    for text in (repr(complaint), str(complaint)):
        assert "Li" not in text and "Elm" not in text
        assert "description='***'" in text and "note='***'" in text
        assert "actor='agent-7'" in text


def test_a_touchpoint_repr_masks_the_feedback_note() -> None:
    contact = CareTouchpoint(
        id="P-9", customer_id="C-1", occurred_at="2024-05-02", stage="post_purchase",
        channel="phone", function="service", direction="outbound",
        feedback={"satisfaction": 5, "note": "Her son, Tom, starts school"},
    )  # fmt: skip
    assert "Tom" not in repr(contact) and "note='***'" in repr(contact)


def test_anonymized_complaints_and_touchpoints_keep_no_free_text() -> None:
    complaint = Complaint.model_validate(FREE_TEXT_COMPLAINT).anonymized()
    assert (complaint.description, complaint.resolution) == (None, None)
    assert [(c.note, c.actor) for c in complaint.status_changes] == [(None, "agent-7")]
    only_a_note = CareTouchpoint(
        id="P-9", customer_id="C-1", occurred_at="2024-05-02", stage="post_purchase",
        channel="phone", function="service", direction="outbound", feedback={"note": "Tom"},
    ).anonymized()  # fmt: skip
    assert only_a_note.feedback is None  # no signal is left: no feedback
    assert CareTouchpoint.model_validate_json(only_a_note.model_dump_json()) == only_a_note


def test_a_whole_history_is_anonymized_at_once(alice: Customer) -> None:
    complaint = Complaint.model_validate({**FREE_TEXT_COMPLAINT, "customer_id": alice.id})
    history = CustomerHistory(customer=alice, complaints=[complaint]).anonymized()
    assert history.customer.erased and history.customer.name is None
    assert history.complaints[0].description is None
    assert "Li" not in history.model_dump_json()


def test_money_errors_never_echo_the_amount_or_the_currency() -> None:
    with pytest.raises(ValidationError) as info:
        Money("card 4111-1111", "ZZ9")
    assert "4111" not in str(info.value) and "ZZ9" not in str(info.value)


def test_a_negative_acquisition_cost_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"acquisition_cost\n.*greater than or equal to 0"):
        Customer(id="C-1", acquisition_cost=Money("-1", "CNY"))


def test_entities_hash_by_kind_and_id(alice: Customer) -> None:
    moved = alice.model_copy(update={"region": "Beijing"})
    assert hash(moved) == hash(alice) and moved != alice
    assert hash(alice) != hash(Transaction.model_validate({**PURCHASE, "id": "C-1"}))


# -- transaction ------------------------------------------------------------------------


def test_a_negative_amount_is_rejected() -> None:
    bad = {**PURCHASE, "amount": {"amount": "-0.01", "currency": "CNY"}}
    with pytest.raises(ValidationError, match=r"amount\n.*greater than or equal to 0"):
        Transaction.model_validate(bad)


def test_a_free_item_is_a_real_purchase_of_zero() -> None:
    free = Transaction.model_validate({**PURCHASE, "amount": {"amount": "0", "currency": "CNY"}})
    assert free.is_purchase and not free.amount


def test_a_list_price_below_the_amount_paid_is_rejected() -> None:
    bad = {**PURCHASE, "list_amount": {"amount": "79.99", "currency": "CNY"}}
    with pytest.raises(ValidationError, match="list_amount .* must not be below amount"):
        Transaction.model_validate(bad)


def test_list_price_and_cost_must_share_the_amount_currency() -> None:
    for name in ("list_amount", "cost"):
        bad = {**PURCHASE, name: {"amount": "90", "currency": "USD"}}
        with pytest.raises(ValidationError, match=f"{name} is in USD but amount is in CNY"):
            Transaction.model_validate(bad)


def test_quantity_must_be_at_least_one() -> None:
    with pytest.raises(ValidationError, match=r"quantity\n.*greater than or equal to 1"):
        Transaction.model_validate({**PURCHASE, "quantity": 0})


def test_selection_time_cannot_be_negative() -> None:
    with pytest.raises(ValidationError, match="selection_time"):
        Transaction.model_validate({**PURCHASE, "selection_time": "-PT5M"})


def test_discount_and_signed_amount() -> None:
    sale = Transaction.model_validate(
        {**PURCHASE, "list_amount": {"amount": "100", "currency": "CNY"}}
    )
    assert sale.discount == Money("20.00", "CNY")
    refund = Transaction.model_validate(
        {**PURCHASE, "id": "T-2", "kind": "refund", "refund_of": "T-1"}
    )
    assert refund.kind is TransactionKind.REFUND
    assert refund.signed_amount == Money("-80.00", "CNY")
    assert Transaction.model_validate(PURCHASE).discount is None


def test_refund_of_is_only_for_refunds() -> None:
    with pytest.raises(ValidationError, match="refund_of is only allowed on a refund"):
        Transaction.model_validate({**PURCHASE, "refund_of": "T-0"})


def test_not_recorded_differs_from_false() -> None:
    sale = Transaction.model_validate({**PURCHASE, "designated": False})
    assert sale.designated is False
    assert sale.promotion is None


# -- touchpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [-1, 11, 7.5])
def test_recommend_must_be_a_whole_number_from_0_to_10(rating: float) -> None:
    with pytest.raises(ValidationError, match=r"feedback\.recommend\n"):
        CareTouchpoint.model_validate({**TOUCHPOINT, "feedback": {"recommend": rating}})


@pytest.mark.parametrize("rating", [0, 6])
def test_satisfaction_must_be_from_1_to_5(rating: int) -> None:
    with pytest.raises(ValidationError, match=r"feedback\.satisfaction\n"):
        CareTouchpoint.model_validate({**TOUCHPOINT, "feedback": {"satisfaction": rating}})


def test_empty_feedback_is_rejected() -> None:
    with pytest.raises(ValidationError, match="at least one signal"):
        Feedback()


def test_a_touchpoint_requires_stage_channel_function_and_direction() -> None:
    with pytest.raises(ValidationError) as info:
        CareTouchpoint.model_validate(
            {"id": "P-1", "customer_id": "C-1", "occurred_at": "2024-01-01"}
        )
    assert {e["loc"][0] for e in info.value.errors()} == {
        "stage",
        "channel",
        "function",
        "direction",
    }


def test_an_unknown_channel_lists_every_channel() -> None:
    with pytest.raises(ValidationError, match="'visit', 'event', 'letter', .* or 'social'"):
        CareTouchpoint.model_validate({**TOUCHPOINT, "channel": "pigeon"})


# -- complaint ------------------------------------------------------------------------------


def test_a_new_complaint_is_received_and_open() -> None:
    complaint = Complaint.model_validate(COMPLAINT)
    assert complaint.status is ComplaintStatus.RECEIVED
    assert complaint.is_open
    assert complaint.reached_at("received") == complaint.received_at


def test_status_must_match_the_last_status_change() -> None:
    changes = [{"status": "acknowledged", "at": "2024-05-02T10:00:00+08:00"}]
    with pytest.raises(
        ValidationError, match="status is received but the last status change is to acknowledged"
    ):
        Complaint.model_validate({**COMPLAINT, "status_changes": changes})


def test_status_changes_cannot_go_back_in_time() -> None:
    changes = [
        {"status": "acknowledged", "at": "2024-05-02T10:00:00+08:00"},
        {"status": "assessed", "at": "2024-05-02T09:30:00+08:00"},
    ]
    with pytest.raises(ValidationError, match=r"status_changes\[1\] \(assessed at .*\) is earlier"):
        Complaint.model_validate({**COMPLAINT, "status": "assessed", "status_changes": changes})


def test_a_status_change_before_receipt_is_rejected() -> None:
    changes = [{"status": "acknowledged", "at": "2024-05-01T10:00:00+08:00"}]
    with pytest.raises(ValidationError, match=r"status_changes\[0\]"):
        Complaint.model_validate({**COMPLAINT, "status": "acknowledged", "status_changes": changes})


def test_recovery_actions_cannot_repeat() -> None:
    with pytest.raises(ValidationError, match="must not repeat"):
        Complaint.model_validate({**COMPLAINT, "recovery_actions": ["apology", "apology"]})


def test_an_unknown_recovery_action_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"recovery_actions\.0\n.*'apology'"):
        Complaint.model_validate({**COMPLAINT, "recovery_actions": ["bribe"]})


def test_a_closed_complaint_is_no_longer_open() -> None:
    changes = [
        {"status": "acknowledged", "at": "2024-05-02T10:00:00+08:00", "actor": "agent-1"},
        {"status": "closed", "at": "2024-05-09T10:00:00+08:00", "note": "customer satisfied"},
    ]
    closed = Complaint.model_validate(
        {**COMPLAINT, "status": "closed", "status_changes": changes, "accepted": True}
    )
    assert not closed.is_open
    assert closed.reached_at(ComplaintStatus.CLOSED) == datetime(2024, 5, 9, 2, tzinfo=timezone.utc)
    assert closed.reached_at("resolved") is None


@pytest.mark.parametrize(
    ("status", "valid", "accepted", "problem"),
    [
        ("closed", True, None, "acceptance of the outcome is not recorded"),
        ("closed", True, False, "acceptance of the outcome is not recorded"),
        ("rejected", True, None, "recorded as valid"),
        ("resolved", False, None, "recorded as not valid"),
        ("resolving", False, None, "recorded as not valid"),
    ],
)
def test_a_status_that_contradicts_the_assessment_or_outcome_is_refused(
    status: str, valid: bool, accepted: bool | None, problem: str
) -> None:
    changes = [{"status": status, "at": "2024-05-09T10:00:00+08:00"}]
    with pytest.raises(ValidationError, match=f"status is {status} but .*{problem}"):
        Complaint.model_validate(
            {
                **COMPLAINT,
                "status": status,
                "status_changes": changes,
                "valid": valid,
                "accepted": accepted,
            }
        )


def test_escalation_cannot_precede_receipt() -> None:
    with pytest.raises(ValidationError, match="escalated_at must not be before received_at"):
        Complaint.model_validate({**COMPLAINT, "escalated_at": "2024-05-01"})


# -- JSON and schema ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "data"),
    [(Transaction, PURCHASE), (CareTouchpoint, TOUCHPOINT), (Complaint, COMPLAINT)],
)
def test_entities_round_trip_through_json(model: type, data: dict[str, object]) -> None:
    record = model.model_validate(data)
    assert model.model_validate_json(record.model_dump_json()) == record


def test_the_customer_round_trips_through_json(alice: Customer) -> None:
    assert Customer.model_validate_json(alice.model_dump_json()) == alice


def test_the_json_schema_takes_the_summary_not_the_examples() -> None:
    schema = Transaction.model_json_schema()
    assert schema["description"] == "One purchase or refund by one customer."
    assert json.dumps(schema).count(">>>") == 0
