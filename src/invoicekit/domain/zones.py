"""Time zone names: the one check every zone a caller gives (seller, customer, ...) goes through.

``zoneinfo`` alone turns some bad names into raw ``OSError``s (a folder such as
``Europe``, a name too long for the file system) and accepts host-dependent ones,
so a zone is checked here before it is stored: an IANA name such as ``Europe/Berlin``.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invoicekit.errors import Problem, problem

__all__ = ["MAX_ZONE", "zone_problems"]

#: The longest zone name accepted (the longest IANA name has 32 characters; a name too
#: long for the file system would raise a raw ``OSError`` in ``zoneinfo``).
MAX_ZONE: Final = 64
#: IANA names: parts of letters, digits, ``_``, ``-`` and ``+`` joined by ``/``.
_NAME: Final = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")
#: Names that resolve to whatever zone the host is set to: the books would move with the server.
_HOST_DEPENDENT: Final = frozenset({"localtime", "posixrules"})
_EXAMPLE: Final = "an IANA time zone name such as 'Europe/Berlin', 'America/New_York' or 'UTC'"


def _shape(value: str) -> str | None:
    """Why ``value`` cannot be a zone name by its form alone, or None."""
    if not value:
        return "must not be empty"
    if len(value) > MAX_ZONE:
        return f"at most {MAX_ZONE} characters"
    if not _NAME.fullmatch(value):
        return "must use letters, digits, '_', '-' and '+' only, in parts joined by '/'"
    if value in _HOST_DEPENDENT:
        return "follows the server's own setting, so the books would move with the server"
    return None


@functools.cache
def _regions() -> frozenset[str]:
    """Every folder of zone names (``Europe``, ``America/Argentina``), whichever database is used."""
    names = zoneinfo.available_timezones()
    return frozenset(zone[:at] for zone in names for at, char in enumerate(zone) if char == "/")


def _lookup(value: str) -> str | None:
    """Why the time zone database has no zone ``value``, or None."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # A folder is IsADirectoryError from system files, not found from the tzdata package.
        if value in _regions():
            return f"is a region, not a time zone (name a city in it: '{value}/<city>')"
        return "unknown time zone"
    return None


def zone_problems(path: str, value: object) -> list[Problem]:
    """What is wrong with ``value`` as the time zone at ``path`` (nothing when it names a zone)."""
    why = _shape(value) or _lookup(value) if isinstance(value, str) else "must be a string"
    return [] if why is None else [problem(path, f"{why}; give {_EXAMPLE}", value)]
