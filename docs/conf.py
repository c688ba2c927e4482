"""Sphinx configuration: MyST Markdown sources, the furo theme, API pages from docstrings.

The build needs no network (no intersphinx) and passes with ``-W``:
``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Document the source tree itself (no install needed) and load local extensions.
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(DOCS / "_ext"))

_project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

project = "invoicekit"
author = "The invoicekit authors"
copyright = "the invoicekit authors"
release = _project["version"]
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.mermaid",
    # Every local extension in docs/_ext is loaded, so adding one needs no edit here.
    *sorted(path.stem for path in (DOCS / "_ext").glob("[!_]*.py")),
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]

# -- MyST ----------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- autodoc / napoleon --------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# -- HTML ----------------------------------------------------------------------
html_theme = "furo"
html_title = f"invoicekit {release}"
