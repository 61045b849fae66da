"""Many clients from one machine: loopback source addresses (127.x.y.z), so nginx and the app see a different
customer per address and per-address rate limits meet what they would meet with real customers. Used by the
cluster drill, the fault drills and the load bench's Locust users."""
from __future__ import annotations

from requests.adapters import HTTPAdapter


def address(i: int) -> str:
    """The i-th loopback address: 127.10.0.1, 127.10.0.2, …"""
    return f"127.{10 + i // 65025 % 200}.{i // 255 % 255}.{1 + i % 254}"


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one loopback address."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)
