"""PennyLane circuits → IonQ circuit JSON. Never imports the client's network code."""

from . import native, qis
from .native import compile_native, native_operations
from .qis import QIS_OPERATIONS, serialize_circuit
from .template import StructureCache, Template, compile_key

__all__ = ["QIS_OPERATIONS", "StructureCache", "Template", "compile_key", "compile_native",
           "native", "native_operations", "qis", "serialize_circuit"]
