"""On a phone the bank details read at a glance: the IBAN in whole groups of four, the BIC unbroken.

Measured in Chromium at 375×667 from the rendered lines of text, for every
document that shows bank details.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from browser.kit import PHONE, OpenPage, Site
from browser.test_first_screen import CASES, GERMAN, Case
from invoicekit.adapters.render import TemplateRenderer

#: The IBAN of 27 characters may take two lines of a phone, never more.
IBAN_LINES: Final = 2

_LINES_JS: Final = """
() => {
  const tops = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  };
  const measure = (el) => {
    const node = el.firstChild;
    const text = node.textContent;
    const groups = [];
    for (const m of text.matchAll(/\\S+/g)) {
      groups.push({text: m[0], lines: tops(node, m.index, m.index + m[0].length).size});
    }
    return {text, lines: tops(node, 0, text.length).size, groups};
  };
  return {iban: measure(document.querySelector(".bank .iban")), bic: measure(document.querySelector(".bank .bic"))};
}
"""


def bank_lines(site: Site, open_page: OpenPage, case: Case) -> dict[str, Any]:
    invoice, context = case.build()
    document = TemplateRenderer().render(case.kind, invoice, context=context)
    opened = open_page(site.publish(f"bank-{case.id}.html", document.content), PHONE)
    found: dict[str, Any] = opened.page.evaluate(_LINES_JS)
    return found


@pytest.mark.parametrize("case", [c for c in (*CASES, GERMAN) if c.bank], ids=lambda c: c.id)
def test_the_iban_takes_two_lines_at_most_in_whole_groups_and_the_bic_one(
    case: Case, site: Site, open_page: OpenPage
) -> None:
    found = bank_lines(site, open_page, case)
    iban, bic = found["iban"], found["bic"]
    assert iban["lines"] <= IBAN_LINES, iban
    assert [g["text"] for g in iban["groups"] if g["lines"] != 1] == [], iban
    assert bic["lines"] == 1, bic
