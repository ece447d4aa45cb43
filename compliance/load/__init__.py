"""Loading: files under the linted root (bounded, never following links out), YAML with positions and Helm's
typing, and the repository model built from them.
"""
