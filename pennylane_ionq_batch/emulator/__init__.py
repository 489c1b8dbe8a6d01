"""An IonQ API v0.4 emulator: a real aiohttp server with a numpy statevector behind it."""

from .billing import Price, PriceTable
from .models import FaultModel, LatencyModel, latency_preset, parse_faults
from .server import EmulatorServer, embedded_emulator, fetch_log

__all__ = ["EmulatorServer", "FaultModel", "LatencyModel", "Price", "PriceTable",
           "embedded_emulator", "fetch_log", "latency_preset", "parse_faults"]
