"""Sphinx directive ``bt-mapping``: the EN 16931 business-term table drawn from the code.

The tables are generated from ``invoicekit.einvoice.mapping.TERMS`` at build time (the
same table the tests check against real exports), so the docs cannot drift from
what the writers produce.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> list[str]:
    """The business terms as Markdown: one section and table per EN 16931 group."""
    from invoicekit.einvoice.terms import TERMS

    out: list[str] = []
    for group in TERMS:
        out += [f"### {group.bg} {group.name}", ""]
        out += ["| term | name | UBL 2.1 | CII D16B | from |", "| --- | --- | --- | --- | --- |"]
        out += [
            f"| {t.bt} | {_cell(t.name)} | `{_cell(t.ubl)}` | `{_cell(t.cii)}` | "
            f"`{_cell(t.model)}` |"
            for t in group.terms
        ]
        out.append("")
    return out


class BtMapping(SphinxDirective):
    """Insert the generated business-term tables."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Parse the generated Markdown into the document."""
        container = nodes.container()
        self.state.nested_parse(
            StringList(markdown(), source="bt-mapping"), self.content_offset, container
        )
        return [container]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("bt-mapping", BtMapping)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
