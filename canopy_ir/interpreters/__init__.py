"""Interpreters for every IR level (xDSL interpreter framework, numpy values)."""
