"""BatchSPSAOptimizer: one job per step, upstream's trajectory, hooks, fit and checkpoints."""

from __future__ import annotations

import warnings

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from pennylane_ionq_batch import BatchSPSAOptimizer, LatencyBalanced, StepStats, Tiered, Timing
from pennylane_ionq_batch.emulator import EmulatorServer, LatencyModel

from ..conftest import LOCAL

X = np.linspace(0.1, 2.0, 10)
Y = np.where(X > 1.0, 1.0, -1.0)


def qnode_on(dev: object) -> qml.QNode:
    @qml.qnode(dev)
    def circuit(w, x):
        qml.RX(x, 0)
        qml.RY(w[0], 0)
        qml.CNOT([0, 1])
        qml.RY(w[1], 1)
        return qml.expval(qml.PauliZ(1))

    return circuit


def costs(circuit: qml.QNode) -> dict:
    """The three cost shapes: one call, a broadcast call, a Python loop over 10 samples."""
    return {
        "single": lambda w: circuit(w, 0.3),
        "broadcast": lambda w: qml.math.mean((circuit(w, X) - Y) ** 2),
        "loop": lambda w: sum((circuit(w, x) - y) ** 2 for x, y in zip(X, Y, strict=True)) / 10,
    }


def ionq(server: EmulatorServer, wires: int = 2) -> object:
    return qml.device("ionq.batch", wires=wires, api_url=server.url, api_key="k",
                      client_options=LOCAL)


class TestOneJobPerStep:
    @pytest.mark.parametrize("shape", ["single", "broadcast", "loop"])
    @pytest.mark.parametrize("method", ["step", "step_and_cost"])
    def test_each_step_is_one_job(self, threaded_emulator: EmulatorServer, shape: str,
                                  method: str) -> None:
        dev = ionq(threaded_emulator)
        cost = costs(qnode_on(dev))[shape]
        ref_cost = costs(qnode_on(qml.device("default.qubit", wires=2)))[shape]
        opt, ref = BatchSPSAOptimizer(maxiter=10), qml.SPSAOptimizer(maxiter=10)
        w = pnp.array([0.4, -0.2], requires_grad=True)
        for step in range(1, 4):
            np.random.seed(step)
            out = getattr(opt, method)(cost, w)
            np.random.seed(step)
            expected = getattr(ref, method)(ref_cost, w)
            if method == "step_and_cost":
                (out, c), (expected, c_ref) = out, expected
                assert c == pytest.approx(c_ref, abs=1e-10)
            assert np.allclose(out, expected, atol=1e-10)
            assert threaded_emulator.log.jobs_created == step  # one job per step
            w = out
        assert opt.fallbacks == 0
        per_point = {"single": 1, "broadcast": 10, "loop": 10}[shape]
        points = 3 if method == "step_and_cost" else 2
        assert opt.last_stats.circuits == per_point * points and opt.last_stats.jobs == 1

    def test_resamplings_share_the_job(self, threaded_emulator: EmulatorServer) -> None:
        dev = ionq(threaded_emulator)
        opt = BatchSPSAOptimizer(maxiter=5, resamplings=4, seed=1)
        with qml.Tracker(dev) as tracker:
            opt.step(costs(qnode_on(dev))["loop"], pnp.array([0.1, 0.2], requires_grad=True))
        assert threaded_emulator.log.jobs_created == 1
        assert tracker.totals["executions"] == 80  # 4 pairs × 2 points × 10 samples
        # two parameters allow 4 distinct Δ: pairs drawn twice are sent once
        assert threaded_emulator.log.circuits_created == tracker.totals["circuits_sent"] < 80

    def test_control_flow_on_results_falls_back_and_stays_right(
            self, threaded_emulator: EmulatorServer) -> None:
        def make(circuit):
            def cost(w):
                first = circuit(w, 0.3)
                return circuit(w, 0.9) if first > 0.2 else first  # depends on a result
            return cost

        opt = BatchSPSAOptimizer(maxiter=5, seed=2)
        ref = BatchSPSAOptimizer(maxiter=5, seed=2)
        w = pnp.array([0.1, 0.2], requires_grad=True)
        cost = make(qnode_on(ionq(threaded_emulator)))
        with pytest.warns(UserWarning, match="sent circuits other than those recorded.*"
                          "shown once per optimizer"):
            got, c = opt.step_and_cost(cost, w)
        expected, c_ref = ref.step_and_cost(make(qnode_on(qml.device("default.qubit",
                                                                      wires=2))), w)
        assert np.allclose(got, expected, atol=1e-10) and c == pytest.approx(c_ref, abs=1e-10)
        assert opt.fallbacks > 0  # counted, not hidden
        jobs = opt.last_stats.jobs
        assert jobs > 1  # the step's statistics count the fallbacks' jobs too
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # once per optimizer
            opt.step_and_cost(cost, got)


class TestUpstreamCompatibility:
    def test_trajectory_matches_spsa_optimizer_on_default_qubit(self) -> None:
        dev = qml.device("default.qubit", wires=2)
        cost = costs(qnode_on(dev))["loop"]
        ours, theirs = BatchSPSAOptimizer(maxiter=20), qml.SPSAOptimizer(maxiter=20)
        a = b = pnp.array([0.4, -0.2], requires_grad=True)
        np.random.seed(42)
        for _ in range(8):
            a, _ = ours.step_and_cost(cost, a)
        np.random.seed(42)
        for _ in range(8):
            b, _ = theirs.step_and_cost(cost, b)
        assert np.allclose(a, b, atol=1e-10, rtol=0) and ours.k == theirs.k == 9
        assert ours.ak == pytest.approx(theirs.ak)

    def test_the_cost_is_evaluated_at_values_autodiff_does_not_track(self) -> None:
        """SPSA never differentiates the cost: PennyLane need not prepare gradients (which
        costs about as much client time as the execution); the result stays trainable."""
        seen = []

        def cost(x, y):
            seen.append((qml.math.requires_grad(x), qml.math.requires_grad(y)))
            return qml.math.sum(x**2) + qml.math.sum(y)

        x = pnp.array([0.4, -0.2], requires_grad=True)
        y = pnp.array([1.0], requires_grad=False)
        new_x, new_y = BatchSPSAOptimizer(maxiter=5).step(cost, x, y)
        assert len(seen) >= 2 and set(seen) == {(False, False)}
        assert new_x.requires_grad and not new_y.requires_grad and new_y is y

    def test_multiple_args_only_trainable_ones_move(self) -> None:
        def cost(x, y, z):
            return qml.math.sum(x**2) + qml.math.sum(y**2) + z

        x = pnp.array([1.0, 2.0], requires_grad=True)
        y = pnp.array([3.0], requires_grad=False)
        np.random.seed(0)
        new = BatchSPSAOptimizer(maxiter=10).step(cost, x, y, 0.5)
        np.random.seed(0)
        ref = qml.SPSAOptimizer(maxiter=10).step(cost, x, y, 0.5)
        assert isinstance(new, list) and len(new) == 3
        assert np.allclose(new[0], ref[0]) and new[1] is y and new[2] == 0.5

    def test_constructor_errors_and_defaults(self) -> None:
        with pytest.raises(TypeError, match="maxiter or A"):
            BatchSPSAOptimizer()
        opt, ref = BatchSPSAOptimizer(100), qml.SPSAOptimizer(100)
        assert (opt.a, opt.A, opt.c, opt.alpha, opt.gamma, opt.k, opt.ak) == \
            (ref.a, ref.A, ref.c, ref.alpha, ref.gamma, ref.k, ref.ak)
        with pytest.raises(ValueError, match="resamplings"):
            BatchSPSAOptimizer(10, resamplings=0)
        with pytest.raises(ValueError, match="rng or seed"):
            BatchSPSAOptimizer(10, seed=1, rng=np.random.default_rng(1))
        with pytest.raises(TypeError, match="next_batch_size"):
            BatchSPSAOptimizer(10, batch_size_hook=object())

    def test_non_scalar_objective(self) -> None:
        @qml.qnode(qml.device("default.qubit", wires=1))
        def probs(w):
            qml.RX(w[0], 0)
            return qml.probs(wires=0)

        with pytest.raises(ValueError, match="must be a scalar function"):
            BatchSPSAOptimizer(10).step(probs, pnp.array([0.1], requires_grad=True))

    def test_seeded_runs_repeat(self) -> None:
        cost = costs(qnode_on(qml.device("default.qubit", wires=2)))["single"]
        w = pnp.array([0.4, -0.2], requires_grad=True)
        runs = []
        for _ in range(2):
            opt = BatchSPSAOptimizer(maxiter=10, seed=7, resamplings=3)
            v = w
            for _ in range(3):
                v = opt.step(cost, v)
            runs.append(v)
        assert np.array_equal(runs[0], runs[1])


class TestHooks:
    def stats(self, **kw: float) -> StepStats:
        times = {"queue_s": 0.0, "execution_s": 1.0, "round_trip_s": 1.2, **kw}
        return StepStats(step=1, batch_size=10, circuits=40, jobs=1, timing=Timing(**times))

    def test_latency_balanced_grows_when_latency_dominates(self) -> None:
        policy = LatencyBalanced()
        assert policy.next_batch_size(self.stats(execution_s=0.1, round_trip_s=3.1)) > 10
        assert policy.next_batch_size(self.stats(execution_s=3.0, round_trip_s=3.2)) < 10
        # never beyond what a job can hold: 4 circuits per unit, 5,000 circuits per job
        assert LatencyBalanced(maximum=10**6).next_batch_size(
            self.stats(execution_s=1e-6, round_trip_s=100.0)) == 1250

    def test_tiered(self) -> None:
        policy = Tiered()
        assert [policy.next_batch_size(self.stats(queue_s=q)) for q in (0.2, 2.0, 7.0)] == \
            [20, 10, 5]

    def test_the_hook_sees_ionqs_times_and_sets_resamplings(self) -> None:
        """Against the emulator: the hook gets each step's circuits, jobs and IonQ's own
        times (from the job records, so exact), and its answer is the next resamplings."""
        seen: list[StepStats] = []

        class Recorder:
            def next_batch_size(self, stats: StepStats) -> int:
                seen.append(stats)
                return stats.batch_size + 1

        server = EmulatorServer(latency=LatencyModel(queue_per_job=0.3, per_circuit=0.01),
                                contract="legacy").start_in_thread()
        try:
            opt = BatchSPSAOptimizer(maxiter=10, seed=0, resamplings=2,
                                     batch_size_hook=Recorder())
            cost = costs(qnode_on(ionq(server)))["single"]
            w = pnp.array([0.1, 0.2], requires_grad=True)
            sent = []  # circuits the emulator received per step (duplicates are sent once)
            for _ in range(3):
                before = server.log.circuits_created
                w = opt.step(cost, w)
                sent.append(server.log.circuits_created - before)
        finally:
            server.stop_thread()
        assert [s.batch_size for s in seen] == [2, 3, 4] and opt.resamplings == 5
        assert [(s.circuits, s.jobs) for s in seen] == [(4, 1), (6, 1), (8, 1)]
        for s, n in zip(seen, sent, strict=True):
            assert s.timing.queue_s == pytest.approx(0.3, abs=0.002)
            assert s.timing.execution_s == pytest.approx(0.01 * n, abs=0.002)
            assert s.timing.round_trip_s >= s.timing.queue_s + s.timing.execution_s


class TestFit:
    def cost(self, circuit: qml.QNode):
        return lambda w, xb, yb: qml.math.mean((circuit(w, xb) - yb) ** 2)

    def test_fit_trains_and_counts_one_job_per_step(self, threaded_emulator: EmulatorServer
                                                    ) -> None:
        opt = BatchSPSAOptimizer(maxiter=30, seed=4)
        w0 = pnp.array([0.0, 0.0], requires_grad=True)
        result = opt.fit(self.cost(qnode_on(ionq(threaded_emulator))), w0, X, Y,
                         batch_size=5, epochs=3)
        assert result.steps == 6 and result.batch_sizes == [5] * 6
        assert threaded_emulator.log.jobs_created == 6 and len(result.losses) == 6

    def test_auto_batch_size_follows_the_hook(self, threaded_emulator: EmulatorServer) -> None:
        opt = BatchSPSAOptimizer(maxiter=30, seed=4, batch_size_hook=Tiered())
        result = opt.fit(self.cost(qnode_on(ionq(threaded_emulator))),
                         pnp.array([0.0, 0.0], requires_grad=True), X, Y, batch_size="auto")
        assert result.batch_sizes == [10]  # first mini-batch: 10; Tiered then asks for 20
        with pytest.raises(ValueError, match="batch_size_hook"):
            BatchSPSAOptimizer(maxiter=3).fit(lambda w, a, b: 0.0, pnp.array([0.0]), X, Y,
                                              batch_size="auto")

    def test_checkpoint_resume_is_exact(self, tmp_path, threaded_emulator: EmulatorServer
                                        ) -> None:
        cost = self.cost(qnode_on(ionq(threaded_emulator)))
        w0 = pnp.array([0.3, -0.1], requires_grad=True)
        straight = BatchSPSAOptimizer(maxiter=30, seed=9).fit(cost, w0, X, Y, batch_size=3,
                                                              epochs=2)
        path = tmp_path / "run.json"

        class Stop(Exception):
            pass

        def stop_after_five(step: int, params: object, loss: float) -> None:
            if step == 5:
                raise Stop

        with pytest.raises(Stop):
            BatchSPSAOptimizer(maxiter=30, seed=9).fit(cost, w0, X, Y, batch_size=3, epochs=2,
                                                       checkpoint=path,
                                                       callback=stop_after_five)
        assert path.exists() and not path.with_name("run.json.tmp").exists()
        resumed = BatchSPSAOptimizer(maxiter=30, seed=123).fit(cost, w0, X, Y, batch_size=3,
                                                                epochs=2, checkpoint=path)
        assert resumed.resumed_from_step == 4  # the checkpoint before the interrupted step 5
        assert np.allclose(resumed.params, straight.params, atol=1e-12, rtol=0)
        assert resumed.losses == pytest.approx(straight.losses, abs=1e-12)
