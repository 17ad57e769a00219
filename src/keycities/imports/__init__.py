"""Bringing published figures into the project's data files: `generate.py data import`."""
