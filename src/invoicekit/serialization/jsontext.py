"""Canonical JSON: sorted keys, no spaces, UTF-8 text; by orjson when installed, else the stdlib.

Both paths give the same bytes for JSON values (dicts with str keys, lists, tuples, str,
int, bool, None), so a content hash does not depend on which one wrote it. orjson is asked
first only for what it writes exactly as the stdlib does; whatever it refuses (an int
beyond 64 bits, a lone surrogate, a type that is not JSON) goes to the stdlib, which
decides: a lone surrogate is a ValidationError on both paths, anything else not JSON a
TypeError. ``INVOICEKIT_JSON=stdlib`` (read at import) turns orjson off; ``=orjson``
requires it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, Final

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError, ValidationError, problem

__all__ = [
    "ENV_VAR",
    "canonical_bytes",
    "canonical_json",
    "json_backend",
    "loads",
    "make_canonical_bytes",
    "make_loads",
    "stdlib_canonical_bytes",
]

#: The environment variable that picks the JSON backend: ``auto`` (default), ``stdlib``, ``orjson``.
ENV_VAR: Final = "INVOICEKIT_JSON"
_CHOICES: Final = ("auto", "stdlib", "orjson")
_DUMPS: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_LOADS: Final = json.JSONDecoder().decode


def _orjson() -> Any:
    """The orjson module when the environment lets invoicekit use it, else None."""
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ConfigurationError(
            f"{ENV_VAR}={choice!r} is not a JSON backend: use one of {', '.join(_CHOICES)}"
        )
    if choice == "stdlib":
        return None
    if choice == "orjson":
        return require("orjson", extra="fast", feature=f"{ENV_VAR}=orjson")
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def stdlib_canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value`` by the stdlib (the reference of both paths).

    Raises ValidationError for text with a lone surrogate (U+D800 to U+DFFF: no UTF-8 form)
    and TypeError (or ValueError) for a value that is not JSON.
    """
    text = _DUMPS(value)
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise _surrogate_error(text, exc) from exc


def _surrogate_error(text: str, exc: UnicodeEncodeError) -> ValidationError:
    where = text[max(0, exc.start - 30) : exc.start]
    return ValidationError(
        [
            problem(
                "text",
                "contains a lone surrogate (U+D800 to U+DFFF), which has no UTF-8 form and "
                f"cannot be stored; pass valid Unicode text (it follows {where!r})",
            )
        ],
        subject="document",
    )


_ORJSON: Final = _orjson()


def make_canonical_bytes(orjson: Any) -> Callable[[Any], bytes]:
    """``canonical_bytes`` by ``orjson`` (the module), or by the stdlib when it is None."""
    if orjson is None:
        return stdlib_canonical_bytes
    dumps = orjson.dumps
    # Subclasses (StrEnum members), dates and dataclasses go to the stdlib, which decides.
    options = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
    )

    def canonical(value: Any) -> bytes:
        try:
            encoded: bytes = dumps(value, option=options)
        except TypeError:  # orjson.JSONEncodeError: the stdlib decides what is refused
            return stdlib_canonical_bytes(value)
        return encoded

    return canonical


def make_loads(orjson: Any) -> Callable[[str | bytes], Any]:
    """``loads`` by ``orjson`` (the module), or by the stdlib when it is None.

    orjson reads an int beyond 64 bits as a float: invoicekit writes none in its documents
    (metadata ints fit in 64 bits), and such text read by another path is not trusted anyway.
    """
    if orjson is None:
        return _stdlib_loads
    orjson_loads = orjson.loads

    def fast(text: str | bytes) -> Any:
        try:
            return orjson_loads(text)
        except ValueError:  # orjson.JSONDecodeError, e.g. an escaped lone surrogate
            return _stdlib_loads(text)

    return fast


def _stdlib_loads(text: str | bytes) -> Any:
    return _LOADS(text if isinstance(text, str) else text.decode())


#: The canonical UTF-8 bytes of a JSON value (see the module docstring).
canonical_bytes: Final = make_canonical_bytes(_ORJSON)
#: Parse JSON text (str or UTF-8 bytes).
loads: Final = make_loads(_ORJSON)


def canonical_json(document: Any) -> str:
    """JSON with sorted keys and no spaces: equal documents give equal text (for hashing).

    Raises ValidationError for text with a lone surrogate, TypeError for a value that is not JSON.
    """
    if _ORJSON is not None:
        return canonical_bytes(document).decode()
    text: str = _DUMPS(document)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError as exc:
            raise _surrogate_error(text, exc) from exc
    return text


def json_backend() -> str:
    """Which JSON library encodes and decodes stored documents: ``"orjson"`` or ``"stdlib"``."""
    return "stdlib" if _ORJSON is None else "orjson"
