"""The JSON Schemas of the customer file and reconciler.yaml, shipped as `reconciler.schemas`."""
