"""Optimizers that take one IonQ job per step, and the hooks that size their batches."""

from .hooks import BatchSizeHook, LatencyBalanced, StepStats, Tiered
from .spsa import BatchSPSAOptimizer

__all__ = ["BatchSPSAOptimizer", "BatchSizeHook", "LatencyBalanced", "StepStats", "Tiered"]
