"""Sphinx directive ``lifecycle-diagram``: the invoice lifecycle drawn from the code's table.

The diagram and the table below it are generated from
``invoicekit.domain.lifecycle.transitions()`` at build time, so the docs cannot
drift from the rules the code enforces.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _mermaid() -> list[str]:
    from invoicekit.domain.lifecycle import transitions

    edges: dict[tuple[str, str], list[str]] = {}
    for status, action, targets in transitions():
        for target in sorted(targets):
            if target is status:
                continue
            edges.setdefault((status.value, target.value), []).append(action.value)
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for (source, target), actions in sorted(edges.items()):
        lines.append(f"    {source} --> {target}: {', '.join(sorted(actions))}")
    lines += ["    draft --> [*]: delete", "    void --> [*]"]
    return lines


def _table() -> list[str]:
    from invoicekit.domain.lifecycle import ALLOWED
    from invoicekit.domain.status import Status

    rows = ["| status | allowed actions |", "| --- | --- |"]
    for status in Status:
        actions = ", ".join(f"`{a.value}`" for a in sorted(ALLOWED[status])) or "none (final)"
        rows.append(f"| `{status.value}` | {actions} |")
    return rows


class LifecycleDiagram(SphinxDirective):
    """Insert the generated mermaid state diagram and the allowed-actions table."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Parse the generated Markdown into the document."""
        text = ["```{mermaid}", *_mermaid(), "```", "", *_table()]
        container = nodes.container()
        self.state.nested_parse(
            StringList(text, source="lifecycle"), self.content_offset, container
        )
        return [container]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("lifecycle-diagram", LifecycleDiagram)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
