"""Long-running commands (`outbox work`, `tracking poll --loop`) stop cleanly on SIGTERM and Ctrl-C."""
from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event):
    """First SIGINT/SIGTERM sets `stop`: the command finishes what it has in hand, then ends. A second Ctrl-C
    interrupts at once. Outside the main thread (tests, embedded runs) signals cannot be caught: nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum, _frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
