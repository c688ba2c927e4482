"""Unchecked constructors of attrs classes, for trusted loads: set each slot, check nothing.

``unchecked(Line)`` returns a function taking every field of ``Line`` by keyword that
builds an instance without converters, validators or ``__attrs_post_init__``: what a
stored document written by invoicekit needs, since its values were checked when they
entered. It is generated from the class's fields, as attrs generates ``__init__``, and
sets each slot through its descriptor (twice as fast as ``object.__setattr__``). A field
added to a class becomes a required argument, so a reader that misses it fails loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any, TypeVar, cast

import attrs

__all__ = ["unchecked"]

T = TypeVar("T")


def _slot(cls: type[Any], name: str) -> MemberDescriptorType:
    for klass in cls.__mro__:
        slot = klass.__dict__.get(name)
        if isinstance(slot, MemberDescriptorType):
            return slot
    raise TypeError(f"{cls.__qualname__}.{name} is not a slot: trusted loads need slotted classes")


def unchecked(cls: type[T]) -> Callable[..., T]:
    """A keyword-only constructor of attrs class ``cls`` that runs none of its checks."""
    names = [field.name for field in attrs.fields(cast(Any, cls))]
    if any(not name.isidentifier() for name in names):  # pragma: no cover - attrs ensures it
        raise TypeError(f"{cls.__qualname__} has a field that is not an identifier")
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    body = []
    for i, name in enumerate(names):
        namespace[f"_set{i}"] = _slot(cls, name).__set__
        body.append(f"    _set{i}(built, {name})")
    source = "\n".join(
        [f"def build(*, {', '.join(names)}):", "    built = _new(_cls)", *body, "    return built"]
    )
    # Generated from the class's own field names only, as attrs generates __init__.
    exec(compile(source, f"<unchecked {cls.__qualname__}>", "exec"), namespace)  # noqa: S102
    build: Callable[..., T] = namespace["build"]
    build.__qualname__ = f"unchecked({cls.__qualname__})"
    return build
