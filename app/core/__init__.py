"""Pieces every feature shares: errors, input schemas, e-mail addresses, request guards."""
