"""Async client of IonQ's REST API v0.4. Never imports PennyLane."""

from ..payload import SerializedCircuit
from .http import IonQClient, RequestStats
from .jobs import JobOutcome, JobRequest, build_job, fetch_backend, plan_chunks
from .journal import Journal
from .runner import RunPolicy, run_jobs

__all__ = ["IonQClient", "RequestStats", "JobOutcome", "JobRequest", "Journal", "RunPolicy",
           "SerializedCircuit", "build_job", "fetch_backend", "plan_chunks", "run_jobs"]
