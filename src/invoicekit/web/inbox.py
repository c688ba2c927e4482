"""A customer's in-app inbox as a page: newest first, links only to web addresses."""

from __future__ import annotations

from typing import Any

from invoicekit.ports import InboxItem

__all__ = ["inbox_context"]


def inbox_context(items: list[InboxItem]) -> dict[str, Any]:
    """The inbox page's context: each item's title, time, text and (http/https) link."""
    return {
        "lang": "en",
        "title": "Your messages",
        "items": [
            {
                "title": item.title,
                "text": item.text,
                "when": item.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "read": item.read_at is not None,
                "url": item.url
                if item.url and item.url.startswith(("https://", "http://"))
                else None,
            }
            for item in items
        ],
    }
