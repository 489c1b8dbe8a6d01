"""Async client of IonQ's REST API v0.4. Never imports PennyLane."""

from .http import IonQClient, RequestStats
from ..payload import SerializedCircuit
from .jobs import JobOutcome, JobRequest, build_job, plan_chunks, run_jobs

__all__ = ["IonQClient", "RequestStats", "JobOutcome", "JobRequest", "SerializedCircuit",
           "build_job", "plan_chunks", "run_jobs"]
