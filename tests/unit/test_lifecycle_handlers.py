"""The lifecycle's handlers: one per command, each declaring the statuses it can lead to.

``outcomes()`` (and the lifecycle diagram drawn from ``transitions()``) is derived
from these declarations, not kept as a second table by hand.
"""

from __future__ import annotations

import pytest

from invoicekit.domain import commands
from invoicekit.domain import lifecycle as lc
from invoicekit.domain.handling import Handler
from invoicekit.domain.status import Action, Status


def _commands() -> set[type[commands.Command]]:
    return {
        value
        for value in vars(commands).values()
        if isinstance(value, type)
        and issubclass(value, commands.Command)
        and value is not commands.Command
    }


def test_every_command_has_a_handler_declaring_its_outcomes() -> None:
    assert set(lc._HANDLERS) == _commands()
    assert all(isinstance(handler, Handler) for handler in lc._HANDLERS.values())


def test_every_action_of_the_table_has_a_handler() -> None:
    handled = {command.action for command in lc._HANDLERS}
    assert set().union(*lc.ALLOWED.values()) <= handled


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.UNCOLLECTIBLE])
def test_outcomes_are_what_the_handlers_declare(status: Status) -> None:
    for action in Action:
        declared: set[Status] = set()
        for command, handler in lc._HANDLERS.items():
            if command.action is action:
                declared |= handler.leads_to | ({status} if handler.keeps else set())
        expected = declared if action in lc.ALLOWED[status] else set()
        assert lc.outcomes(status, action) == expected, action


def test_an_uncollectible_invoice_only_becomes_paid_or_stays() -> None:
    for action in lc.ALLOWED[Status.UNCOLLECTIBLE]:
        assert lc.outcomes(Status.UNCOLLECTIBLE, action) <= {Status.PAID, Status.UNCOLLECTIBLE}
        assert Status.UNCOLLECTIBLE in lc.outcomes(Status.UNCOLLECTIBLE, action)


def test_the_commands_are_still_reached_through_lifecycle() -> None:
    assert lc.RecordPayment is commands.RecordPayment
    assert lc.CREDIT_METHOD == commands.CREDIT_METHOD
    assert callable(lc.refundable)
