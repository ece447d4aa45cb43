"""The project configuration (`.compliance.yaml`, `[tool.compliance]`, `--config`) under the command line's
overrides.
"""
