"""The Renderer contract, run against TemplateRenderer and the shipped MemoryRenderer."""

from __future__ import annotations

import pytest

from invoicekit.adapters.render import TemplateRenderer
from invoicekit.ports import Renderer
from invoicekit.testing import MemoryRenderer
from invoicekit.testing.contracts.renderer import RendererContract


class TestTemplateRenderer(RendererContract):
    @pytest.fixture
    def renderer(self) -> Renderer:
        return TemplateRenderer()


class TestMemoryRenderer(RendererContract):
    supports_pdf = False

    @pytest.fixture
    def renderer(self) -> Renderer:
        return MemoryRenderer()
