"""Run the emulator: inside an event loop (``async with EmulatorServer()``) or on its own thread.

Binds to loopback by default. ``EmulatorServer.in_thread()`` gives a server with its own event
loop in a daemon thread, which is how ``backend="emulator"`` embeds one in the device's process.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
from typing import Any

from aiohttp import web

from .app import PREFIX, STATE, RequestLog, create_app
from .billing import PriceTable
from .models import FaultModel, LatencyModel
from .store import JobStore

DEFAULT_MAX_QUBITS = 26  # 2**26 amplitudes = 1 GiB of complex128: what a laptop can spare
CONTRACT_VARIABLE = "IONQ_BATCH_EMULATOR_CONTRACT"


def default_contract() -> str:
    """``$IONQ_BATCH_EMULATOR_CONTRACT``, else ``"current"`` (how CI runs every test twice)."""
    return os.environ.get(CONTRACT_VARIABLE, "current")


class EmulatorServer:
    """An IonQ API v0.4 emulator serving on ``host:port`` (port 0 picks a free one).

    ``contract="current"`` follows IonQ's API document; ``"legacy"`` also serves the older
    result shapes (see :mod:`.app`). By default: :func:`default_contract`. ``sessions=False``
    plays an account without sessions.

    Attributes:
        url: the API base URL (``http://127.0.0.1:PORT/v0.4``) once started.
        store: the job store (shared, so a restarted server can keep its jobs).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 latency: LatencyModel | None = None, faults: FaultModel | None = None,
                 api_key: str | None = None, seed: int | None = None,
                 max_qubits: int = DEFAULT_MAX_QUBITS, store: JobStore | None = None,
                 qpu_noise: bool = True, contract: str | None = None,
                 prices: PriceTable | None = None, sessions: bool = True) -> None:
        self.host, self.port = host, port
        self.store = store or JobStore(max_qubits=max_qubits, qpu_noise=qpu_noise)
        self.app = create_app(self.store, latency=latency, faults=faults, api_key=api_key,
                              seed=seed, contract=contract or default_contract(),
                              prices=prices, sessions=sessions)
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{PREFIX}"

    @property
    def log(self) -> RequestLog:
        return self.app[STATE].log

    def reset_log(self) -> None:
        self.app[STATE].log = RequestLog()

    async def start(self) -> EmulatorServer:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self._runner.addresses:  # the port picked when 0 was asked for
            self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- running on a thread of its own -------------------------------------------------------
    def start_in_thread(self) -> EmulatorServer:
        """Serve from a daemon thread with its own event loop; return once it is listening."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self.start())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.stop())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="ionq-batch-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None


def fetch_log(api_url: str, api_key: str = "any") -> dict[str, Any]:
    """Read the request log of an emulator from any process (``GET /_emulator/log``; the
    emulator's key if it was started with one)."""
    origin = api_url.rsplit(PREFIX, 1)[0]
    request = urllib.request.Request(f"{origin}/_emulator/log",
                                     headers={"Authorization": f"apiKey {api_key}"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


_embedded: dict[str, EmulatorServer] = {}
_embedded_lock = threading.Lock()


def embedded_emulator(qpu_noise: bool = True, contract: str | None = None) -> EmulatorServer:
    """The process-wide emulator behind ``backend="emulator"``, started on first use.

    Each combination of ``qpu_noise`` (False: impersonated QPUs sample without noise) and
    ``contract`` gets an emulator of its own.
    """
    contract = contract or default_contract()
    key = f"{'noisy' if qpu_noise else 'ideal'}-qpus/{contract}"
    with _embedded_lock:
        if key not in _embedded:
            _embedded[key] = EmulatorServer(qpu_noise=qpu_noise,
                                            contract=contract).start_in_thread()
        return _embedded[key]
