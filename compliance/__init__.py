__version__ = "0.3.0"
# The distribution's name (pyproject `[project] name`): `compliance` on PyPI is an unrelated package, so
# the import package and the command keep the name and the distribution has its own.
DISTRIBUTION = "blueprint-compliance"
HELM_EXTRA_INSTALL = "pip install '.[helm]'"  # from a checkout of this repository, never from PyPI by name
