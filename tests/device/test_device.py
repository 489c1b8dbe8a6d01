"""The ionq.batch device end to end against a real emulator on loopback."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from pennylane_ionq_batch import (
    ConfigurationError,
    CredentialsError,
    IonQBatchDevice,
    JobFailedError,
)
from pennylane_ionq_batch.emulator import EmulatorServer, FaultModel, LatencyModel

from ..conftest import LOCAL
from .test_bad_input import only_the_catalogue_was_read

POST_JOBS = "POST /v0.4/jobs"


def device(server: EmulatorServer, wires: object = 3, **kw: object) -> IonQBatchDevice:
    return qml.device("ionq.batch", wires=wires, api_url=server.url, api_key="k",
                      **{"client_options": LOCAL, **kw})


RANDOM_OPS = [
    (qml.RX, 1, 1), (qml.RY, 1, 1), (qml.RZ, 1, 1), (qml.PhaseShift, 1, 1), (qml.Hadamard, 0, 1),
    (qml.S, 0, 1), (qml.T, 0, 1), (qml.SX, 0, 1), (qml.PauliY, 0, 1), (qml.CNOT, 0, 2),
    (qml.CZ, 0, 2), (qml.CY, 0, 2), (qml.SWAP, 0, 2), (qml.CRX, 1, 2), (qml.CRZ, 1, 2),
    (qml.IsingXX, 1, 2), (qml.IsingYY, 1, 2), (qml.IsingZZ, 1, 2), (qml.Toffoli, 0, 3),
    (qml.ControlledPhaseShift, 1, 2), (qml.Rot, 3, 1), (qml.U3, 3, 1), (qml.MultiRZ, 1, 3),
]


def random_circuit(rng: np.random.Generator, n: int, depth: int) -> list:
    ops = []
    for _ in range(depth):
        cls, n_params, n_wires = RANDOM_OPS[rng.integers(len(RANDOM_OPS))]
        if n_wires > n:
            continue
        wires = rng.choice(n, size=n_wires, replace=False).tolist()
        params = rng.uniform(-2 * np.pi, 2 * np.pi, n_params).tolist()
        ops.append(cls(*params, wires=wires))
        if cls is qml.S and rng.random() < 0.5:
            ops.append(qml.adjoint(qml.T(wires=wires)))
    return ops


class TestAgainstDefaultQubit:
    @pytest.mark.parametrize("gateset", ["native", "qis"])
    def test_random_circuits_analytic_to_1e_10(self, threaded_emulator: EmulatorServer,
                                               gateset: str) -> None:
        """60 random circuits, 1–5 wires, every supported gate: probs, expval, var agree."""
        rng = np.random.default_rng(2026)
        tapes = []
        for _ in range(60):
            n = int(rng.integers(1, 6))
            ops = random_circuit(rng, n, int(rng.integers(1, 25)))
            obs = qml.PauliX(0) if n == 1 else qml.PauliX(0) @ qml.PauliY(n - 1)
            tapes.append(qml.tape.QuantumScript(
                ops, [qml.probs(wires=range(n)), qml.expval(obs), qml.var(qml.PauliZ(0))]))
        dev = device(threaded_emulator, wires=5, gateset=gateset)
        ours = qml.execute(tapes, dev)
        ref = qml.execute(tapes, qml.device("default.qubit", wires=5))
        for a, b in zip(ours, ref, strict=True):
            for x, y in zip(a, b, strict=True):
                assert np.allclose(x, y, atol=1e-10, rtol=0)
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 1

    def test_gradient_matches(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=2)

        def circuit(x):
            qml.RX(x[0], 0)
            qml.RY(x[1], 1)
            qml.CNOT([0, 1])
            return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))

        x = qml.numpy.array([0.4, -0.8], requires_grad=True)
        ours = qml.grad(qml.QNode(circuit, dev))(x)
        ref = qml.grad(qml.QNode(circuit, qml.device("default.qubit", wires=2)))(x)
        assert np.allclose(ours, ref, atol=1e-10)

    def test_hermitian_observable(self, threaded_emulator: EmulatorServer) -> None:
        h = np.array([[1.0, 2 - 1j], [2 + 1j, -0.5]])

        def circuit():
            qml.RY(0.7, 0)
            qml.CNOT([0, 1])
            return qml.expval(qml.Hermitian(h, wires=1)), qml.expval(qml.PauliX(0))

        ours = qml.QNode(circuit, device(threaded_emulator, wires=2))()
        ref = qml.QNode(circuit, qml.device("default.qubit", wires=2))()
        assert np.allclose(ours, ref, atol=1e-10)


class TestOneJobPerExecute:
    def test_500_tapes_are_one_post(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=2)
        tapes = [qml.tape.QuantumScript([qml.RX(0.01 * i, 0), qml.CNOT([0, 1])],
                                        [qml.expval(qml.PauliZ(1))]) for i in range(500)]
        with qml.Tracker(dev) as tracker:
            results = qml.execute(tapes, dev)
        assert np.allclose(results, np.cos(0.01 * np.arange(500)), atol=1e-10)
        log = threaded_emulator.log
        assert log.count("POST", "/v0.4/jobs") == 1 and log.circuits_created == 500
        assert tracker.totals["jobs"] == 1 and len(tracker.history["job_ids"][0]) == 1
        batch_requests = sum(v for k, v in log.requests.items() if "/backends" not in k)
        assert tracker.totals["http_requests"] == batch_requests  # besides the catalogue
        assert tracker.history["batches"] == [1] and tracker.history["executions"] == [500]

    def test_6000_tapes_are_two_concurrent_jobs(self, threaded_emulator: EmulatorServer) -> None:
        """Split at IonQ's 5,000-circuit limit; both POSTs go out before any result is read."""
        dev = device(threaded_emulator, wires=1)
        tapes = [qml.tape.QuantumScript([qml.RY(0.001 * i, 0)], [qml.expval(qml.PauliZ(0))])
                 for i in range(6000)]
        results = qml.execute(tapes, dev)
        assert np.allclose(results, np.cos(0.001 * np.arange(6000)), atol=1e-10)
        log = threaded_emulator.log
        # RY(0) compiles to no gate: that circuit is answered exactly, without IonQ
        assert log.count("POST", "/v0.4/jobs") == 2 and log.circuits_created == 5999
        seq = log.sequence
        first_results = min(i for i, r in enumerate(seq) if "/artifacts/" in r
                            or "/results/" in r)
        assert seq[:first_results].count(POST_JOBS) == 2

    def test_results_past_8_mb_are_read(self, threaded_emulator: EmulatorServer) -> None:
        """A job's results weigh what its circuits can: 400 circuits × 1,024 states is about
        10 MB of JSON, beyond the 8 MB any other answer may be (it is read, not refused)."""
        dev = device(threaded_emulator, wires=10)
        angles = np.linspace(0.1, 1.4, 400)
        tapes = [qml.tape.QuantumScript([qml.RY(a, w) for w in range(10)],
                                        [qml.probs(wires=range(10))]) for a in angles]
        results = qml.execute(tapes, dev)
        one = np.array([np.cos(angles / 2) ** 2, np.sin(angles / 2) ** 2])  # per qubit
        expected = np.ones((400, 1))
        for _ in range(10):
            expected = (expected[:, :, None] * one.T[:, None, :]).reshape(400, -1)
        assert np.allclose(results, expected, rtol=0, atol=1e-10)
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 1

    def test_parameter_shift_gradient_is_one_job(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=4)
        shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=4)
        w = qml.numpy.array(np.random.default_rng(0).uniform(0, 3, shape), requires_grad=True)
        qnode = qml.QNode(lambda w: (qml.StronglyEntanglingLayers(w, wires=range(4)),
                                     qml.expval(qml.PauliZ(0)))[1], dev)
        qml.grad(qnode)(w)
        # the forward circuit and all its shifted circuits (device derivatives)
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 1
        # (parameters outside the light cone of ⟨Z0⟩ need no shift; duplicates go once)
        assert 1 < threaded_emulator.log.circuits_created <= 1 + 2 * w.size

    def test_broadcast_qnode_call_is_one_job(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=1)
        x = np.linspace(0, 1, 7)
        res = qml.QNode(lambda x: (qml.RX(x, 0), qml.expval(qml.PauliZ(0)))[1], dev)(x)
        assert np.allclose(res, np.cos(x), atol=1e-10)
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 1


class TestShots:
    def test_samples_counts_and_shot_vectors(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=2, seed=5)

        @qml.set_shots(shots=[100, (50, 2)])
        @qml.qnode(dev)
        def circuit():
            qml.Hadamard(0)
            qml.CNOT([0, 1])
            return qml.sample(wires=[0, 1]), qml.counts(wires=[0, 1]), qml.expval(qml.PauliZ(0))

        res = circuit()
        assert len(res) == 3
        samples, counts, _ = res[0]
        assert samples.shape == (100, 2) and np.all(samples[:, 0] == samples[:, 1])
        assert sum(counts.values()) == 100 and set(counts) <= {"00", "11"}
        assert res[1][0].shape == (50, 2)

    def test_ideal_simulator_mixed_shots_are_one_job(self, threaded_emulator: EmulatorServer
                                                     ) -> None:
        """IonQ's ideal simulator returns exact probabilities, so shots do not split jobs."""
        dev = device(threaded_emulator, wires=1, seed=1)
        tapes = [qml.tape.QuantumScript([qml.X(0)], [qml.expval(qml.PauliZ(0))], shots=s)
                 for s in (None, 10, 1000)]
        assert np.allclose(qml.execute(tapes, dev), [-1, -1, -1])
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 1

    def test_qpu_mixed_shots_are_one_job_per_shot_count(self, threaded_emulator: EmulatorServer
                                                        ) -> None:
        dev = device(threaded_emulator, wires=1, backend="qpu.aria-1", seed=1)
        tapes = [qml.tape.QuantumScript([qml.X(0)], [qml.sample(wires=0)], shots=s)
                 for s in (10, 1000, 10)]
        res = qml.execute(tapes, dev)
        assert [r.shape[0] for r in res] == [10, 1000, 10]
        assert threaded_emulator.log.count("POST", "/v0.4/jobs") == 2
        assert np.mean(res[1]) > 0.95  # aria-1 noise flips very few of 1000 X gates


class TestWires:
    def test_wire_zero_is_most_significant(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=["a", "b", "c"])
        probs = qml.QNode(lambda: (qml.X("a"), qml.probs(wires=["a", "b", "c"]))[1], dev)()
        assert probs[4] == pytest.approx(1.0)  # |100⟩

    def test_idle_and_unordered_wires(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=[10, 3, 7])
        probs = qml.QNode(lambda: (qml.X(7), qml.probs(wires=[7, 10]))[1], dev)()
        assert probs[2] == pytest.approx(1.0)  # |1 0⟩ over (7, 10)


class TestErrorsBeforeNetwork:
    def test_missing_key_says_how_to_fix(self) -> None:
        with pytest.raises(CredentialsError, match="IONQ_API_KEY.*backend=\"emulator\""):
            qml.device("ionq.batch", wires=2)

    def test_key_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("IONQ_API_KEY", "env-key")
        dev = qml.device("ionq.batch", wires=2)
        assert dev.client_config.api_key == "env-key" and "env-key" not in repr(dev)

    @pytest.mark.parametrize("kwargs, message", [
        ({"backend": "quantum"}, "unknown backend"),
        ({"gateset": "openqasm"}, 'gateset must be "qis" or "native"'),
        ({"noise_model": "aria-9"}, "unknown noise_model"),
        ({"backend": "qpu.aria-1", "noise_model": "aria-1"}, "simulator only"),
        ({"timeout": -1}, "timeout must be positive"),
        ({"emulator_noise": False}, "apply to the emulator only"),
        ({"backend": "emulator", "emulator_noise": "no"}, "must be True or False"),
        ({"client_options": {"retries": 3}}, "unknown client_options"),
        ({"api_url": "ftp://x"}, "http\\(s\\) URL"),
        ({"api_url": "http://example.com/v0.4"}, "plain http"),
        ({"metadata": {"k": 1}}, "metadata"),
        ({"error_mitigation": {"debias": True}}, "error_mitigation"),
    ])
    def test_bad_options(self, kwargs: dict, message: str) -> None:
        kwargs = {"wires": 2, "api_key": "k", **kwargs}
        with pytest.raises(ConfigurationError, match=message):
            qml.device("ionq.batch", **kwargs)

    def test_qpu_without_shots(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=1, backend="qpu.aria-1")
        qnode = qml.QNode(lambda: qml.expval(qml.PauliZ(0)), dev)
        with pytest.raises(DeviceError, match="'qpu.aria-1' returns measured counts.*set_shots"):
            qnode()
        assert threaded_emulator.log.jobs_created == 0

    def test_state_is_refused(self, threaded_emulator: EmulatorServer) -> None:
        qnode = qml.QNode(lambda: qml.state(), device(threaded_emulator, wires=1))
        with pytest.raises(DeviceError, match="not supported: IonQ returns measurement prob"):
            qnode()
        assert only_the_catalogue_was_read(threaded_emulator)

    def test_nan_parameter(self, threaded_emulator: EmulatorServer) -> None:
        qnode = qml.QNode(lambda: (qml.RX(np.nan, 0), qml.expval(qml.PauliZ(0)))[1],
                          device(threaded_emulator, wires=1))
        with pytest.raises(ValueError, match="RX on wires \\[0\\] has a non-finite"):
            qnode()
        assert threaded_emulator.log.jobs_created == 0


def test_failed_job_error_names_job_and_reason() -> None:
    server = EmulatorServer(faults=FaultModel(rates={"fail": 1.0})).start_in_thread()
    try:
        qnode = qml.QNode(lambda: (qml.RX(0.3, 0), qml.expval(qml.PauliZ(0)))[1],
                          device(server, wires=1))
        with pytest.raises(JobFailedError, match="SimulationError") as info:
            qnode()
        assert info.value.job_id in str(info.value) and len(info.value.job_id) == 36
    finally:
        server.stop_thread()


def test_embedded_emulator_needs_no_key() -> None:
    dev = qml.device("ionq.batch", wires=2, backend="emulator")
    assert dev.emulator is not None and dev.client_config.api_url == dev.emulator.url
    res = qml.QNode(lambda: (qml.Hadamard(0), qml.probs(wires=[0]))[1], dev)()
    assert np.allclose(res, [0.5, 0.5])


class TestNativeGateset:
    def test_default_job_is_native_with_ms(self, threaded_emulator: EmulatorServer) -> None:
        qnode = qml.QNode(lambda x: (qml.RY(x, 0), qml.CNOT([0, 1]), qml.RZ(x, 1),
                                     qml.expval(qml.PauliX(1)))[-1],
                          device(threaded_emulator, wires=2))
        ref = qml.QNode(qnode.func, qml.device("default.qubit", wires=2))
        assert qnode(0.7) == pytest.approx(ref(0.7), abs=1e-12)
        [job] = threaded_emulator.store.all()
        [circuit] = job.parsed.circuits
        assert circuit.gateset == "native"
        assert {g["gate"] for g in circuit.gates} <= {"gpi", "gpi2", "ms"}
        assert sum(g["gate"] == "ms" for g in circuit.gates) == 1

    def test_qpu_entangler_is_read_from_the_catalogue_once(self) -> None:
        server = EmulatorServer(seed=1).start_in_thread()
        try:
            dev = qml.device("ionq.batch", wires=2, backend="qpu.forte-1", api_url=server.url,
                             api_key="k", seed=1, client_options=LOCAL)
            qnode = qml.set_shots(qml.QNode(lambda: (qml.Hadamard(0), qml.CNOT([0, 1]),
                                                     qml.probs(wires=[0, 1]))[-1], dev), 2000)
            for _ in range(2):
                probs = qnode()
                assert probs[0] + probs[3] > 0.98 and probs[0] > 0.4  # forte-1 noise
            assert server.log.count("GET", "/v0.4/backends") == 1
            gates = [g["gate"] for job in server.store.all() if job.parent_id is None
                     for c in job.parsed.circuits for g in c.gates]
            assert "zz" in gates and "ms" not in gates
        finally:
            server.stop_thread()

    def test_unreadable_catalog_falls_back_to_the_table(self) -> None:
        server = EmulatorServer(seed=1, faults=FaultModel(rates={"500": 1.0})).start_in_thread()
        try:
            dev = qml.device("ionq.batch", wires=2, backend="qpu.aria-1", api_url=server.url,
                             api_key="k", client_options={"max_retries": 0})
            with pytest.warns(UserWarning, match="could not read IonQ's backend catalogue.*"
                              "built-in description of qpu.aria-1"):
                assert dev.entangler() == "ms"
            assert dev.backend.qubits == 25 and not dev.backend.from_catalog
            assert server.log.count("GET", "/v0.4/backends") == 1 and server.log.jobs_created == 0
        finally:
            server.stop_thread()

    def test_backend_spec_comes_from_the_catalogue(self, threaded_emulator: EmulatorServer
                                                   ) -> None:
        dev = device(threaded_emulator, backend="qpu.forte-enterprise-1")
        assert dev.backend.from_catalog and dev.backend.qubits == 36
        assert dev.backend.native_gates == ("gpi", "gpi2", "zz") and dev.entangler() == "zz"
        assert dev.max_qubits == 36

    def test_noise_model_picks_the_entangler(self, threaded_emulator: EmulatorServer) -> None:
        assert device(threaded_emulator, noise_model="forte-1").entangler() == "zz"
        assert device(threaded_emulator, noise_model="aria-1").entangler() == "ms"
        assert threaded_emulator.log.count("GET", "/v0.4/backends") == 2  # once per device


class TestStructureCacheAndDuplicates:
    def tape(self, x: float, mp: object = None) -> qml.tape.QuantumScript:
        return qml.tape.QuantumScript([qml.RY(x, 0), qml.CNOT([0, 1]), qml.RX(x / 2, 1)],
                                      [mp or qml.expval(qml.PauliZ(1))])

    def test_identical_circuits_are_sent_once(self, threaded_emulator: EmulatorServer) -> None:
        dev = device(threaded_emulator, wires=2)
        tapes = [self.tape(0.4) for _ in range(50)] + [self.tape(0.4, qml.probs(wires=[0, 1])),
                                                       self.tape(0.9)]
        with qml.Tracker(dev) as tracker:
            ours = qml.execute(tapes, dev)
        ref = qml.execute(tapes, qml.device("default.qubit", wires=2))
        for a, b in zip(ours, ref, strict=True):
            assert np.allclose(a, b, atol=1e-12)
        assert threaded_emulator.log.circuits_created == 2  # 52 tapes, 2 distinct circuits
        assert tracker.totals["circuits_sent"] == 2 and tracker.totals["executions"] == 52
        assert dev.metrics["circuits_deduplicated"] == 50

    def test_measured_backends_keep_duplicates(self) -> None:
        dev = qml.device("ionq.batch", wires=2, backend="emulator:qpu.aria-1", seed=1)
        before = dev.emulator.log.circuits_created
        qml.execute([qml.tape.QuantumScript(self.tape(0.4).operations, [qml.counts()],
                                            shots=100)] * 3, dev)
        assert dev.emulator.log.circuits_created - before == 3  # independent samples

    def test_cache_hits_reach_tracker_and_metrics(self, threaded_emulator: EmulatorServer
                                                  ) -> None:
        dev = device(threaded_emulator, wires=2)
        with qml.Tracker(dev) as tracker:
            qml.execute([self.tape(0.1 * k) for k in range(1, 11)], dev)
            qml.execute([self.tape(0.05 * k) for k in range(1, 5)], dev)
        assert tracker.history["structure_cache_misses"] == [1, 0]
        assert tracker.history["structure_cache_hits"] == [9, 4]
        # preprocessing: seen once, then learned at the second tape, then bound
        assert tracker.history["preprocess_cache_misses"] == [2, 0]
        assert tracker.history["preprocess_cache_hits"] == [8, 4]
        assert dev.metrics == {"circuits": 14, "circuits_sent": 14, "circuits_deduplicated": 0,
                               "structure_cache_hits": 13, "structure_cache_misses": 1,
                               "structures_cached": 1, "preprocess_cache_hits": 12,
                               "preprocess_cache_misses": 2,
                               "preprocessed_structures_cached": 1}

    def test_960_tape_gradient_batch_is_one_job(self, threaded_emulator: EmulatorServer
                                                ) -> None:
        dev = device(threaded_emulator, wires=8)
        shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=8)
        rng = np.random.default_rng(5)

        @qml.qnode(dev, diff_method="parameter-shift")
        def circuit(weights, x):
            qml.AngleEmbedding(x, wires=range(8))
            qml.StronglyEntanglingLayers(weights, wires=range(8))
            return qml.expval(qml.sum(*(qml.PauliZ(w) for w in range(8))))

        weights = qml.numpy.array(rng.uniform(0, 3, shape), requires_grad=True)
        xs = qml.numpy.array(rng.uniform(0, 1, (10, 8)), requires_grad=False)  # 10 samples

        def cost(w):
            return qml.math.sum(circuit(w, xs))  # broadcast over the samples

        with qml.Tracker(dev) as tracker:
            grad = qml.grad(cost)(weights)
        # 48 parameters × 2 shifts × 10 samples = 960 circuits in one execute, one job
        assert tracker.history["batch_len"] == [10, 960]
        assert tracker.history["jobs"] == [1, 1]
        ref = qml.grad(lambda w: qml.math.sum(qml.QNode(circuit.func, qml.device(
            "default.qubit", wires=8))(w, xs)))(weights)
        assert np.allclose(grad, ref, atol=1e-10)
    dev = qml.device("ionq.batch", wires=3, backend="emulator:qpu.forte-1", emulator_noise=False,
                     seed=3)
    qnode = qml.set_shots(qml.QNode(lambda: (qml.Hadamard(0), qml.CNOT([0, 1]), qml.CNOT([1, 2]),
                                             qml.counts(wires=[0, 1, 2]))[-1], dev), 1000)
    counts = qnode()
    assert set(counts) == {"000", "111"} and sum(counts.values()) == 1000


def test_impersonated_qpu_needs_shots_and_samples() -> None:
    dev = qml.device("ionq.batch", wires=2, backend="emulator:qpu.forte-1", seed=3)
    assert dev.options.backend == "qpu.forte-1" and dev.backend.native_2q == "zz"
    qnode = qml.set_shots(qml.QNode(lambda: (qml.X(1), qml.expval(qml.PauliZ(1)))[1], dev), 500)
    assert qnode() < -0.9


class TestMeasurementEdges:
    def test_sample_without_shots_says_how_to_set_them(self, threaded_emulator: EmulatorServer
                                                       ) -> None:
        qnode = qml.QNode(lambda: qml.sample(wires=0), device(threaded_emulator, wires=1))
        with pytest.raises(DeviceError, match=r"qml.sample\(\) needs shots.*set_shots"):
            qnode()
        assert only_the_catalogue_was_read(threaded_emulator)

    def test_snapshots_are_ignored_not_fatal(self, threaded_emulator: EmulatorServer) -> None:
        def circuit():
            qml.X(0)
            qml.Snapshot()
            return qml.expval(qml.PauliZ(0))

        assert qml.QNode(circuit, device(threaded_emulator, wires=1))() == pytest.approx(-1)

    def test_projector_matches_default_qubit(self, threaded_emulator: EmulatorServer) -> None:
        def circuit():
            qml.RY(0.9, 0)
            qml.CNOT([0, 1])
            return qml.expval(qml.Projector([1, 1], wires=[0, 1]))

        ours = qml.QNode(circuit, device(threaded_emulator, wires=2))()
        ref = qml.QNode(circuit, qml.device("default.qubit", wires=2))()
        assert ours == pytest.approx(ref, abs=1e-10)


@pytest.mark.parametrize("contract", ["legacy", "current"])
def test_tracker_reports_ionq_queue_and_execution_time(contract: str) -> None:
    """From IonQ's timestamps when the record has started_at (older records); the live service
    leaves it null, and the queue is then the round trip less the execution."""
    latency = LatencyModel(queue_per_job=0.2, per_circuit=0.05)
    server = EmulatorServer(latency=latency, contract=contract).start_in_thread()
    try:
        dev = qml.device("ionq.batch", wires=2, api_url=server.url, api_key="k",
                         client_options=LOCAL)
        tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.PauliZ(0))])
        with qml.Tracker(dev) as tracker:
            qml.execute([tape, tape.copy(operations=[qml.RY(0.2, 1)])], dev)
        if contract == "legacy":
            assert tracker.latest["job_queue_seconds"] == pytest.approx(0.2, abs=0.002)
        else:
            assert tracker.latest["job_queue_seconds"] >= 0.2
        assert tracker.latest["job_execution_seconds"] == pytest.approx(0.1, abs=0.002)
        assert dev.last_execution.jobs == 1 and dev.last_execution.circuits == 2
    finally:
        server.stop_thread()
