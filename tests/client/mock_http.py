"""``aioresponses`` made to work with aiohttp ≥ 3.14 (test-only shim).

aiohttp 3.14 (a security release) added a required ``stream_writer`` argument to
``ClientResponse``, which aioresponses 0.7.9 does not pass (pnuckowski/aioresponses#289, open).
aioresponses takes a ``response_class``; this one supplies the argument. Remove once a fixed
aioresponses is released.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aiohttp import ClientResponse
from aioresponses import aioresponses as _aioresponses


class _MockResponse(ClientResponse):
    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


class aioresponses(_aioresponses):  # noqa: N801 - keeps the library's name
    def add(self, url: Any, method: str = "GET", *args: Any, **kwargs: Any) -> None:
        kwargs["response_class"] = kwargs.get("response_class") or _MockResponse
        super().add(url, method, *args, **kwargs)
