"""Async client of IonQ's REST API v0.4. Never imports PennyLane."""

from ..payload import SerializedCircuit
from .http import IonQClient, RequestStats
from .journal import Journal
from .plan import JobRequest, Plan, build_job, plan_batch, plan_chunks
from .records import BackendRecord, JobPage, JobRecord
from .runner import JobOutcome, RunPolicy, run_jobs

__all__ = ["BackendRecord", "IonQClient", "JobOutcome", "JobPage", "JobRecord", "JobRequest",
           "Journal", "Plan", "RequestStats", "RunPolicy", "SerializedCircuit", "build_job",
           "plan_batch", "plan_chunks", "run_jobs"]
