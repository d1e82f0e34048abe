"""Doors into the pipeline. Each only moves bytes and calls ``Pipeline.process``."""
