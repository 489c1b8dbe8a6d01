"""Real servers on loopback that misbehave the way networks do, for the client's edge tests.

:class:`RawServer` is a plain asyncio TCP server (faults below HTTP: silence, trickles, a
proxy that never answers ``CONNECT``). :class:`ScriptedAPI` is a real aiohttp application that
answers like IonQ's API until the part a test makes nonsensical.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """Every connection handled by ``handler``, on a thread with its own event loop."""

    def __init__(self, handler: Handler) -> None:
        self.connections = 0
        self.request_lines: list[bytes] = []
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        port: list[int] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self._handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        async def main() -> None:
            self._server = await asyncio.start_server(handle, "127.0.0.1", 0)
            port.append(self._server.sockets[0].getsockname()[1])
            ready.set()

        self._thread = threading.Thread(target=self._run, args=(main,), daemon=True)
        self._thread.start()
        ready.wait()
        self.port = port[0]

    def _run(self, main: Callable[[], Awaitable[None]]) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main())
        loop.run_forever()  # until stop()
        self._server.close()
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(self._server.wait_closed())
        loop.close()

    def url(self, path: str = "/v0.4") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request's head (request line and headers)."""
    return await reader.readuntil(b"\r\n\r\n")


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads, never answers."""
    await asyncio.sleep(3600)


def trickle(every: float, body: bytes = b"{" + b" " * 10_000 + b"}") -> Handler:
    """200 with a Content-Length, then the body one byte every ``every`` seconds."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body))
        for byte in body:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)
    return handler


def answer(status: int, reason: str, headers: dict[str, str] | None = None,
           body: bytes = b"") -> Handler:
    """One fixed answer to every request."""
    head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(f"HTTP/1.1 {status} {reason}\r\n{head}Content-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        await writer.drain()
    return handler


def huge(size: int) -> Handler:
    """200 with a JSON body of ``size`` bytes, streamed chunked (no Content-Length)."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b" " * (1 << 20)
        for _ in range(size // len(chunk)):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    return handler


CATALOG = [{"backend": "simulator", "status": "available", "qubits": 29,
            "supported_native_gates": ["gpi", "gpi2", "ms", "zz"]}]


class ScriptedAPI:
    """A real aiohttp server answering like IonQ's API: the catalogue, ``POST /jobs`` (job
    ``j1``), a completed record naming an artifact, and the artifact ``results`` (which a test
    sets to whatever nonsense it needs). ``seen`` lists "METHOD path" of each request."""

    def __init__(self, results: Any) -> None:
        self.results = results
        self.seen: list[str] = []
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def start() -> None:
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = self._runner.addresses[0][1]
            ready.set()

        def run() -> None:
            self._loop.run_until_complete(start())
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait()
        self.url = f"http://127.0.0.1:{self.port}/v0.4"

    async def _handle(self, request: web.Request) -> web.Response:
        self.seen.append(f"{request.method} {request.path}")
        path = request.path.removeprefix("/v0.4")
        if path == "/backends":
            return web.json_response(CATALOG)
        if path == "/jobs" and request.method == "POST":
            return web.json_response({"id": "j1", "status": "submitted"}, status=201)
        if path == "/jobs/j1":
            return web.json_response({
                "id": "j1", "status": "completed", "child_job_ids": None, "results": {
                    "ionq.result.probabilities.json.v1": {"id": "a1"}}})
        if path == "/jobs/j1/artifacts/a1":
            return web.json_response(self.results)
        return web.json_response({"error": "Not Found Error", "message": path}, status=404)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
