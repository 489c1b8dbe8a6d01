"""Training on a QPU: prices before paying, budgets, sessions, the job browser (emulated QPU)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from pennylane_ionq_batch import (
    APIError,
    BatchSPSAOptimizer,
    ConfigurationError,
    CostLimitError,
    JobFailedError,
)
from pennylane_ionq_batch.apps.cli import main
from pennylane_ionq_batch.browser import Browser
from pennylane_ionq_batch.client import IonQClient, Journal, build_job
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel, LatencyModel
from pennylane_ionq_batch.emulator.app import STATE
from pennylane_ionq_batch.emulator.billing import PriceTable
from pennylane_ionq_batch.payload import SerializedCircuit
from pennylane_ionq_batch.runtime import background_loop

from ..conftest import LOCAL


def qpu(server: EmulatorServer, **kw: object) -> object:
    return qml.device("ionq.batch", wires=3, backend="qpu.aria-1", api_url=server.url,
                      api_key="k", client_options=LOCAL, **kw)


def tapes(shots: int = 1000) -> list[qml.tape.QuantumScript]:
    return [qml.tape.QuantumScript([qml.RX(a, 0), qml.CNOT([0, 1]), qml.RY(a, 2)],
                                   [qml.expval(qml.Z(1))], shots=shots) for a in (0.2, 0.5, 0.9)]


@pytest.fixture
def server() -> EmulatorServer:
    server = EmulatorServer(seed=1, qpu_noise=False).start_in_thread()
    yield server
    server.stop_thread()


class TestCost:
    @pytest.mark.parametrize("kwargs, shots", [({}, 1000), ({"gateset": "qis"}, 600),
                                               ({}, 60_000)])
    def test_the_estimate_is_what_the_emulator_bills(self, server: EmulatorServer,
                                                     kwargs: dict, shots: int) -> None:
        dev = qpu(server, journal=False, **kwargs)
        estimate = dev.estimate(tapes(shots))
        with qml.Tracker(dev) as tracker:
            qml.execute(tapes(shots), dev)
        assert estimate.total > 0 and estimate.circuits == 3
        assert tracker.totals["estimated_cost"] == pytest.approx(estimate.total)
        assert tracker.totals["cost"] == pytest.approx(estimate.total, rel=1e-12)  # billed
        assert dev.spent == pytest.approx(estimate.total)
        assert server.log.count("GET", "/v0.4/jobs/estimate") == 1  # rates read once

    def test_a_budget_refuses_before_any_job(self, server: EmulatorServer) -> None:
        dev = qpu(server, journal=False, budget=30.0)
        qml.execute(tapes()[:2], dev)  # 2 × 12.42 (each circuit at IonQ's job minimum)
        posts = server.log.count("POST", "/v0.4/jobs")
        with pytest.raises(CostLimitError, match=r"would cost 12.42 usd \(1 circuit,.*exceeds "
                           r"what is left of budget=30.0 \(5.16 usd\); nothing was sent") as e:
            qml.execute(tapes()[2:], dev)
        assert e.value.estimate.total == pytest.approx(12.42)
        assert server.log.count("POST", "/v0.4/jobs") == posts and server.log.jobs_created == 1

    def test_max_cost_per_execute(self, server: EmulatorServer) -> None:
        dev = qpu(server, journal=False, max_cost=20.0)
        qml.execute(tapes()[:1], dev)
        with pytest.raises(CostLimitError, match="exceeds max_cost=20.0"):
            qml.execute(tapes(), dev)
        assert server.log.jobs_created == 1

    def test_the_simulator_is_free_and_not_priced(self, threaded_emulator: EmulatorServer
                                                  ) -> None:
        dev = qml.device("ionq.batch", wires=3, api_url=threaded_emulator.url, api_key="k",
                         client_options=LOCAL, max_cost=0.0)
        assert dev.estimate(tapes(None)).total == 0.0
        qml.execute(tapes(None), dev)
        assert threaded_emulator.log.count("GET", "/v0.4/jobs/estimate") == 0


class TestAggregations:
    """Debiased results read as the aggregation the user chose (IonQ, October 2026)."""

    def device(self, server: EmulatorServer, **kw: object) -> object:
        return qpu(server, journal=False, error_mitigation={"debiasing": True}, seed=3, **kw)

    def test_read_from_the_artifact_each_circuit_names(self, server: EmulatorServer) -> None:
        plain = qml.execute(tapes(600), self.device(server))
        server.reset_log()
        voting = qml.execute(tapes(600), self.device(server, aggregation="voting"))
        artifacts = [r for r in server.log.sequence if r.endswith("/artifacts/{artifact}")]
        assert len(artifacts) == 3  # each circuit's own (the emulator does not debias)
        assert np.allclose(voting, plain, atol=0.2)

    @pytest.mark.parametrize("kwargs, message", [
        ({"aggregation": "median"}, "aggregation must be one of average, voting, dnl, majority"),
        ({"aggregation": "voting", "sharpen": True}, "choose sharpen=True or an aggregation"),
        ({"aggregation": "voting", "error_mitigation": {"debiasing": False}},
         "aggregation='voting' reads debiased results, but these jobs are not debiased"),
    ])
    def test_refused_where_it_means_nothing(self, kwargs: dict, message: str) -> None:
        with pytest.raises(ConfigurationError, match=message):
            qml.device("ionq.batch", wires=1, backend="emulator:qpu.aria-1", **{
                "error_mitigation": {"debiasing": True}, **kwargs})


class TestSessions:
    def test_jobs_carry_the_session_which_ends_with_the_block(self, server: EmulatorServer,
                                                              tmp_path: Path) -> None:
        dev = qpu(server, journal=str(tmp_path / "j.sqlite3"))
        with dev.session(max_jobs=5, max_minutes=10, max_cost=100.0) as session:
            qml.execute(tapes(), dev)
            qml.execute(tapes(200), dev)
        jobs = [j for j in server.store.all() if j.parent_id is None]
        assert [j.parsed.session_id for j in jobs] == [session.id] * 2
        stored = _session(server, session.id)
        assert stored.status == "ended" and stored.jobs == 2
        assert stored.settings == {"job_count_limit": 5, "duration_limit_min": 10,
                                   "cost_limit": {"value": 100.0, "unit": "usd"}}
        qml.execute(tapes()[:1], dev)  # after the block: no session
        assert [j for j in server.store.all() if j.parent_id is None][-1].parsed.session_id \
            is None

    def test_ended_after_an_error(self, server: EmulatorServer) -> None:
        dev = qpu(server, journal=False)
        with pytest.raises(RuntimeError, match="boom"), dev.session() as session:
            qml.execute(tapes()[:1], dev)
            raise RuntimeError("boom")
        assert _session(server, session.id).status == "ended"

    def test_session_jobs_skip_the_queue(self) -> None:
        server = EmulatorServer(latency=LatencyModel(queue_per_job=30), qpu_noise=False,
                                contract="legacy").start_in_thread()
        try:
            dev = qpu(server, journal=False)
            with dev.session():
                with qml.Tracker(dev) as tracker:
                    qml.execute(tapes()[:1], dev)
            assert tracker.totals["job_queue_seconds"] < 5  # not 30
        finally:
            server.stop_thread()

    def test_ionq_enforces_the_limits(self, server: EmulatorServer) -> None:
        dev = qpu(server, journal=False)
        with dev.session(max_jobs=1):
            qml.execute(tapes()[:1], dev)
            with pytest.raises(APIError, match="job_count_limit of 1"):
                qml.execute(tapes()[1:2], dev)
        assert server.log.jobs_created == 1

    def test_the_cost_limit_is_in_the_rate_cards_unit(self) -> None:
        """Organizations billed in credits: the session's limit says credit, not usd."""
        server = EmulatorServer(qpu_noise=False, prices=PriceTable(unit="credit")
                                ).start_in_thread()
        try:
            with qpu(server, journal=False).session(max_cost=40.0) as session:
                pass
            assert _session(server, session.id).settings == {
                "cost_limit": {"value": 40.0, "unit": "credit"}}
        finally:
            server.stop_thread()

    def test_an_account_without_sessions_is_told_so(self) -> None:
        server = EmulatorServer(qpu_noise=False, sessions=False).start_in_thread()
        try:
            with pytest.raises(APIError, match="sessions are not enabled for this account") \
                    as info, qpu(server, journal=False).session():
                pass
        finally:
            server.stop_thread()
        assert info.value.status == 404 and info.value.request_id
        assert f"(request id {info.value.request_id})" in str(info.value)

    def test_refused_where_there_is_no_qpu(self, threaded_emulator: EmulatorServer) -> None:
        dev = qml.device("ionq.batch", wires=2, api_url=threaded_emulator.url, api_key="k")
        with pytest.raises(ConfigurationError, match="sessions reserve a QPU; simulator"):
            with dev.session():
                pass

    def test_a_crashed_runs_session_is_resumed(self, server: EmulatorServer,
                                               tmp_path: Path) -> None:
        journal_path = tmp_path / "j.sqlite3"
        with Browser(IonQClient(qpu(server, journal=False).client_config)) as browser:
            left = background_loop().run(browser.client.create_session("qpu.aria-1", {}))
        Journal(journal_path).session_opened(left.id, "qpu.aria-1")  # as a crashed run left it
        dev = qpu(server, journal=str(journal_path))
        with dev.session() as session:
            qml.execute(tapes()[:1], dev)
        assert session.id == left.id and _session(server, left.id).status == "ended"
        assert Journal(journal_path).open_session("qpu.aria-1") is None

    def test_fit_runs_in_a_session(self, server: EmulatorServer) -> None:
        dev = qpu(server, journal=False)

        @qml.set_shots(100)
        @qml.qnode(dev)
        def circuit(w, x):
            qml.RX(x, 0)
            qml.RY(w[0], 0)
            return qml.expval(qml.Z(0))

        def cost(w, X, Y):
            return sum((circuit(w, x) - y) ** 2 for x, y in zip(X, Y, strict=True)) / len(X)

        X, Y = np.linspace(0, 1, 4), np.array([1.0, -1.0, 1.0, -1.0])
        session = dev.session(max_jobs=10)
        BatchSPSAOptimizer(maxiter=4, seed=0).fit(cost, pnp.array([0.1], requires_grad=True),
                                                  X, Y, batch_size=2, session=session)
        jobs = [j for j in server.store.all() if j.parent_id is None]
        assert len(jobs) == 2 and len({j.parsed.session_id for j in jobs}) == 1
        assert _session(server, jobs[0].parsed.session_id).status == "ended"


def _session(server: EmulatorServer, session_id: str) -> object:
    return server.app[STATE].sessions.get(session_id)


def test_a_session_is_ended_after_ctrl_c(server: EmulatorServer, tmp_path: Path) -> None:
    """A training script is interrupted inside its session: the session is ended on the way
    out, and the job sent before carried its id."""
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(f"""
        import time, pennylane as qml
        dev = qml.device("ionq.batch", wires=1, backend="qpu.aria-1", api_url={server.url!r},
                         api_key="k", journal=False, client_options={{"poll_min": 0.01}})
        tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Z(0))], shots=100)
        with dev.session(max_jobs=100) as session:
            qml.execute([tape], dev)
            print(session.id, flush=True)
            time.sleep(60)
    """))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ})
    session_id = proc.stdout.readline().strip()
    assert session_id, proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert _session(server, session_id).status == "ended"
    [job] = [j for j in server.store.all() if j.parent_id is None]
    assert job.parsed.session_id == session_id


def test_the_job_browser(capsys: pytest.CaptureFixture) -> None:
    """Finished, failed and canceled jobs: listed, shown, their results and costs."""
    server = EmulatorServer(seed=3, qpu_noise=False, latency=LatencyModel(queue_per_job=30),
                            faults=FaultModel(rates={"fail": 1.0}, limits={"fail": 1})
                            ).start_in_thread()
    try:
        dev = qpu(server, journal=False)
        with dev.session():  # its jobs skip the 30 s queue
            with pytest.raises(JobFailedError):
                qml.execute(tapes()[:1], dev)
            qml.execute(tapes(), dev)
        browser = Browser(IonQClient(dev.client_config))
        queued = build_job(dev.options, [SerializedCircuit.from_gates(
            [{"gate": "gpi", "target": 0, "phase": 0.0}], 1)], shots=100)
        queued_id = background_loop().run(browser.client.create_job(queued.body))
        browser.cancel(queued_id)
        jobs = browser.jobs()
        assert [j.status for j in jobs] == ["canceled", "completed", "failed"]
        finished, failed = jobs[1].id, jobs[2].id
        results = browser.results(finished)
        assert len(results) == 3 and all(sum(r.values()) == pytest.approx(1) for r in results)
        assert browser.cost(finished).billed == pytest.approx(3 * 12.42)
        assert browser.cost(failed).billed == 0.0 and browser.show(failed)["failure"] == \
            "SimulationError: emulated fault: job failed"
        for argv in (["list"], ["show", finished], ["results", finished], ["cost", finished],
                     ["show", failed], ["cost", queued_id]):
            assert main(["jobs", "--api-url", server.url, "--api-key", "k", *argv]) == 0
        browser.close()
    finally:
        server.stop_thread()
    out = capsys.readouterr().out
    assert "billed 37.26 usd" in out and "circuit 2:" in out and "SimulationError" in out
