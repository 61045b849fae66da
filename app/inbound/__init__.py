"""Inbound e-mail: replies and new cases that arrive by mail."""
