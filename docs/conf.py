"""Sphinx configuration: the user guide (Markdown, through MyST) and the API reference (from
docstrings, Google style). Built with warnings as errors: ``sphinx-build -W docs docs/_build``."""

from pennylane_ionq_batch import __version__

project = "pennylane-ionq-batch"
author = "pennylane-ionq-batch contributors"
release = version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon",
              "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3  # "reliability.md#bad-input" links resolve
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_inherit_docstrings = False  # PennyLane's use directives of its own docs site
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "alabaster"
html_title = f"pennylane-ionq-batch {release}"
