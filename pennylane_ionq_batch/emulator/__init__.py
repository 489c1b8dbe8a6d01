"""An IonQ API v0.4 emulator: a real aiohttp server with a numpy statevector behind it."""

from .models import FaultModel, LatencyModel, latency_preset, parse_faults
from .server import EmulatorServer, embedded_emulator, fetch_log

__all__ = ["EmulatorServer", "FaultModel", "LatencyModel", "embedded_emulator", "fetch_log",
           "latency_preset", "parse_faults"]
