"""Time zone inputs: every bad value is a ValidationError naming the field, never a raw OSError.

``zoneinfo`` alone raises ``IsADirectoryError`` for a region (``Europe``) and
``OSError`` for a name too long for the file system; both must reach the caller
as an invoicekit error that says what to give instead.
"""

from __future__ import annotations

from typing import Any

import pytest

import factories as f
from invoicekit.domain.parties import Seller
from invoicekit.domain.zones import zone_problems
from invoicekit.errors import ValidationError

#: (bad value, a word the message must contain)
BAD_ZONES: list[tuple[object, str]] = [
    ("Europe", "region"),  # a folder of tzdata: IsADirectoryError before
    ("America/Argentina", "region"),
    ("Europe/" + "x" * 300, "at most 64"),  # too long for the file system: OSError before
    ("x" * 65, "at most 64"),
    ("", "empty"),
    (" ", "letters"),
    ("../x", "letters"),
    ("Europe/../Europe/Berlin", "letters"),
    ("/etc/localtime", "letters"),
    ("Europe/Berlin/", "letters"),
    ("UTC\x00", "letters"),
    ("zone.tab", "letters"),  # a data file of tzdata, not a zone
    ("localtime", "server"),  # whatever the host is set to
    ("Mars/Olympus_Mons", "unknown"),
    ("europe/berlin", "unknown"),
    (None, "string"),
    (1, "string"),
    (b"UTC", "string"),
    (["Europe/Berlin"], "string"),
]


@pytest.mark.parametrize(("value", "says"), BAD_ZONES, ids=lambda v: repr(v)[:24])
def test_a_bad_seller_zone_is_a_validation_error_naming_the_field(value: object, says: str) -> None:
    fields: dict[str, Any] = {"timezone": value}
    with pytest.raises(ValidationError) as caught:
        Seller(id="s1", name="Northwind", country="DE", currency="EUR", **fields)
    assert caught.value.paths == ("timezone",)
    assert says in str(caught.value)
    assert "Europe/Berlin" in str(caught.value)  # what to give instead


@pytest.mark.parametrize(
    ("value", "says"), [c for c in BAD_ZONES if c[0] is not None], ids=lambda v: repr(v)[:24]
)
def test_a_bad_customer_zone_is_a_validation_error_naming_the_field(
    value: object, says: str
) -> None:
    fields: dict[str, Any] = {"timezone": value}
    with pytest.raises(ValidationError) as caught:
        f.customer(**fields)
    assert caught.value.paths == ("timezone",)
    assert says in str(caught.value)


@pytest.mark.parametrize(
    "zone",
    [
        "UTC",
        "Europe/Berlin",
        "Pacific/Kiritimati",
        "Pacific/Pago_Pago",
        "Etc/GMT+5",
        "America/Port-au-Prince",
    ],
)
def test_iana_names_are_accepted(zone: str) -> None:
    assert zone_problems("timezone", zone) == []
    assert f.seller(timezone=zone).timezone == zone
