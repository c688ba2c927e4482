"""``FrozenMapping``: a read-only mapping that, unlike MappingProxyType, pickles and deep-copies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["FrozenMapping", "freeze"]


class FrozenMapping(Mapping[str, Any]):
    """An immutable dict for metadata and settings; nested values are frozen too (see ``freeze``)."""

    __slots__ = ("_data",)
    _data: dict[str, Any]

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "_data", {str(k): freeze(v) for k, v in (data or {}).items()})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        """The value for ``key``, or ``default`` (a dict lookup; no exception on a miss)."""
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMapping is read-only")

    def __reduce__(self) -> tuple[type[FrozenMapping], tuple[dict[str, Any]]]:
        return (FrozenMapping, (self._data,))

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))

    def thaw(self) -> dict[str, Any]:
        """A plain, mutable deep copy (dicts and lists) for serialization."""
        return {k: _thaw(v) for k, v in self._data.items()}


def freeze(value: Any) -> Any:
    """A read-only deep copy of JSON-like data: mappings become FrozenMapping, lists tuples."""
    if isinstance(value, FrozenMapping):
        return value
    if isinstance(value, Mapping):
        return FrozenMapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, FrozenMapping):
        return value.thaw()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, FrozenMapping):
        return hash(value)
    return value
