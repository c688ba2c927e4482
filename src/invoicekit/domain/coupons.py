"""Coupons: a percent or fixed amount off a subscription's invoices, once, for N periods or forever.

A coupon is a value kept by the seller; a subscription (or a customer, for all their
subscriptions) holds ``AppliedCoupon``s that say from which period it applies.
``apply_coupons`` turns the coupons that apply to a period into line discounts. Pure.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Final, cast

import attrs

from invoicekit.domain import checks
from invoicekit.domain import pricing_checks as pc
from invoicekit.domain.line import MAX_UNIT_PRICE, Discount, Line
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import quantize

__all__ = ["MAX_COUPON_PERIODS", "AppliedCoupon", "Coupon", "CouponDuration", "apply_coupons"]

#: The most periods a repeating coupon runs for.
MAX_COUPON_PERIODS: Final = 1000
_ZERO: Final = Decimal(0)


class CouponDuration(StrEnum):
    """How many periods a coupon takes off."""

    #: The first invoice only.
    ONCE = "once"
    #: ``periods`` invoices.
    REPEATING = "repeating"
    #: Every invoice.
    FOREVER = "forever"


@attrs.frozen(kw_only=True)
class Coupon:
    """A discount a seller offers; exactly one of ``percent_off`` and ``amount_off`` is set."""

    id: str
    #: Shown as the discount's reason on the invoice.
    name: str
    percent_off: Decimal | None = None
    amount_off: Decimal | None = None
    #: ``amount_off`` only: the currency it is in (a coupon for another currency is refused).
    currency: str | None = None
    duration: CouponDuration = CouponDuration.ONCE
    #: REPEATING only: for how many periods.
    periods: int | None = None

    @classmethod
    def create(
        cls,
        *,
        id: str,
        name: str,
        percent_off: Decimal | int | str | None = None,
        amount_off: Decimal | int | str | None = None,
        currency: str | None = None,
        duration: CouponDuration | str = CouponDuration.ONCE,
        periods: int | None = None,
    ) -> Coupon:
        """Check every field at once; one ValidationError lists each problem with its path.

        Exactly one of ``percent_off`` (above 0, at most 100) and ``amount_off`` (above 0, in
        ``currency``'s minor unit) is set; ``periods`` (>= 1) goes with a repeating coupon only.
        A percent coupon may name a currency too: it then applies to invoices in it only.
        """
        found = checks.identifier("id", id)
        found += checks.text("name", name, limit=pc.MAX_NAME)
        code = None if currency is None else pc.currency(found, "currency", currency)
        percent = pc.number(
            found, "percent_off", percent_off, low=_ZERO, low_inclusive=False, high=Decimal(100)
        )
        amount = pc.number(
            found,
            "amount_off",
            amount_off,
            low=_ZERO,
            low_inclusive=False,
            high=MAX_UNIT_PRICE,
            most_places=pc.amount_places(code),
        )
        if (percent_off is None) == (amount_off is None):
            found.append(problem("percent_off", "give exactly one of percent_off or amount_off"))
        if amount_off is not None and currency is None:
            found.append(problem("currency", "an amount_off coupon needs the currency it is in"))
        kind = pc.choice(found, "duration", duration, CouponDuration)
        if kind is CouponDuration.REPEATING:
            pc.count(found, "periods", periods, low=1, high=MAX_COUPON_PERIODS)
        elif periods is not None:
            found.append(problem("periods", "only a repeating coupon runs for periods", periods))
        checks.refuse(found, "coupon")
        return cls(
            id=id,
            name=name,
            percent_off=percent,
            amount_off=amount,
            currency=code,
            duration=cast(CouponDuration, kind),
            periods=periods,
        )


@attrs.frozen(kw_only=True)
class AppliedCoupon:
    """A coupon on a subscription, from period ``first_index`` on (for its duration)."""

    coupon: Coupon
    first_index: int

    def applies_to(self, index: int) -> bool:
        """True when the coupon takes something off period ``index``'s invoice.

        ONCE: period ``first_index`` only; REPEATING: ``periods`` periods from it; FOREVER:
        every period from it on.
        """
        if index < self.first_index:
            return False
        duration = self.coupon.duration
        if duration is CouponDuration.ONCE:
            return index == self.first_index
        if duration is CouponDuration.REPEATING:
            return index < self.first_index + (self.coupon.periods or 1)
        return True


def _line_net(line: Line, currency: str) -> Decimal:
    """A line's net amount as the totals compute it (tax-exclusive, rounded half-up)."""
    base = _base(line, currency)
    net = base
    for kind, sign in ((line.discounts, -1), (line.charges, 1)):
        for item in kind:
            if item.percent is not None:
                net += sign * quantize(base * item.percent / 100, currency)
            else:
                net += sign * cast(Decimal, item.amount)
    return net


def apply_coupons(
    lines: Sequence[Line],
    coupons: Sequence[AppliedCoupon],
    period_index: int,
    currency: str,
    *,
    groups: Sequence[Hashable] | None = None,
) -> tuple[Line, ...]:
    """``lines`` with a Discount (reason: the coupon's name) per coupon that applies to the period.

    ``groups``: one key per line; lines with the same key are the parts of one price (its
    tiers, fees, and the part a minimum adds or a maximum takes off). None: each line is
    its own price. A percent coupon takes exactly its percent of what each price bills,
    ``round_half_up(percent × sum of the price's lines)``, never below zero: on a price
    capped by its maximum it takes the percent of the capped amount, not of the parts
    above the cap. A price of one line gets a percent discount; a price whose lines'
    percents do not add up to it (a cap, or rounding over tiers) gets the amount split
    over its positive lines as a fixed coupon is. A fixed coupon is split over
    the positive lines in proportion to their nets, each share rounded half-up and the
    remainder put on the largest line. A coupon never takes a line, nor the sum of the
    lines (credits included), below zero; what it cannot take (a coupon larger than the
    invoice) is lost, not carried over. Coupons apply in order, each to what the ones
    before left. Negative lines (credits) are never discounted.
    A coupon in another currency raises ValidationError (path ``coupons[i].currency``).
    """
    found: list[Problem] = []
    for i, applied in enumerate(coupons):
        code = applied.coupon.currency
        if code is not None and code != currency:
            why = f"the coupon is in {code}; it cannot apply to an invoice in {currency}"
            found.append(problem(f"coupons[{i}].currency", why, code))
    checks.refuse(found, "coupons")
    if not any(a.applies_to(period_index) for a in coupons):
        return tuple(lines)  # most bills: nothing to take off, nothing to compute
    out = list(lines)
    keys: Sequence[Hashable] = list(range(len(out))) if groups is None else groups
    if len(keys) != len(out):
        raise ValidationError(
            [problem("groups", f"must give one key per line ({len(out)})", len(keys))],
            subject="coupons",
        )
    bases = [_base(line, currency) for line in out]
    nets = [_line_net(line, currency) for line in out]
    for applied in coupons:
        if not applied.applies_to(period_index):
            continue
        coupon = applied.coupon
        percent = coupon.percent_off
        if percent is not None:
            wanted = [quantize(b * percent / 100, currency) for b in bases]
            shares = _percent_shares(percent, (bases, nets, wanted), keys, currency)
        else:
            shares = _split(cast(Decimal, coupon.amount_off), nets, currency)
        room = max(_ZERO, sum(nets, _ZERO))  # an invoice never totals below zero
        if sum(shares, _ZERO) > room:
            shares = _split(room, shares, currency)
        for i, share in enumerate(shares):
            if share <= 0:
                continue
            whole = percent is not None and share == wanted[i]
            discount = (
                Discount(percent=percent, reason=coupon.name)
                if whole
                else Discount(amount=share, reason=coupon.name)
            )
            out[i] = attrs.evolve(out[i], discounts=(*out[i].discounts, discount))
            nets[i] -= share
    return tuple(out)


def _percent_shares(
    percent: Decimal,
    amounts: tuple[list[Decimal], list[Decimal], list[Decimal]],
    keys: Sequence[Hashable],
    currency: str,
) -> list[Decimal]:
    """What a percent coupon takes off each line: ``percent`` of each price's billed sum.

    Per price (the lines sharing a key): the target is ``round_half_up(percent × sum of its
    lines' bases)``, at least zero. When the per-line percents of its positive lines add up
    to the target and each fits its line's net, those are the shares (shown as a percent);
    otherwise the target is split over the price's positive nets like a fixed coupon.
    ``amounts``: each line's base, net so far and own percent share (bases, nets, wanted).
    """
    bases, nets, wanted = amounts
    members: dict[Hashable, list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    shares = [_ZERO] * len(bases)
    for group in members.values():
        billed = sum((bases[i] for i in group), _ZERO)
        target = quantize(max(billed, _ZERO) * percent / 100, currency)
        positive = [i for i in group if nets[i] > 0]
        own = [wanted[i] for i in positive]
        if sum(own, _ZERO) == target and all(wanted[i] <= nets[i] for i in positive):
            for i in positive:
                shares[i] = wanted[i]
            continue
        split = _split(target, [nets[i] for i in group], currency)
        for i, share in zip(group, split, strict=True):
            shares[i] = share
    return shares


def _base(line: Line, currency: str) -> Decimal:
    """``quantity × unit_price / base_quantity`` rounded: what a percent discount is taken of."""
    return quantize(line.quantity * line.unit_price / line.base_quantity, currency)


def _split(amount: Decimal, nets: list[Decimal], currency: str) -> list[Decimal]:
    """``amount`` over the positive nets in proportion, rounded half-up, remainder on the largest.

    The total taken is at most the sum of the positive nets; no share exceeds its line's net
    (a remainder that does not fit the largest line goes on to the next largest).
    """
    positive = [max(net, _ZERO) for net in nets]
    whole = sum(positive, _ZERO)
    if whole <= 0:
        return [_ZERO] * len(nets)
    total = min(amount, whole)
    shares = [quantize(total * net / whole, currency) for net in positive]
    rest = total - sum(shares, _ZERO)
    for i in sorted(range(len(nets)), key=lambda k: (-positive[k], k)):
        if not rest:
            break
        room = positive[i] - shares[i] if rest > 0 else -shares[i]
        step = min(rest, room) if rest > 0 else max(rest, room)
        shares[i] += step
        rest -= step
    return shares
