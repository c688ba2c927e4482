"""A seller's dunning policy: reminder steps, late fees and collection retries, as checked values.

One policy per seller, overridable per customer (``resolve``). Every step has a stable
name ("d-3", "d+7") that keys its message, so each (invoice, step) goes out once.
Pure: values, checks and arithmetic; ``planning.plan_due`` decides what is due when.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Final

import attrs

from invoicekit.domain.late_fee import LateFee, LateFeeMode, fee_problems, late_fee_tax
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "CHANNELS",
    "MAX_STEP_DAYS",
    "STEP_KINDS",
    "DunningPolicy",
    "LateFee",
    "LateFeeMode",
    "PolicyOverride",
    "QuietHours",
    "Step",
    "late_fee_tax",
    "policy_problems",
    "resolve",
]

#: The channels a reminder can go out on, in the order a fallback list names them.
CHANNELS: Final = ("email", "sms", "webhook", "in_app")
#: The document kinds a step sends.
STEP_KINDS: Final = ("reminder", "final_notice")
#: Steps lie at most a year before or after the due date.
MAX_STEP_DAYS: Final = 365
#: The longest retry schedule and the latest retry (days after the first failed attempt).
_MAX_RETRIES: Final = 10
_MAX_RETRY_DAYS: Final = 90
#: The longest step name (it is part of a message key).
_MAX_NAME: Final = 32


def _step_name(days: object) -> str:
    if isinstance(days, bool) or not isinstance(days, int):
        return "d?"
    return f"d{days:+d}" if days else "d0"


@attrs.frozen
class Step:
    """One step of the policy: ``days`` after the due date (negative: before), what it sends.

    ``name`` keys the step's messages ("d-3", "d0", "d+7" by default): renaming a step
    sends it again, so keep names once a policy is in use.
    """

    days: int
    kind: str = "reminder"
    late_fee: LateFee | None = None
    name: str = attrs.field(default=attrs.Factory(lambda s: _step_name(s.days), takes_self=True))

    def __attrs_post_init__(self) -> None:
        found = step_problems(self, "")
        if found:
            raise ValidationError(found, subject="dunning step")


def step_problems(step: object, where: str) -> list[Problem]:
    """What is wrong with one step on its own (order and uniqueness are the policy's)."""
    if not isinstance(step, Step):
        return [problem(where.rstrip("."), "must be a Step, e.g. Step(days=3)", step)]
    found: list[Problem] = []
    days = step.days
    if isinstance(days, bool) or not isinstance(days, int):
        found.append(problem(f"{where}days", "must be an integer", days))
    elif not -MAX_STEP_DAYS <= days <= MAX_STEP_DAYS:
        found.append(
            problem(f"{where}days", f"must be from -{MAX_STEP_DAYS} to {MAX_STEP_DAYS}", days)
        )
    if step.kind not in STEP_KINDS:
        found.append(problem(f"{where}kind", f"allowed: {', '.join(STEP_KINDS)}", step.kind))
    if not isinstance(step.name, str) or not step.name or not step.name.isprintable():
        found.append(problem(f"{where}name", "must be one line of printable text", step.name))
    elif len(step.name) > _MAX_NAME or ":" in step.name:
        found.append(
            problem(f"{where}name", f"at most {_MAX_NAME} characters, without ':'", step.name)
        )
    if step.late_fee is not None:
        found += fee_problems(step.late_fee, f"{where}late_fee.")
        if isinstance(days, int) and days <= 0:
            found.append(
                problem(
                    f"{where}late_fee", "only a step after the due date (days > 0) charges a fee"
                )
            )
    return found


@attrs.frozen
class QuietHours:
    """No message goes out from ``start`` to ``end`` on the customer's clock (may span midnight)."""

    start: time
    end: time

    def __attrs_post_init__(self) -> None:
        found = quiet_problems(self, "")
        if found:
            raise ValidationError(found, subject="quiet hours")

    def covers(self, at: time) -> bool:
        """Whether the wall-clock time ``at`` is quiet."""
        at = at.replace(tzinfo=None, fold=0)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


def _wall(value: object) -> bool:
    return isinstance(value, time) and value.tzinfo is None


def quiet_problems(quiet: object, where: str) -> list[Problem]:
    """What is wrong with quiet hours at ``where``."""
    if not isinstance(quiet, QuietHours):
        return [problem(where.rstrip("."), "must be QuietHours(start, end)", quiet)]
    found = [
        problem(
            f"{where}{name}", "must be a datetime.time without tzinfo (the customer's clock)", v
        )
        for name, v in (("start", quiet.start), ("end", quiet.end))
        if not _wall(v)
    ]
    if not found and quiet.start == quiet.end:
        found.append(
            problem(
                f"{where}end",
                "quiet hours would cover the whole day: end must differ from start",
                quiet.end,
            )
        )
    return found


def _steps(value: Iterable[Step]) -> tuple[Step, ...]:
    return tuple(value) if isinstance(value, Iterable) else value


def _tuple(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list | tuple) else value  # type: ignore[return-value]


def _default_steps() -> tuple[Step, ...]:
    return (
        Step(days=-3),
        Step(days=0),
        Step(days=3),
        Step(days=7),
        Step(days=14, kind="final_notice"),
    )


@attrs.frozen
class DunningPolicy:
    """When and how a seller chases an open invoice; checked when built, all problems at once.

    ``send_at``, ``quiet_hours`` and ``skip_weekends`` are on the customer's clock (their
    zone, else the seller's); a step that falls in quiet hours or on a weekend moves to the
    next allowed moment, it is never skipped. ``channels`` is the fallback order.
    ``retry_days`` are days after the first failed collection attempt; after the last,
    the invoice is left to the reminder steps.
    """

    steps: tuple[Step, ...] = attrs.field(factory=_default_steps, converter=_steps)
    send_at: time = time(9, 0)
    quiet_hours: QuietHours | None = None
    skip_weekends: bool = True
    channels: tuple[str, ...] = attrs.field(default=("email",), converter=_tuple)
    retry_days: tuple[int, ...] = attrs.field(default=(1, 3, 7), converter=_tuple)

    def __attrs_post_init__(self) -> None:
        found = policy_problems(self)
        if found:
            raise ValidationError(found, subject="dunning policy")

    def step(self, name: str) -> Step | None:
        """The step called ``name``, or None."""
        return next((s for s in self.steps if s.name == name), None)


def _order_problems(steps: tuple[Step, ...]) -> list[Problem]:
    found: list[Problem] = []
    names: set[str] = set()
    for i, step in enumerate(steps):
        if i and isinstance(step.days, int) and isinstance(steps[i - 1].days, int):
            before = steps[i - 1].days
            if step.days == before:
                found.append(problem(f"steps[{i}].days", f"duplicates step {i - 1}", step.days))
            elif step.days < before:
                found.append(
                    problem(
                        f"steps[{i}].days",
                        f"steps must be in increasing order of days (step {i - 1} has {before})",
                        step.days,
                    )
                )
        if step.name in names:
            found.append(problem(f"steps[{i}].name", "names must be unique", step.name))
        names.add(step.name)
    finals = [i for i, s in enumerate(steps) if s.kind == "final_notice"]
    if len(finals) > 1:
        found.append(problem(f"steps[{finals[1]}].kind", "only one final notice is allowed"))
    elif finals and finals[0] != len(steps) - 1:
        found.append(problem(f"steps[{finals[0]}].kind", "the final notice must be the last step"))
    return found


def _retry_problems(days: object) -> list[Problem]:
    if not isinstance(days, tuple):
        return [problem("retry_days", "must be a list of days, e.g. [1, 3, 7]", days)]
    found: list[Problem] = []
    if len(days) > _MAX_RETRIES:
        found.append(problem("retry_days", f"at most {_MAX_RETRIES} retries", len(days)))
    for i, day in enumerate(days):
        path = f"retry_days[{i}]"
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= _MAX_RETRY_DAYS:
            found.append(problem(path, f"must be an integer from 1 to {_MAX_RETRY_DAYS}", day))
        elif i and isinstance(days[i - 1], int) and day <= days[i - 1]:
            found.append(problem(path, f"must be greater than the one before ({days[i - 1]})", day))
    return found


def _channel_problems(channels: object) -> list[Problem]:
    if not isinstance(channels, tuple) or not channels:
        return [problem("channels", "must be a non-empty list, e.g. ['email', 'sms']", channels)]
    found = [
        problem(f"channels[{i}]", f"unknown channel; allowed: {', '.join(CHANNELS)}", c)
        for i, c in enumerate(channels)
        if c not in CHANNELS
    ]
    if len(set(channels)) != len(channels):
        found.append(problem("channels", "names a channel twice", channels))
    return found


def policy_problems(policy: DunningPolicy) -> list[Problem]:
    """Every problem of ``policy``, with paths such as ``steps[2].days``."""
    found: list[Problem] = []
    steps = policy.steps
    if not isinstance(steps, tuple):
        return [problem("steps", "must be a list of Step", steps)]
    for i, step in enumerate(steps):
        found += step_problems(step, f"steps[{i}].")
    if not found:
        found += _order_problems(steps)
    if not _wall(policy.send_at):
        found.append(
            problem(
                "send_at", "must be a datetime.time without tzinfo, e.g. time(9)", policy.send_at
            )
        )
    if policy.quiet_hours is not None:
        found += quiet_problems(policy.quiet_hours, "quiet_hours.")
    if not isinstance(policy.skip_weekends, bool):
        found.append(problem("skip_weekends", "must be True or False", policy.skip_weekends))
    return found + _channel_problems(policy.channels) + _retry_problems(policy.retry_days)


@attrs.frozen
class PolicyOverride:
    """A customer's changes to the seller's policy: each field set replaces the seller's.

    None keeps the seller's value, so an override cannot remove the seller's quiet
    hours; give the customer a whole ``DunningPolicy`` for that.
    """

    steps: tuple[Step, ...] | None = None
    send_at: time | None = None
    quiet_hours: QuietHours | None = None
    skip_weekends: bool | None = None
    channels: tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_tuple)
    )
    retry_days: tuple[int, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_tuple)
    )


def resolve(
    seller_policy: DunningPolicy, customer_policy: DunningPolicy | PolicyOverride | None
) -> DunningPolicy:
    """The policy for one customer: theirs when whole, the seller's changed by an override, else the seller's.

    The result is checked again, so an override that breaks the policy raises ValidationError.
    """
    if customer_policy is None:
        return seller_policy
    if isinstance(customer_policy, DunningPolicy):
        return customer_policy
    if not isinstance(customer_policy, PolicyOverride):
        raise ValidationError(
            [
                problem(
                    "customer_policy",
                    "must be a DunningPolicy or a PolicyOverride",
                    customer_policy,
                )
            ],
            subject="dunning policy",
        )
    changes = {
        field.name: getattr(customer_policy, field.name)
        for field in attrs.fields(PolicyOverride)
        if getattr(customer_policy, field.name) is not None
    }
    return attrs.evolve(seller_policy, **changes)
