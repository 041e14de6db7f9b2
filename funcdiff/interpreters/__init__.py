"""Interpreters of the IR: one transform each, no primitive names inside."""
