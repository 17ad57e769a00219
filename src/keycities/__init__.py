"""Campaign letters and briefing packs for the Key Cities Group."""

__version__ = "0.1.0"
