"""pennylane-ionq-batch: IonQ from PennyLane, one multi-circuit job per ``execute()``."""

from .device import IonQBatchDevice
from .exceptions import (
    AmbiguousSubmitError,
    APIError,
    CompilationError,
    ConfigurationError,
    CredentialsError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    RetriableAPIError,
    TransportError,
)
from .optimize import BatchSPSAOptimizer, LatencyBalanced, StepStats, Tiered

__version__ = "0.1.0"

__all__ = [
    "IonQBatchDevice", "BatchSPSAOptimizer", "LatencyBalanced", "StepStats", "Tiered",
    "IonQBatchError", "ConfigurationError", "CredentialsError",
    "CompilationError", "APIError", "RetriableAPIError", "TransportError",
    "AmbiguousSubmitError", "JobError", "JobFailedError", "JobCanceledError", "JobTimeoutError",
    "__version__",
]
