"""The contract of ``Transaction.usage``: append-only records, deduplicated, aggregated exactly.

``add_many`` stores each new key once (True), says False for a key stored already
with the same content, and refuses a batch holding a key stored (or sent twice in
it) with other content: DuplicateError naming the key, nothing of the batch stored.
``aggregate`` equals ``domain.usage.aggregate`` (a differential hypothesis test over
random records); another seller's records are never counted.
"""

# ruff: noqa: S101
# (a contract suite checks with assert and literal expected values, as tests do)

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicekit.domain.usage import Aggregation, Meter, Usage, UsageRecord, aggregate, level_before
from invoicekit.errors import DuplicateError
from invoicekit.ports import Storage, UsageQuery
from invoicekit.testing.contracts.storage_base import StorageFixtures
from invoicekit.testing.contracts.storage_builders import Reopen, fresh
from invoicekit.testing.contracts.storage_differential import contract_settings

__all__ = ["UsageStorageContract", "usage"]

DAY0: Final = datetime(2026, 3, 1, tzinfo=UTC)
_HOUR: Final = timedelta(hours=1)
_SUBS: Final = itertools.count()


def usage(
    key: str,
    quantity: Decimal | int | str = 1,
    *,
    at: datetime = DAY0,
    seller_id: str = "s-1",
    subscription_id: str = "sub-1",
    meter: str = "api_calls",
    received_at: datetime | None = None,
    properties: dict[str, str] | None = None,
) -> UsageRecord:
    """A checked usage record (received when it happened unless said otherwise)."""
    return UsageRecord.create(
        seller_id=seller_id,
        subscription_id=subscription_id,
        meter=meter,
        key=key,
        quantity=quantity,
        at=at,
        received_at=received_at or at,
        properties=properties,
    )


def _query(start: datetime = DAY0, end: datetime = DAY0 + 24 * _HOUR, **fields: Any) -> UsageQuery:
    values: dict[str, Any] = {
        "seller_id": "s-1",
        "subscription_id": "sub-1",
        "meter": "api_calls",
        **fields,
    }
    return UsageQuery(start=start, end=end, **values)


_records = st.lists(
    st.tuples(
        st.integers(min_value=-30, max_value=300),  # minutes from the window's start
        st.sampled_from(
            [Decimal(0), Decimal(1), Decimal("2.5"), Decimal("0.000001"), Decimal(10**12)]
        ),
        st.sampled_from(["a", "b", "c"]),  # the property's value
        st.booleans(),  # whether the record has the property
        st.integers(min_value=0, max_value=300),  # received minutes after the window's start
    ),
    max_size=25,
)


class UsageStorageContract(StorageFixtures):
    """``Transaction.usage`` behaves as ``MemoryStorage``'s does."""

    def test_a_key_counts_once(self, storage: Storage, reopen: Reopen) -> None:
        """The same record sent again (in the batch or later) is False and counted once."""
        one, two = usage("k-1", 3), usage("k-2", "0.5", at=DAY0 + _HOUR)
        with storage.transaction() as tx:
            assert tx.usage.add_many([one, two, one]) == [True, True, False]
        with storage.transaction() as tx:
            again = attrs.evolve(one, received_at=DAY0 + 5 * _HOUR)  # received later: the same
            assert tx.usage.add_many([again, usage("k-3", 1)]) == [False, True]
            assert tx.usage.add_many([]) == []
        with fresh(reopen, storage) as tx:
            assert tx.usage.aggregate(_query(), Aggregation.SUM) == Usage(Decimal("4.5"), 3)

    def test_a_key_with_other_content_refuses_the_batch(
        self, storage: Storage, reopen: Reopen
    ) -> None:
        """DuplicateError names the key; nothing of the batch is stored, even if caught."""
        with storage.transaction() as tx:
            tx.usage.add_many([usage("k-1", 3)])
        changed = [
            usage("k-1", 4),
            usage("k-1", 3, at=DAY0 + _HOUR),
            usage("k-1", 3, meter="seats"),
            usage("k-1", 3, subscription_id="sub-2"),
            usage("k-1", 3, properties={"user": "u-1"}),
        ]
        for other in changed:
            with storage.transaction() as tx:
                with pytest.raises(DuplicateError, match="'k-1'"):
                    tx.usage.add_many([usage("k-new", 7), other])
                with pytest.raises(DuplicateError, match="'k-2'"):
                    tx.usage.add_many([usage("k-2", 1), usage("k-new", 7), usage("k-2", 2)])
        with fresh(reopen, storage) as tx:
            assert tx.usage.aggregate(_query(), Aggregation.SUM) == Usage(Decimal(3), 1)

    def test_a_transaction_that_fails_stores_none_of_its_usage(self, storage: Storage) -> None:
        """A crash after ``add_many`` (the transaction raises) stores nothing of the batch."""

        def crash() -> None:
            with storage.transaction() as tx:
                tx.usage.add_many([usage(f"k-{i}", i) for i in range(50)])
                raise RuntimeError("crash before commit")

        with pytest.raises(RuntimeError):
            crash()
        with storage.transaction() as tx:
            assert tx.usage.aggregate(_query(), Aggregation.COUNT) == Usage(Decimal(0), 0)
            assert tx.usage.add_many([usage("k-1", 1)]) == [True]

    def test_another_seller_never_sees_the_records(self, storage: Storage) -> None:
        """Keys are per seller; aggregates and late() count one seller's records only."""
        with storage.transaction() as tx:
            mine = [usage("k-1", 2), usage("k-2", 5, at=DAY0 + _HOUR)]
            theirs = [usage("k-1", 100, seller_id="s-2"), usage("k-9", 7, seller_id="s-2")]
            assert tx.usage.add_many([*mine, *theirs]) == [True] * 4
        with storage.transaction(write=False) as tx:
            for aggregation, expected in (
                (Aggregation.SUM, Decimal(7)),
                (Aggregation.MAX, Decimal(5)),
                (Aggregation.COUNT, Decimal(2)),
            ):
                assert tx.usage.aggregate(_query(), aggregation) == Usage(expected, 2)
            theirs_sum = tx.usage.aggregate(_query(seller_id="s-2"), Aggregation.SUM)
            assert theirs_sum == Usage(Decimal(107), 2)
            assert tx.usage.late("s-2", "sub-1", received_from=DAY0, before=DAY0 + _HOUR) == [
                ("api_calls", DAY0),
                ("api_calls", DAY0),
            ]

    def test_unique_count_counts_one_property(self, storage: Storage) -> None:
        """Distinct values of the property asked for; records without it, or any odd name, count 0."""
        with storage.transaction() as tx:
            tx.usage.add_many(
                [
                    usage("k-1", properties={"user": "a", "team": "x"}),
                    usage("k-2", properties={"user": "b", "team": "x"}),
                    usage("k-3", properties={"user": "a"}),
                    usage("k-4"),
                ]
            )
        with storage.transaction(write=False) as tx:
            for prop, distinct in (("user", 2), ("team", 1), ("region", 0), ('a"b', 0), ("", 0)):
                got = tx.usage.aggregate(_query(), Aggregation.UNIQUE_COUNT, prop=prop)
                assert got == Usage(Decimal(distinct), 4), prop

    def test_large_and_fine_quantities_sum_exactly(self, storage: Storage) -> None:
        """Quantities up to 10**12 with 6 places sum without rounding or overflow."""
        records = [usage(f"k-{i}", Decimal(10**12) - Decimal("0.000001")) for i in range(40)]
        with storage.transaction() as tx:
            tx.usage.add_many([*records, usage("k-x", "0.000001")])
        with storage.transaction() as tx:
            total = tx.usage.aggregate(_query(), Aggregation.SUM)
        assert total == Usage(40 * Decimal(10**12) - Decimal("0.000039"), 41)

    def test_weighted_sum_integrates_levels_over_hours(self, storage: Storage) -> None:
        """Seat-hours: the level before the window holds until the first record in it."""
        with storage.transaction() as tx:
            tx.usage.add_many(
                [
                    usage("k-0", 2, at=DAY0 - 5 * _HOUR),  # the level when the window opens
                    usage("k-1", 5, at=DAY0 + 2 * _HOUR),
                    usage("k-2", "1.5", at=DAY0 + 8 * _HOUR),
                    usage("k-3", 9, at=DAY0 + 30 * _HOUR),  # after the window
                ]
            )
        with storage.transaction() as tx:
            got = tx.usage.aggregate(_query(end=DAY0 + 10 * _HOUR), Aggregation.WEIGHTED_SUM)
        assert got == Usage(Decimal(2 * 2 + 5 * 6 + 3), 2)

    def test_received_before_and_late_usage(self, storage: Storage) -> None:
        """``received_before`` leaves out records received since; ``late`` finds them."""
        close = DAY0 + 24 * _HOUR
        with storage.transaction() as tx:
            tx.usage.add_many(
                [
                    usage("k-1", 1, at=DAY0 + _HOUR),
                    usage("k-2", 2, at=DAY0 + 2 * _HOUR, received_at=close + _HOUR),
                    usage("k-3", 4, at=close + 2 * _HOUR, received_at=close + 2 * _HOUR),
                    usage("k-4", 8, at=DAY0 + 3 * _HOUR, meter="seats", received_at=close),
                ]
            )
        with storage.transaction() as tx:
            on_time = tx.usage.aggregate(_query(received_before=close), Aggregation.SUM)
            assert on_time == Usage(Decimal(1), 1)
            assert tx.usage.aggregate(_query(), Aggregation.SUM) == Usage(Decimal(3), 2)
            found = tx.usage.late("s-1", "sub-1", received_from=close, before=close)
            assert found == [("api_calls", DAY0 + 2 * _HOUR), ("seats", DAY0 + 3 * _HOUR)]

    def test_every_aggregation_equals_the_reference(self, storage: Storage) -> None:
        """Random records: each aggregation (and with ``received_before``) equals the domain's."""

        @given(records=_records, cut=st.integers(min_value=0, max_value=300))
        @contract_settings()
        def check(records: list[tuple[int, Decimal, str, bool, int]], cut: int) -> None:
            _check_reference(storage, records, cut)

        check()

    def test_aggregate_many_equals_one_aggregate_each(self, storage: Storage) -> None:
        """Random records and queries: ``aggregate_many`` is ``aggregate`` of each, in order."""

        @given(records=_spread, asked=_asked)
        @contract_settings()
        def check(
            records: list[tuple[int, int, int, Decimal, str, bool, int]],
            asked: list[tuple[int, int, int, int, Aggregation, str, int | None]],
        ) -> None:
            _check_many(storage, records, asked)

        check()
        with storage.transaction(write=False) as tx:
            assert tx.usage.aggregate_many([]) == []

    def test_aggregate_many_pages_a_long_list(self, storage: Storage) -> None:
        """More queries than one statement holds, of other sellers too: each answered, in order."""
        subs = [f"page-{next(_SUBS)}" for _ in range(3)]
        with storage.transaction() as tx:
            tx.usage.add_many(
                [
                    usage(f"{sub}-{j}", j + 1, subscription_id=sub, at=DAY0 + j * _HOUR)
                    for sub in subs
                    for j in range(4)
                ]
                + [usage("other-1", 50, seller_id="s-2", subscription_id=subs[0])]
            )
        asked = [
            (
                _query(subscription_id=subs[n % 3], end=DAY0 + (n % 5) * _HOUR, seller_id=seller),
                Aggregation.SUM,
                None,
            )
            for n in range(1_203)
            for seller in ("s-1", "s-2")
        ]
        with storage.transaction(write=False) as tx:
            got = tx.usage.aggregate_many(asked)
            assert got == [tx.usage.aggregate(q, a, prop=p) for q, a, p in asked]
        assert got[8] == Usage(
            Decimal(10), 4
        )  # n=4: 1 + 2 + 3 + 4 at DAY0 .. DAY0 + 3h < DAY0 + 4h
        assert got[7] == Usage(Decimal(50), 1)  # n=3, seller s-2: its one record
        assert got[1] == Usage(Decimal(0), 0)  # s-2's record is at DAY0, end=DAY0: none


_spread = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=2),  # the subscription
        st.integers(min_value=0, max_value=1),  # the meter
        st.integers(min_value=-30, max_value=300),  # minutes from DAY0
        st.sampled_from([Decimal(0), Decimal("2.5"), Decimal("0.000001"), Decimal(10**12)]),
        st.sampled_from(["a", "b", "c"]),  # the property's value
        st.booleans(),  # whether the record has the property
        st.integers(min_value=0, max_value=300),  # received minutes after DAY0
    ),
    max_size=30,
)
_asked = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3),  # the subscription (3: one without records)
        st.integers(min_value=0, max_value=1),  # the meter
        st.integers(min_value=-60, max_value=300),  # start, minutes from DAY0
        st.integers(min_value=0, max_value=300),  # length in minutes
        st.sampled_from(list(Aggregation)),
        st.sampled_from(["user", "team"]),  # UNIQUE_COUNT's property
        st.none() | st.integers(min_value=0, max_value=300),  # received_before, minutes
    ),
    max_size=20,
)


def _check_many(
    storage: Storage,
    records: list[tuple[int, int, int, Decimal, str, bool, int]],
    asked: list[tuple[int, int, int, int, Aggregation, str, int | None]],
) -> None:
    run = next(_SUBS)
    meters = ("api_calls", "seats")
    built = [
        usage(
            f"many-{run}-{i}",
            quantity,
            subscription_id=f"many-{run}-{sub}",
            meter=meters[meter],
            at=DAY0 + timedelta(minutes=minute),
            received_at=DAY0 + timedelta(minutes=received),
            properties={"user": value} if has else None,
        )
        for i, (sub, meter, minute, quantity, value, has, received) in enumerate(records)
    ]
    with storage.transaction() as tx:
        tx.usage.add_many(built)
    queries = [
        (
            _query(
                start=DAY0 + timedelta(minutes=start),
                end=DAY0 + timedelta(minutes=start + length),
                subscription_id=f"many-{run}-{sub}",
                meter=meters[meter],
                received_before=None if cut is None else DAY0 + timedelta(minutes=cut),
            ),
            aggregation,
            prop,
        )
        for sub, meter, start, length, aggregation, prop, cut in asked
    ]
    with storage.transaction(write=False) as tx:
        one_each = [tx.usage.aggregate(q, a, prop=p) for q, a, p in queries]
        assert tx.usage.aggregate_many(queries) == one_each


def _check_reference(
    storage: Storage, records: list[tuple[int, Decimal, str, bool, int]], cut: int
) -> None:
    sub = f"diff-{next(_SUBS)}"
    built = [
        usage(
            f"{sub}-{i}",
            quantity,
            subscription_id=sub,
            at=DAY0 + timedelta(minutes=minute),
            received_at=DAY0 + timedelta(minutes=received),
            properties={"user": value} if has else None,
        )
        for i, (minute, quantity, value, has, received) in enumerate(records)
    ]
    with storage.transaction() as tx:
        tx.usage.add_many(built)
    end = DAY0 + 4 * _HOUR
    with storage.transaction(write=False) as tx:
        for received_before in (None, DAY0 + timedelta(minutes=cut)):
            seen = [r for r in built if received_before is None or r.received_at < received_before]
            query = _query(end=end, subscription_id=sub, received_before=received_before)
            for aggregation in Aggregation:
                meter = Meter(key="api_calls", aggregation=aggregation, property="user")
                expected = aggregate(meter, seen, DAY0, end, level_before=level_before(seen, DAY0))
                got = tx.usage.aggregate(query, aggregation, prop="user")
                assert got == expected, (aggregation, received_before)
