"""pennylane-ionq-batch: IonQ from PennyLane, one multi-circuit job per ``execute()``.

The public names load on first use, so that ``ionq-batch --help`` (and anything else that
imports a corner of the package) does not pay for importing PennyLane.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .batching import batched
    from .device import IonQBatchDevice
    from .exceptions import (
        AmbiguousSubmitError,
        APIError,
        CompilationError,
        ConfigurationError,
        CostLimitError,
        CredentialsError,
        DeadlineError,
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

_WHERE = {
    "IonQBatchDevice": "device",
    "batched": "batching",
    **dict.fromkeys(("BatchSPSAOptimizer", "LatencyBalanced", "StepStats", "Tiered"),
                    "optimize"),
    **dict.fromkeys(("ExecutionStats", "Timing"), "stats"),
    **dict.fromkeys((
        "IonQBatchError", "ConfigurationError", "CredentialsError", "CostLimitError",
        "CompilationError", "APIError", "RetriableAPIError", "ResponseError", "TransportError",
        "MaybeSentError", "AmbiguousSubmitError", "DeadlineError", "JobError",
        "JobFailedError", "JobCanceledError", "JobTimeoutError"), "exceptions"),
}

__all__ = [
    "IonQBatchDevice", "batched", "BatchSPSAOptimizer", "LatencyBalanced", "StepStats", "Tiered",
    "ExecutionStats", "Timing",
    "IonQBatchError", "ConfigurationError", "CredentialsError", "CostLimitError",
    "CompilationError", "APIError", "RetriableAPIError", "ResponseError", "TransportError",
    "MaybeSentError", "AmbiguousSubmitError", "DeadlineError", "JobError", "JobFailedError",
    "JobCanceledError", "JobTimeoutError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value  # loaded once
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
