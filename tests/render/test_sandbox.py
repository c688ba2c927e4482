"""Seller-supplied templates run in Jinja2's immutable sandbox; breaking out is a ValidationError."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from factories import customer, issued, seller
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ValidationError

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ seller.__class__ }}{{ lipsum.__globals__ }}",
]


def _invoice(seller_id: str = "s1", customer_name: str = "Globex") -> Invoice:
    s = seller(id=seller_id)
    return issued(of=s, to=customer(s, name=customer_name))


@pytest.mark.parametrize("source", ESCAPES)
def test_a_sandbox_escape_is_refused_with_a_clear_error(source: str) -> None:
    renderer = TemplateRenderer(seller_templates={"s1": {"invoice.html": source}})
    with pytest.raises(ValidationError, match="seller_templates\\['s1'\\]") as err:
        renderer.render("invoice", _invoice())
    assert "sandbox" in str(err.value) or "undefined" in str(err.value)


def test_the_subclasses_escape_is_a_security_error_underneath() -> None:
    renderer = TemplateRenderer(seller_templates={"s1": {"invoice.html": ESCAPES[0]}})
    with pytest.raises(ValidationError, match="sandbox forbids") as err:
        renderer.render("invoice", _invoice())
    assert isinstance(err.value.__cause__, SecurityError)


def test_the_sandbox_is_immutable() -> None:
    source = "{% set xs = [] %}{{ xs.append(1) }}{{ lines.append(1) }}"
    renderer = TemplateRenderer(seller_templates={"s1": {"invoice.txt": source}})
    with pytest.raises(ValidationError, match="sandbox forbids"):
        renderer.render("invoice", _invoice(), media_type="text/plain")


def test_a_seller_template_customises_only_that_sellers_documents() -> None:
    source = '{% extends "base.html" %}{% block intro %}<p class="s1">Dear {{ customer.name }}</p>{% endblock %}'
    renderer = TemplateRenderer(seller_templates={"s1": {"invoice.html": source}})
    mine = renderer.render("invoice", _invoice("s1", "{{ 7*7 }} <b>")).content.decode()
    assert '<p class="s1">Dear {{ 7*7 }} &lt;b&gt;</p>' in mine
    assert 'data-answer="how-to-pay"' in mine  # the package layout still applies
    other = renderer.render("invoice", _invoice("s2")).content.decode()
    assert 'class="s1"' not in other


def test_a_seller_template_cannot_read_files() -> None:
    renderer = TemplateRenderer(
        seller_templates={"s1": {"invoice.txt": "{% include '/etc/passwd' %}"}}
    )
    with pytest.raises(ValidationError, match="does not exist"):
        renderer.render("invoice", _invoice(), media_type="text/plain")


def test_seller_templates_that_do_not_compile_are_refused_up_front() -> None:
    with pytest.raises(
        ValidationError, match=r"seller_templates\['s1'\]\['invoice.html'\]: does not compile"
    ):
        TemplateRenderer(seller_templates={"s1": {"invoice.html": "{% for %}"}})
