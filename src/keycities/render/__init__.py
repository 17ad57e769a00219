"""Renderers: one content model to HTML/PDF and to Word."""
