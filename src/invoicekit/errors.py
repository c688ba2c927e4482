"""The one error hierarchy of invoicekit: every error is an ``InvoiceKitError``.

Each message names the object, the offending value and what is allowed, so a
developer reading a traceback knows what to change without opening our code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictError",
    "CurrencyMismatchError",
    "DeliveryError",
    "DuplicateError",
    "IntegrityError",
    "InvalidTransitionError",
    "InvariantViolationError",
    "InvoiceKitError",
    "MissingExtraError",
    "NotFoundError",
    "PayPageNotFoundError",
    "PaymentError",
    "PaymentNotAllowedError",
    "Problem",
    "StorageError",
    "ValidationError",
    "WebhookRejectedError",
]

_MAX_VALUE_REPR = 60


def _short(value: object) -> str:
    """Return ``repr(value)`` cut to a readable length (inputs may be megabytes)."""
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        return text[: _MAX_VALUE_REPR - 3] + "..."
    return text


class InvoiceKitError(Exception):
    """Root of every error raised by invoicekit; catch this to catch them all."""


@attrs.frozen
class Problem:
    """One thing wrong with an input: where (``lines[2].unit_price``), what, and the value."""

    path: str
    message: str
    value: object = attrs.field(default=None, repr=False)
    has_value: bool = attrs.field(default=False, repr=False)

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.has_value:
            return f"{where}: {self.message} (got {_short(self.value)})"
        return f"{where}: {self.message}"


def problem(path: str, message: str, *value: object) -> Problem:
    """Build a Problem; pass the offending value as a third argument to show it."""
    if value:
        return Problem(path, message, value[0], True)
    return Problem(path, message)


class ValidationError(InvoiceKitError, ValueError):
    """Bad input: lists every problem found, each with its path, never just the first."""

    def __init__(self, problems: Iterable[Problem] | str, *, subject: str = "input") -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.subject = subject
        if len(self.problems) == 1:
            text = f"invalid {subject}: {self.problems[0]}"
        else:
            body = "\n".join(f"  - {p}" for p in self.problems)
            text = f"invalid {subject}, {len(self.problems)} problems:\n{body}"
        super().__init__(text)

    @property
    def paths(self) -> tuple[str, ...]:
        """The paths of every problem, in the order they were found."""
        return tuple(p.path for p in self.problems)

    def prefixed(self, prefix: str) -> ValidationError:
        """The same problems with ``prefix`` put in front of each path (for nested input)."""
        moved = [
            Problem(_join(prefix, p.path), p.message, p.value, p.has_value) for p in self.problems
        ]
        return ValidationError(moved, subject=self.subject)


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


class CurrencyMismatchError(ValidationError):
    """Two amounts in different currencies were combined; convert first, we never guess a rate."""

    def __init__(self, expected: str, got: str, *, path: str = "currency") -> None:
        self.expected = expected
        self.got = got
        super().__init__(
            [
                problem(
                    path,
                    f"currency {got!r} does not match {expected!r}; "
                    "amounts must share one currency",
                )
            ],
            subject="amount",
        )


class InvalidTransitionError(InvoiceKitError):
    """An action the invoice's status (or its balance) does not allow; nothing was changed."""

    def __init__(
        self,
        ref: str,
        status: str,
        action: str,
        allowed: Iterable[str],
        *,
        reason: str | None = None,
    ) -> None:
        self.ref = ref
        self.status = status = str(status)
        self.action = action = str(action)
        self.allowed: tuple[str, ...] = tuple(sorted(allowed))
        self.reason = reason
        if reason is not None:
            text = f"cannot {action} on invoice {ref} in status {status!r}: {reason}"
        elif self.allowed:
            text = (
                f"cannot {action} on invoice {ref} in status {status!r}; "
                f"allowed: {', '.join(self.allowed)}"
            )
        else:
            text = (
                f"cannot {action} on invoice {ref} in status {status!r}; "
                f"allowed: none ({status} is final)"
            )
        super().__init__(text)


class NotFoundError(InvoiceKitError, LookupError):
    """No such object for this seller; the same message whether it exists elsewhere or not."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {_short(key)} not found")


class PayPageNotFoundError(NotFoundError):
    """No pay page for this link: unknown, wrong, expired or malformed token (T36).

    The message is the same whatever part of the token was right; a web app answers 404.
    """

    def __init__(self) -> None:
        InvoiceKitError.__init__(
            self,
            "pay page not found: the link is unknown, mistyped or has expired; "
            "ask the seller for a new link",
        )
        self.kind = "pay page"
        self.key = None


class ConflictError(InvoiceKitError):
    """The request conflicts with what is stored (stale version, key reused with other data)."""


class ConcurrencyError(ConflictError):
    """Someone else changed the object first; reload it and try again.

    ``retryable`` is True for lock and serialization conflicts, which invoicekit retries
    itself, and False when the caller's expected version is stale.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class DuplicateError(ConflictError):
    """The object already exists under this key (idempotency key, number, event id)."""


class PaymentError(InvoiceKitError):
    """A payment could not be taken, recorded or refunded."""

    def __init__(
        self, message: str, *, provider: str = "", code: str = "", retryable: bool = False
    ) -> None:
        self.provider = provider
        self.code = code
        self.retryable = retryable
        super().__init__(message)


class PaymentNotAllowedError(InvalidTransitionError, PaymentError):
    """A payment action refused by the lifecycle (e.g. paying a void invoice)."""

    def __init__(
        self,
        ref: str,
        status: str,
        action: str,
        allowed: Iterable[str],
        *,
        reason: str | None = None,
    ) -> None:
        InvalidTransitionError.__init__(self, ref, status, action, allowed, reason=reason)
        self.provider = ""
        self.code = "not_allowed"
        self.retryable = False


class WebhookRejectedError(PaymentError):
    """A provider notification was refused before anything was read from it.

    ``reason`` says why in a few words ("no signature", "signature does not match",
    "timestamp outside the tolerance", "unknown provider"); nothing was recorded. Web
    endpoints answer 400 with the reason and never echo the body.
    """

    def __init__(self, reason: str, *, provider: str = "") -> None:
        self.reason = reason
        super().__init__(
            f"{provider or 'provider'} notification rejected: {reason}",
            provider=provider,
            code="webhook_rejected",
            retryable=False,
        )


class DeliveryError(InvoiceKitError):
    """A message could not be delivered on a channel; ``retryable`` says whether to try again."""

    def __init__(
        self, message: str, *, channel: str = "", recipient: str = "", retryable: bool = False
    ) -> None:
        self.channel = channel
        self.recipient = recipient
        self.retryable = retryable
        super().__init__(message)


class StorageError(InvoiceKitError):
    """The store failed; adapters translate driver errors into this (never a raw driver error)."""


class IntegrityError(StorageError):
    """Stored data no longer matches its content hash: it was changed behind invoicekit's back."""


class ConfigurationError(InvoiceKitError):
    """A setting is invalid (numbering format, rounding policy, adapter options)."""


class MissingExtraError(ConfigurationError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class InvariantViolationError(InvoiceKitError):
    """An always-on invariant check failed; the change was refused rather than stored."""

    def __init__(self, invariant: str, detail: str) -> None:
        self.invariant = invariant
        self.detail = detail
        super().__init__(f"invariant {invariant} violated: {detail}")


def raise_if(problems: Sequence[Problem], *, subject: str) -> None:
    """Raise one ValidationError listing ``problems`` if there are any."""
    if problems:
        raise ValidationError(problems, subject=subject)
