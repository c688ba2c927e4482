"""The seller's subscription settings: ``usage_grace`` and ``subscription_on_dunning_end``.

Both round-trip through the stored formats (2: the compact writer and trusted reader;
1: the converter), leave nothing in a document at their defaults (so a seller stored
before them reads back with the defaults), and bad values name their field.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from factories import seller
from invoicekit.domain.parties import Seller
from invoicekit.errors import ValidationError
from invoicekit.serialization import (
    from_document,
    load_value,
    make_converter,
    to_document,
    value_text,
)
from invoicekit.serialization.compact_values import seconds_from, seconds_text

CONVERTER = make_converter()


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=7)))
def test_any_grace_round_trips_exactly_in_both_formats(grace: timedelta) -> None:
    value = attrs.evolve(seller(), usage_grace=grace, subscription_on_dunning_end="unpaid")
    assert load_value(value_text(value), Seller, CONVERTER) == value
    assert from_document(CONVERTER, to_document(CONVERTER, value), Seller) == value
    assert seconds_from(seconds_text(grace)) == grace


def test_the_defaults_stay_out_of_the_document_and_come_back() -> None:
    plain = seller()
    assert (plain.usage_grace, plain.subscription_on_dunning_end) == (
        timedelta(hours=1),
        "canceled",
    )
    text = value_text(plain)
    assert "usage_grace" not in text
    assert "subscription_on_dunning_end" not in text
    assert seconds_text(timedelta(seconds=90, microseconds=500)) == "90.0005"


@pytest.mark.parametrize(
    ("changes", "paths"),
    [
        ({"usage_grace": timedelta(days=7, microseconds=1)}, ["usage_grace"]),
        ({"usage_grace": timedelta(seconds=-1)}, ["usage_grace"]),
        ({"usage_grace": 3600}, ["usage_grace"]),
        ({"subscription_on_dunning_end": "deleted"}, ["subscription_on_dunning_end"]),
        (
            {"usage_grace": None, "subscription_on_dunning_end": None},
            ["usage_grace", "subscription_on_dunning_end"],
        ),
    ],
)
def test_a_bad_setting_names_its_field(changes: dict[str, Any], paths: list[str]) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(seller(), **changes)
    assert [p.path for p in caught.value.problems] == paths
