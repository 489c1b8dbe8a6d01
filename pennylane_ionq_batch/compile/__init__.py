"""PennyLane circuits → IonQ circuit JSON. Never imports the client's network code."""

from . import native, qis
from .native import compile_native, native_operations, serialize_native
from .qis import QIS_OPERATIONS, serialize_circuit

__all__ = ["QIS_OPERATIONS", "compile_native", "native", "native_operations", "qis",
           "serialize_circuit", "serialize_native"]
