"""pennylane-ionq-batch: IonQ from PennyLane, one multi-circuit job per ``execute()``."""

from ._version import __version__
from .device import IonQBatchDevice
from .exceptions import (
    AmbiguousSubmitError,
    APIError,
    CompilationError,
    ConfigurationError,
    CostLimitError,
    CredentialsError,
    IonQBatchError,
    JobCanceledError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MaybeSentError,
    ResponseError,
    RetriableAPIError,
    TransportError,
)
from .optimize import BatchSPSAOptimizer, LatencyBalanced, StepStats, Tiered
from .stats import ExecutionStats, Timing

__all__ = [
    "IonQBatchDevice", "BatchSPSAOptimizer", "LatencyBalanced", "StepStats", "Tiered",
    "ExecutionStats", "Timing",
    "IonQBatchError", "ConfigurationError", "CredentialsError", "CostLimitError",
    "CompilationError", "APIError", "RetriableAPIError", "ResponseError", "TransportError",
    "MaybeSentError",
    "AmbiguousSubmitError", "JobError", "JobFailedError", "JobCanceledError", "JobTimeoutError",
    "__version__",
]
