"""Invariant I3, numbering: each series has the numbers 1..N once each and its counter at N + 1.

Part of :mod:`invoicekit.testing.invariants`; see docs/explanation/reliability.md.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Final, NamedTuple

from invoicekit.domain.numbering import Series
from invoicekit.domain.parties import Seller
from invoicekit.domain.status import Status
from invoicekit.errors import InvoiceKitError
from invoicekit.services.billing import Billing
from invoicekit.testing.invariants_read import Violation, _Store

__all__: list[str] = []

#: At most this many missing or repeated sequence numbers are named in one message.
_SHOWN: Final = 10
#: Two sequence numbers longer than any padding and different in every digit: rendering
#: both shows where the sequence sits in a formatted number.
_PROBES: Final = (111_111_111_111_111, 222_222_222_222_222)


class _Numbered(NamedTuple):
    """A numbered document (invoice or credit note) as the numbering check sees it."""

    what: str
    number: str
    issue_date: date
    series: Series


# ------------------------------------------------------------------------------ I3


def _numbered(store: _Store) -> tuple[list[_Numbered], list[Violation]]:
    """Every numbered document with the series that numbered it, and what cannot be placed."""
    docs: list[_Numbered] = []
    found: list[Violation] = []
    for inv in store.invoices:
        if inv.status is Status.DRAFT:
            if inv.number is not None:
                found.append(Violation("I3", f"draft {inv.id} has the number {inv.number}"))
            continue
        if inv.number is None or inv.issue_date is None:
            found.append(
                Violation("I3", f"{inv.status.value} invoice {inv.id} has no number or issue date")
            )
            continue
        # The series as it was at issue: the snapshot of the seller taken then.
        series = _series(inv.seller or store.seller, inv.series) or _series(
            store.seller, inv.series
        )
        if series is None:
            found.append(Violation("I3", f"invoice {inv.number}: unknown series {inv.series!r}"))
            continue
        docs.append(_Numbered(f"invoice {inv.id}", inv.number, inv.issue_date, series))
    for notes in store.notes.values():
        for note in notes:
            # Credit notes are numbered in the seller's series current at crediting time.
            series = _series(store.seller, "credit_note") or _series(note.seller, "credit_note")
            if series is None:
                found.append(Violation("I3", f"credit note {note.number}: no credit_note series"))
                continue
            docs.append(_Numbered(f"credit note {note.id}", note.number, note.issue_date, series))
    return docs, found


def _series(seller: Seller, name: str) -> Series | None:
    return next((s for s in seller.series if s.name == name), None)


def _common_prefix(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return a[:n]


def _sequence(series: Series, number: str, issue_date: date) -> int | None:
    """The sequence number ``number`` renders in ``series`` on ``issue_date``, or None."""
    low, high = (series.number(probe, issue_date) for probe in _PROBES)
    prefix = _common_prefix(low, high)
    suffix = _common_prefix(low[::-1], high[::-1])[::-1]
    end = len(number) - len(suffix)
    digits = number[len(prefix) : end]
    if not (number.startswith(prefix) and number.endswith(suffix) and end > len(prefix)):
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    seq = int(digits)
    return seq if seq >= 1 and series.number(seq, issue_date) == number else None


def _groups(docs: Iterable[_Numbered], found: list[Violation]) -> dict[tuple[str, str], list[int]]:
    """Sequence numbers per (series, period); documents whose number does not parse are reported."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for doc in docs:
        seq = _sequence(doc.series, doc.number, doc.issue_date)
        if seq is None:
            found.append(
                Violation(
                    "I3",
                    f"{doc.what}: number {doc.number!r} is not in the format "
                    f"{doc.series.format.pattern!r} of series {doc.series.name!r} "
                    f"for {doc.issue_date}",
                )
            )
            continue
        period = doc.series.format.period_key(doc.issue_date)
        groups[doc.series.name, period].append(seq)
    return groups


def _numbers(store: _Store) -> list[Violation]:
    docs, found = _numbered(store)
    for number, uses in sorted(Counter(d.number for d in docs).items()):
        if uses > 1:
            owners = ", ".join(d.what for d in docs if d.number == number)
            found.append(Violation("I3", f"number {number} is used {uses} times: {owners}"))
    for (series, period), seqs in sorted(_groups(docs, found).items()):
        counts = Counter(seqs)
        repeated = sorted(k for k, n in counts.items() if n > 1)
        missing = sorted(set(range(1, len(seqs) + 1)) - set(seqs))
        extra = sorted(k for k in counts if k > len(seqs))
        if repeated or missing or extra:
            found.append(
                Violation(
                    "I3",
                    f"series {series!r} period {period}: {len(seqs)} documents should carry "
                    f"1..{len(seqs)}; repeated {_few(repeated)}, missing {_few(missing)}, "
                    f"beyond {len(seqs)}: {_few(extra)}",
                )
            )
    return found


def _few(values: list[int]) -> str:
    shown = ", ".join(map(str, values[:_SHOWN]))
    more = f" and {len(values) - _SHOWN} more" if len(values) > _SHOWN else ""
    return f"[{shown}{more}]"


def _counters(billing: Billing, store: _Store) -> list[Violation]:
    """Each (series, period) counter stands right after the last number used: no hidden gap."""
    docs, _ = _numbered(store)
    used = _groups(docs, [])
    found: list[Violation] = []
    try:
        with billing.storage.transaction(write=False) as tx:
            for (series, period), seqs in sorted(used.items()):
                nxt = tx.sequences.peek(store.seller.id, series, period)
                if nxt != len(seqs) + 1:
                    found.append(
                        Violation(
                            "I3",
                            f"series {series!r} period {period}: the counter would hand out "
                            f"{nxt} next, but {len(seqs)} documents are numbered "
                            f"(expected {len(seqs) + 1}; a taken number was lost or reused)",
                        )
                    )
    except InvoiceKitError as exc:
        found.append(Violation("I3", f"the number counters cannot be read: {exc}"))
    return found
