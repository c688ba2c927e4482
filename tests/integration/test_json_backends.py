"""The orjson accelerator writes canonical JSON byte for byte as the stdlib does.

So a content hash never depends on whether the ``fast`` extra is installed. Needs orjson
(CI installs every extra); tests/unit must pass without it, so this lives here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from typing import Any, Final

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from golden.library import issued_invoice
from invoicekit.domain import lifecycle
from invoicekit.errors import ValidationError
from invoicekit.serialization import compact, encode_invoice, jsontext
from invoicekit.testing.strategies import cases
from sizes import examples

orjson = pytest.importorskip("orjson")

FAST: Final = jsontext.make_canonical_bytes(orjson)
STDLIB: Final = jsontext.stdlib_canonical_bytes
FAST_LOADS: Final = jsontext.make_loads(orjson)
SLOW_LOADS: Final = jsontext.make_loads(None)

#: Text that stresses escaping: every control character, DEL and C1, separators, quotes,
#: non-BMP characters (emoji, musical symbols), a BOM and noncharacters.
_HARD: Final = "".join(chr(c) for c in range(0x20)) + '\x7f\x80\x9f\u2028\u2029"\\/\ufeff\uffff'
_TEXT: Final = st.text(
    alphabet=st.one_of(
        st.sampled_from(_HARD),
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-8"),
    ),
    max_size=20,
)
_INTS: Final = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**40, -(10**40)]),
    st.integers(),
)
_SCALARS: Final = st.one_of(st.none(), st.booleans(), _INTS, _TEXT)


def _json(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.lists(children, max_size=3).map(tuple),
            st.dictionaries(_TEXT, children, max_size=5),
        ),
        max_leaves=40,
    )


JSON: Final = _json(_SCALARS)
NESTED_EMPTIES: Final = [{}, [], (), {"": {}}, [[[]]], {"a": [{}, []], "": ""}, [{"": [{}]}]]


@settings(max_examples=examples(ci=2_000))
@given(JSON)
def test_orjson_and_the_stdlib_write_the_same_bytes(value: Any) -> None:
    assert FAST(value) == STDLIB(value)


@pytest.mark.parametrize("value", NESTED_EMPTIES)
def test_nested_empties_and_big_ints(value: Any) -> None:
    assert FAST(value) == STDLIB(value)
    for number in (2**64, -(2**63) - 1, 10**100):
        assert FAST({"n": [number, value]}) == STDLIB({"n": [number, value]})


@settings(max_examples=examples(ci=500))
@given(JSON)
def test_both_read_back_what_they_wrote(value: Any) -> None:
    text = STDLIB(value)
    # orjson reads an int beyond 64 bits as a float; invoicekit writes none (metadata is
    # limited to 64 bits), so equality is asked only where both can hold the value.
    assume(b"e" not in text and not _has_big_int(value))
    assert FAST_LOADS(text) == SLOW_LOADS(text) == SLOW_LOADS(text.decode())


def _has_big_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**64
    if isinstance(value, dict):
        return any(_has_big_int(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_big_int(v) for v in value)
    return False


@pytest.mark.parametrize(
    "value",
    ["\ud800", {"memo": "ok \udfff"}, ["a", {"k": ["\ud83d"]}], {"\udc00": 1}],
    ids=["alone", "in-a-dict", "nested", "a-key"],
)
def test_a_lone_surrogate_is_the_same_validation_error_on_both_paths(value: Any) -> None:
    with pytest.raises(ValidationError) as fast:
        FAST(value)
    with pytest.raises(ValidationError) as slow:
        STDLIB(value)
    assert str(fast.value) == str(slow.value)
    assert "lone surrogate" in str(fast.value)


def test_what_is_not_json_is_refused_alike() -> None:
    # The stdlib decides: an int key becomes text, the rest is refused.
    assert FAST({1: "int key"}) == STDLIB({1: "int key"}) == b'{"1":"int key"}'
    for value in (Decimal("1.00"), {"when": object()}, b"bytes"):
        with pytest.raises(TypeError) as fast:
            FAST(value)
        with pytest.raises(TypeError) as slow:
            STDLIB(value)
        assert str(fast.value) == str(slow.value)


@settings(max_examples=examples(ci=200), deadline=None)
@given(cases(max_lines=12))
def test_stored_invoice_documents_are_the_same_bytes(case: dict[str, Any]) -> None:
    invoice = issued_invoice(case)
    paid, _ = lifecycle.apply(
        invoice, lifecycle.RecordPayment("p1", invoice.zero + 1), at=invoice.issued_at
    )
    for value in (invoice, paid):
        frozen, rest = compact.invoice_parts(value)
        assert FAST(frozen) == STDLIB(frozen)
        assert FAST(rest) == STDLIB(rest)
        assert encode_invoice(value).frozen == STDLIB(frozen)


def _backend(choice: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, jsontext.ENV_VAR: choice}
    code = "from invoicekit.serialization import json_backend; print(json_backend())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_the_environment_picks_the_backend() -> None:
    assert _backend("stdlib").stdout.strip() == "stdlib"
    assert _backend("orjson").stdout.strip() == "orjson"
    assert _backend("").stdout.strip() == "orjson"  # auto: orjson when installed
    wrong = _backend("simdjson")
    assert wrong.returncode != 0
    assert "INVOICEKIT_JSON='simdjson' is not a JSON backend" in wrong.stderr
