"""The bridge from PennyLane's synchronous ``execute`` to the async client.

One event loop on a daemon thread serves every device of the process, so ``execute`` works the
same in scripts, in threads and inside Jupyter (whose own loop is already running). After
``os.fork()`` the child has no such thread: it starts its own loop on first use, and devices
make new clients for it (see :func:`background_loop`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .client import IonQClient, Journal
from .client.http import deadline as client_deadline
from .client.journal import default_path
from .config import ClientConfig
from .exceptions import ConfigurationError

T = TypeVar("T")
log = logging.getLogger("pennylane_ionq_batch")
CLEANUP_SECONDS = 15.0


class BackgroundLoop:
    """An event loop running forever on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ionq-batch-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], deadline: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for it; by ``deadline`` (``time.monotonic()``)
        it is canceled and TimeoutError raised (see :func:`~.client.http.deadline`).

        On Ctrl-C the coroutine is canceled and given ``CLEANUP_SECONDS`` to cancel its remote
        jobs before the KeyboardInterrupt propagates.
        """
        finished = threading.Event()

        async def guarded() -> T:
            try:
                async with client_deadline(deadline):
                    return await coro
            finally:
                finished.set()

        future = asyncio.run_coroutine_threadsafe(guarded(), self.loop)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            log.warning("ionq.batch: interrupted; canceling the jobs of this call")
            finished.wait(CLEANUP_SECONDS)
            raise

    def run_cleanup(self, coro: Coroutine[Any, Any, Any], timeout: float = 5.0) -> None:
        """Run a cleanup coroutine to its end (at most ``timeout`` s); never raises.

        From the loop's own thread (a finalizer run by the garbage collector there) it can
        only be scheduled, not awaited.
        """
        if self.loop.is_closed():
            coro.close()
            return
        if threading.current_thread() is self._thread:
            self.loop.create_task(coro)
            return
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            future.result(timeout)
        except (concurrent.futures.TimeoutError, Exception) as exc:  # noqa: BLE001
            log.debug("ionq.batch: cleanup did not finish: %r", exc)


_shared: BackgroundLoop | None = None
_lock = threading.Lock()


def background_loop() -> BackgroundLoop:
    """The process-wide loop, started on first use (in a forked child: its own)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = BackgroundLoop()
        return _shared


def _forget_after_fork() -> None:
    """In a forked child the loop's thread does not exist: start afresh on first use."""
    global _shared, _lock
    _shared = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def open_journal(journal: Any, is_qpu: bool) -> Journal | None:
    if journal is None:
        journal = is_qpu
    if journal is False:
        return None
    if journal is True:
        return Journal(default_path())
    if isinstance(journal, (str, os.PathLike)):
        return Journal(journal)
    raise ConfigurationError(f"ionq.batch: journal must be True, False or a file path, got "
                             f"{journal!r}")


class Resources:
    """What a device holds open: its HTTP client (bound to one event loop: after a fork, a
    new one) and its journal. Closed by the device's ``close()``, or when the device is
    garbage-collected or the interpreter exits, whichever comes first.
    """

    def __init__(self, journal: Journal | None) -> None:
        self.client: IonQClient | None = None
        self.loop: BackgroundLoop | None = None
        self.abandoned: list[IonQClient] = []  # made before a fork: their sockets are shared
        self.journal = journal

    def client_for(self, config: ClientConfig) -> IonQClient:
        loop = background_loop()
        if self.client is not None and self.loop is not loop:  # forked: a new loop
            self.abandoned.append(self.client)
            self.client = None
        if self.client is None:
            self.client, self.loop = IonQClient(config), loop
        return self.client

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and self.loop is background_loop():
            self.loop.run_cleanup(client.close())
        if self.journal is not None:
            self.journal.close()
