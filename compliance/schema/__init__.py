"""JSON Schema checking for blueprint `configSchema`s: a fast validator for the subset blueprints use, confined
to the schema's own document.
"""
