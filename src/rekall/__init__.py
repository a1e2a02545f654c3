"""Rekall: a local-first knowledge base for developers."""

__version__ = "0.4.0"
