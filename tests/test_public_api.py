"""0.1.0's public names: what `from pennylane_ionq_batch import ...` gives, every device
option (and that usage.md's table documents each), the CLI's commands. A rename or a dropped
option fails here, not in a user's script."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pennylane as qml
import pytest

import pennylane_ionq_batch
from pennylane_ionq_batch.apps.cli import build_parser
from pennylane_ionq_batch.config import CLIENT_OPTIONS
from pennylane_ionq_batch.device import IonQBatchDevice

DOCS = Path(__file__).parents[1] / "docs"
NAMES = {
    "IonQBatchDevice", "batched", "BatchSPSAOptimizer", "LatencyBalanced", "StepStats", "Tiered",
    "ExecutionStats", "Timing", "IonQBatchError", "ConfigurationError", "CredentialsError",
    "CostLimitError", "CompilationError", "APIError", "RetriableAPIError", "ResponseError",
    "TransportError", "MaybeSentError", "AmbiguousSubmitError", "DeadlineError", "JobError",
    "JobFailedError",
    "JobCanceledError", "JobTimeoutError", "__version__",
}


def test_every_public_name_imports() -> None:
    assert set(pennylane_ionq_batch.__all__) == NAMES
    for name in NAMES:
        assert getattr(pennylane_ionq_batch, name) is not None
    assert issubclass(pennylane_ionq_batch.JobTimeoutError, TimeoutError)
    assert pennylane_ionq_batch.IonQBatchDevice is IonQBatchDevice
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        pennylane_ionq_batch.Nope  # noqa: B018


def test_importing_the_package_does_not_import_pennylane() -> None:
    """So that `ionq-batch --help` and scripts using a corner of the package start fast."""
    code = ("import sys, pennylane_ionq_batch, pennylane_ionq_batch.apps.cli; "
            "print('pennylane' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"


def device_options() -> list[str]:
    return [n for n in inspect.signature(IonQBatchDevice.__init__).parameters
            if n not in ("self", "shots")]


def documented(table_heading: str) -> set[str]:
    """The option names in the first column of a table of docs/usage.md."""
    text = (DOCS / "usage.md").read_text()
    table = text.split(table_heading, 1)[1].split("\n\n", 2)[1]
    names: set[str] = set()
    for row in table.splitlines()[2:]:
        names |= set(re.findall(r"`(\w+)`", row.split("|")[1]))
    return names


def test_usage_md_documents_every_option() -> None:
    assert set(device_options()) == documented("## Device options")
    assert set(CLIENT_OPTIONS) == documented("`client_options` (a `ClientConfig`):")


def test_every_device_option_is_taken(tmp_path: Path) -> None:
    values = {
        "wires": 2, "backend": "emulator", "api_key": "k", "api_url": None, "gateset": "qis",
        "noise_model": "aria-1", "noise_seed": 7, "error_mitigation": {"debiasing": False},
        "sharpen": False, "aggregation": None, "job_name": "mine", "metadata": {"run": "1"},
        "job_fields": {"dry_run": False}, "max_cost": 10.0, "budget": 20.0, "seed": 3,
        "timeout": 30.0, "client_options": {"poll_min": 0.01}, "emulator_noise": True,
        "emulator_contract": "legacy", "structure_cache_size": 8,
        "journal": str(tmp_path / "j.sqlite3"), "cancel_on_interrupt": False, "progress": False,
    }
    assert set(values) == set(device_options())
    dev = qml.device("ionq.batch", **values)
    assert (dev.options.gateset, dev.options.noise_model, dev.options.job_name) == \
        ("qis", "aria-1", "mine")
    assert (dev.device_options.timeout, dev.device_options.structure_cache_size,
            dev.client_config.poll_min, dev.policy.cancel_on_interrupt) == (30.0, 8, 0.01, False)
    assert dev.policy.journal is not None and dev.emulator is not None


def test_the_cli_commands() -> None:
    parser = build_parser()
    commands = {"demo": [], "train": [], "emulator": [], "jobs": ["list"],
                "bench": ["pulses"]}
    for command, rest in commands.items():
        assert parser.parse_args([command, *rest]).func is not None
    for action in ("show", "results", "cost", "cancel"):
        assert parser.parse_args(["jobs", action, "some-id"]).job_id == "some-id"
    for bench in ("overhead", "train", "kernel", "soak"):
        assert parser.parse_args(["bench", bench]).benchmark == bench
    overhead = parser.parse_args(["bench", "overhead"])
    assert overhead.shapes == ["gate", "template"] and overhead.sizes == [100, 1000]
    assert parser.parse_args(["bench", "overhead", "--shapes", "template"]).shapes == ["template"]
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "overhead", "--shapes", "gates"])
