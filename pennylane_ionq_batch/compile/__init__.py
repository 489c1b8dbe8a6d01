"""PennyLane circuits → IonQ circuit JSON. Never imports the client's network code."""

from .qis import QIS_OPERATIONS, serialize_circuit, supports_operation

__all__ = ["QIS_OPERATIONS", "serialize_circuit", "supports_operation"]
