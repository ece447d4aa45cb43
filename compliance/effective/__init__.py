"""Effective values: Helm's coalescing of chart defaults and overlays, Flux post-build substitution, and the
provenance of every leaf.
"""
