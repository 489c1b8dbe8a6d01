"""One error tree for everything ``ionq.batch`` raises.

::

    IonQBatchError
    ├── ConfigurationError (also ValueError)   bad device/client option, caught before any request
    │   └── CredentialsError                   no API key
    ├── CompilationError (also ValueError)     a circuit that cannot be sent to IonQ
    ├── CostLimitError                         a batch would cost more than max_cost or budget
    ├── APIError                               IonQ answered with an error status
    │   ├── RetriableAPIError                  429 / 5xx that ran out of retries
    │   └── ResponseError                      a success status whose body breaks IonQ's document
    ├── TransportError (also ConnectionError)  no usable answer (timeout, dropped connection)
    │   ├── MaybeSentError                     the request went out, no answer came back
    │   ├── AmbiguousSubmitError               POST /jobs may or may not have created the job
    │   └── DeadlineError (also TimeoutError)  ``timeout`` passed before IonQ answered
    └── JobError                               a job did not complete
        ├── JobFailedError                     IonQ reported ``failed`` (with its code, message)
        ├── JobCanceledError                   the job was canceled
        └── JobTimeoutError (also TimeoutError) the deadline passed; remote jobs were canceled

Every error about a job carries its id (``job_id``; ``job_ids`` when several). No message ever
contains the API key. Every class pickles (errors cross process pools and notebooks' kernels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class IonQBatchError(Exception):
    """Base class of every error raised by pennylane-ionq-batch."""


class ConfigurationError(IonQBatchError, ValueError):
    """A device or client option is invalid; raised before any network call."""


class CredentialsError(ConfigurationError):
    """No IonQ API key was found."""


class CompilationError(IonQBatchError, ValueError):
    """A circuit contains something that cannot be expressed in IonQ's circuit format."""


class CostLimitError(IonQBatchError):
    """A batch would exceed ``max_cost`` or the remaining ``budget``; nothing was sent.

    ``estimate`` says what it would cost and how that was computed.
    """

    def __init__(self, message: str, *, estimate: Any) -> None:
        self.estimate = estimate
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), (str(self),), {"estimate": self.estimate})


class APIError(IonQBatchError):
    """IonQ's API answered with an error status.

    Attributes:
        status: the HTTP status code.
        error_type: IonQ's ``error`` field (e.g. ``"Bad Request"``), if any.
        api_message: IonQ's ``message`` field, if any.
        job_id: the job the request concerned, if known.
        request_id: IonQ's ``x-request-id`` of the answer, to quote to IonQ's support.
    """

    def __init__(
        self, status: int, api_message: str, *, error_type: str | None = None,
        method: str = "", path: str = "", job_id: str | None = None,
        retry_after: float | None = None, request_id: str | None = None,
    ) -> None:
        self.status = status
        self.api_message = api_message
        self.error_type = error_type
        self.method = method
        self.path = path
        self.job_id = job_id
        self.retry_after = retry_after
        self.request_id = request_id
        super().__init__(self._text())

    def _text(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        job = f" [job {self.job_id}]" if self.job_id else ""
        kind = f" {self.error_type}:" if self.error_type else ""
        request = f" (request id {self.request_id})" if self.request_id else ""
        return f"IonQ API error {self.status}{where}{job}:{kind} {self.api_message}{request}"

    def __str__(self) -> str:  # job_id may be filled in after construction
        return self._text()

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), (self.status, self.api_message), {
            "error_type": self.error_type, "method": self.method, "path": self.path,
            "job_id": self.job_id, "retry_after": self.retry_after,
            "request_id": self.request_id})

    @classmethod
    def from_body(
        cls, status: int, body: Any, *, method: str = "", path: str = "", **kw: Any
    ) -> APIError:
        """Build the error from any of the error-body shapes IonQ sends."""
        error_type: str | None = None
        message = ""
        if isinstance(body, dict):
            err = body.get("error")
            if isinstance(err, dict):  # {"error": {"type": ..., "message": ...}}
                error_type = err.get("type")
                message = str(err.get("message", ""))
            else:
                error_type = err if isinstance(err, str) else body.get("code")
                message = str(body.get("message", ""))
        elif body:
            message = str(body)[:500]
        return cls(status, message or "(no message)", error_type=error_type, method=method,
                   path=path, **kw)


class RetriableAPIError(APIError):
    """A 429 or 5xx answer that was still failing when the retry budget ran out."""


class ResponseError(APIError):
    """IonQ answered with a success status, but the body is not what its API document says."""


class TransportError(IonQBatchError, ConnectionError):
    """No usable HTTP answer arrived: timeout, refused or dropped connection."""


class MaybeSentError(TransportError):
    """The request went out but no answer came back (timeout or dropped connection)."""


class AmbiguousSubmitError(TransportError):
    """``POST /jobs`` failed after the request was sent, so the job may exist.

    The request is deliberately not re-sent (that could buy the same QPU time twice). Look for
    a job named ``job_name`` (``GET /jobs``) before submitting again.
    """

    def __init__(self, message: str, *, job_name: str) -> None:
        self.job_name = job_name
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), (str(self),), {"job_name": self.job_name})


class DeadlineError(TransportError, TimeoutError):
    """The device's ``timeout`` passed before IonQ answered a request that is not a job's
    (reading the backend catalogue); no job was created."""


class JobError(IonQBatchError):
    """A job did not complete. ``job_id`` names it (``job_ids`` all, when several)."""

    def __init__(self, message: str, *, job_id: str | None = None,
                 job_ids: Sequence[str] = ()) -> None:
        self.job_ids = tuple(job_ids) or ((job_id,) if job_id else ())
        self.job_id = job_id or (self.job_ids[0] if self.job_ids else None)
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), (str(self),), {"job_id": self.job_id,
                                                      "job_ids": self.job_ids})


class JobFailedError(JobError):
    """IonQ reported the job as ``failed``; ``code`` and ``failure_message`` say why."""

    def __init__(self, job_id: str, code: str | None, failure_message: str | None) -> None:
        self.code = code
        self.failure_message = failure_message
        super().__init__(
            f"IonQ job {job_id} failed: {code or 'unknown code'}: {failure_message or ''}".rstrip(),
            job_id=job_id,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.job_id, self.code, self.failure_message)


class JobCanceledError(JobError):
    """The job was canceled (by the user, IonQ, or this client on interrupt)."""


class JobTimeoutError(JobError, TimeoutError):
    """The job did not finish before the deadline; this client canceled it remotely."""


def _rebuild(cls: type[Exception], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
    return cls(*args, **kwargs)
