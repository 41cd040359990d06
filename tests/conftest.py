"""Shared test settings: hypothesis profiles and small fixtures."""

from __future__ import annotations

import compileall
import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, settings
from pydantic import BaseModel

import crmcore
from crmcore import Customer, Money, Transaction, json_schemas

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


def pytest_configure(config: pytest.Config) -> None:
    """Compile crmcore's modules once, before the test processes start.

    The suite starts many Python processes (test workers, ``python -m crmcore``
    runs, the analysis's worker processes); where bytecode is not written
    on import (``PYTHONDONTWRITEBYTECODE``), each would compile every module
    again. Up-to-date files are skipped.
    """
    if not hasattr(config, "workerinput"):  # the main process, not a test worker
        compileall.compile_dir(os.path.dirname(crmcore.__file__), quiet=1)


CST = timezone(timedelta(hours=8))


@pytest.fixture
def alice() -> Customer:
    return Customer(
        id="C-1",
        name="Alice Zhang",
        email="alice.zhang@example.com",
        phone="+86 138 0013 8000",
        birthday="1990-02-14",
        important_dates=[{"label": "wedding anniversary", "date": "2016-10-01"}],
        region="Shanghai",
        segment={"age_band": "30-39", "income": "middle"},
        acquired_at="2024-01-10T09:00:00+08:00",
        acquisition_channel="referral",
        acquisition_cost=Money("35.00", "CNY"),
        wallet=Money("6000.00", "CNY"),
        relationship_level="friend",
        attributes={"newsletter": True, "wechat": "alice_z"},
    )


def make_purchase(
    id: str, when: datetime, amount: str = "100.00", customer_id: str = "C-1"
) -> Transaction:
    return Transaction(
        id=id, customer_id=customer_id, occurred_at=when, amount=Money(amount, "CNY")
    )


SCHEMAS = json_schemas()


def assert_matches_its_schema(record: BaseModel) -> None:
    """The record's JSON form is valid against the schema ``json_schemas()`` gives its class."""
    jsonschema.validate(
        json.loads(record.model_dump_json()),
        SCHEMAS[type(record).__name__],
        cls=jsonschema.Draft202012Validator,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


@pytest.fixture
def spark(request: pytest.FixtureRequest, spark_session: Any) -> Any:
    """The Spark session, for a test that carries the xdist group ``spark``.

    The group keeps every Spark test on one worker, so one JVM starts; a test
    without it, or a pytest whose xdist no longer honours groups, fails here.
    """
    if getattr(request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@spark"), (
            f"{request.node.nodeid} runs outside the xdist group 'spark': "
            "mark it, or check that this pytest and pytest-xdist still honour groups"
        )
    return spark_session


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session per test process (its JVM takes seconds to start).

    The command line's Spark engine, run in the same process, finds this
    session and reuses it.
    """
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def gauss_series(a: float, b: float, c: float, z: float) -> float:
    """2F1(a, b; c; z) summed term by term for as long as it takes (for checks only)."""
    term = total = 1.0
    k = 0
    while abs(term) > 1e-17 * abs(total):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


def assert_a_distribution_with_mean(probabilities: list[float], mean: float) -> None:
    """The probabilities of 0, 1, 2... purchases are probabilities, add up to 1, average ``mean``."""
    assert all(-1e-12 <= p <= 1 + 1e-12 for p in probabilities)
    assert sum(probabilities) == pytest.approx(1.0, abs=1e-6)
    average = sum(n * p for n, p in enumerate(probabilities))
    assert average == pytest.approx(mean, rel=1e-4, abs=1e-9)
