"""What a provider payment's stored notices mean for the invoice: the commands still to apply.

Notices arrive in any order, more than once, some never. The state a payment should
be in is computed from the SET of its stored notices, never from the last one: a
success (or a refund or dispute, which imply one) beats a failure, which beats
pending; refunds and disputes apply on top of a success. Only the difference to what
the invoice already records becomes lifecycle commands, so replaying or reordering
notices converges to one state (T18). Pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice, Payment
from invoicekit.domain.status import PaymentStatus
from invoicekit.payment_records import NoticeKind, ProviderEventRecord

__all__ = ["commands_for", "payment_id_for"]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def payment_id_for(provider: str, payment_ref: str) -> str:
    """Our payment id of a provider's payment: the same for every notice about it (T29)."""
    return f"pay_{_digest(provider, payment_ref)}"


def _refund_id(provider: str, notice: ProviderEventRecord) -> str:
    return f"ref_{_digest(provider, notice.refund_ref or notice.event_id)}"


def _dispute_id(provider: str, payment_ref: str) -> str:
    return f"dsp_{_digest(provider, payment_ref)}"


def _first(notices: Sequence[ProviderEventRecord], kind: NoticeKind) -> ProviderEventRecord | None:
    return next((n for n in notices if n.kind is kind), None)


def commands_for(
    invoice: Invoice,
    provider: str,
    payment_ref: str,
    notices: Sequence[ProviderEventRecord],
) -> list[lifecycle.Command]:
    """The commands that bring ``invoice`` to what ``notices`` (one payment's) say, in order.

    An empty list when it records that already, or when what arrived cannot be applied
    yet (a refund or dispute before the payment's success: it applies once that arrives).
    """
    pid = payment_id_for(provider, payment_ref)
    current = next((p for p in invoice.payments if p.id == pid), None)
    success = _first(notices, NoticeKind.SUCCEEDED)
    if success is not None and success.amount is not None:
        return [
            *_succeed(pid, provider, payment_ref, success, current),
            *_after_success(provider, payment_ref, pid, notices, current),
        ]
    failed = _first(notices, NoticeKind.FAILED)
    pending = _first(notices, NoticeKind.PENDING)
    if failed is not None:
        return _fail(pid, provider, payment_ref, failed, pending, current)
    if pending is not None and pending.amount is not None and current is None:
        return [_record(pid, provider, payment_ref, pending, pending=True)]
    return []


def _record(
    pid: str, provider: str, ref: str, notice: ProviderEventRecord, *, pending: bool
) -> lifecycle.Command:
    return lifecycle.RecordPayment(
        pid, notice.amount, pending=pending, method=provider, reference=ref
    )


def _succeed(
    pid: str, provider: str, ref: str, success: ProviderEventRecord, current: Payment | None
) -> list[lifecycle.Command]:
    if current is None:
        return [_record(pid, provider, ref, success, pending=False)]
    if current.status is not PaymentStatus.SUCCEEDED:  # pending, or failed then succeeded
        return [lifecycle.SettlePayment(pid)]
    return []


def _fail(  # noqa: PLR0917 - one payment's notices, all needed
    pid: str,
    provider: str,
    ref: str,
    failed: ProviderEventRecord,
    pending: ProviderEventRecord | None,
    current: Payment | None,
) -> list[lifecycle.Command]:
    reason = failed.reason or failed.code or "the payment did not go through"
    if current is None:
        amount_from = pending if pending is not None and pending.amount is not None else failed
        if amount_from.amount is None:
            return [lifecycle.FailCollection(reason, failed.code)]
        # Recorded as the attempt it was, then failed: the same state whichever came first.
        return [
            _record(pid, provider, ref, amount_from, pending=True),
            lifecycle.FailPayment(pid, reason),
        ]
    if current.status is PaymentStatus.PENDING:
        return [lifecycle.FailPayment(pid, reason)]
    return []


def _after_success(
    provider: str,
    ref: str,
    pid: str,
    notices: Sequence[ProviderEventRecord],
    current: Payment | None,
) -> list[lifecycle.Command]:
    """Refunds and the dispute the notices report that the payment does not record yet."""
    commands: list[lifecycle.Command] = []
    refunds = current.refunds if current is not None else ()
    known = {r.id for r in refunds} | {r.provider_id for r in refunds if r.provider_id}
    for notice in notices:
        if notice.kind is not NoticeKind.REFUNDED or notice.amount is None:
            continue
        rid = _refund_id(provider, notice)
        if rid in known or (notice.refund_ref is not None and notice.refund_ref in known):
            continue  # recorded already (also a refund we asked the provider for)
        known.add(rid)
        commands.append(
            lifecycle.RefundPayment(pid, rid, notice.amount, provider_id=notice.refund_ref)
        )
    disputed = _first(notices, NoticeKind.DISPUTED)
    if disputed is None or disputed.amount is None:
        return commands
    did = _dispute_id(provider, ref)
    dispute = current.dispute(did) if current is not None else None
    if dispute is None:
        commands.append(lifecycle.DisputePayment(pid, did, disputed.amount, disputed.reason))
    decided = _first(notices, NoticeKind.DISPUTE_WON) or _first(notices, NoticeKind.DISPUTE_LOST)
    if decided is not None and (dispute is None or dispute.outcome is None):
        won = decided.kind is NoticeKind.DISPUTE_WON
        commands.append(lifecycle.ResolveDispute(pid, did, won=won))
    return commands
