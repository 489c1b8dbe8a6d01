"""``ionq-batch train``: a variational classifier trained with BatchSPSAOptimizer.

The data set is generated (two interleaved half-moons, two features, labels ±1); the model is
4 qubits: the features angle-embedded, then StronglyEntanglingLayers, re-uploaded per layer;
its prediction is the sign of ⟨Z0⟩ and its loss the mean squared error over a mini-batch.
Every training step is one IonQ job; so is each evaluation on the training or test set.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qml
from pennylane import numpy as pnp

from ..optimize import BatchSPSAOptimizer
from ..progress import JobProgress, status_word

WIRES = 4


def moons(n: int, seed: int = 0, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half-moons, features scaled into [0, π], labels ±1."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], 1) + rng.normal(0, noise, (n, 2))
    X = (X - X.min(0)) / (X.max(0) - X.min(0)) * np.pi
    return X, np.where(label == 0, -1.0, 1.0)


def classifier(dev: Any) -> qml.QNode:
    """⟨Z0⟩ of the re-uploading circuit; broadcasts over a batch of samples ``x``."""

    @qml.qnode(dev)
    def circuit(weights: Any, x: Any) -> Any:
        features = qml.math.stack([x[..., 0], x[..., 1], x[..., 0], x[..., 1]], -1)
        for layer in range(weights.shape[0]):
            qml.AngleEmbedding(features, wires=range(WIRES))
            qml.StronglyEntanglingLayers(weights[layer:layer + 1], wires=range(WIRES))
        return qml.expval(qml.PauliZ(0))

    return circuit


def square_loss(circuit: qml.QNode) -> Any:
    return lambda w, xb, yb: qml.math.mean((circuit(w, xb) - yb) ** 2)


def evaluate(circuit: qml.QNode, weights: Any, X: np.ndarray, Y: np.ndarray
             ) -> tuple[float, float]:
    """(mean squared error, accuracy) over a whole data set, from one broadcast call."""
    predictions = np.asarray(qml.math.to_numpy(circuit(weights, X)), dtype=float)
    return float(np.mean((predictions - Y) ** 2)), float(np.mean(np.sign(predictions) == Y))


def smoothed(values: list[float], window: int) -> list[float]:
    """The mean of the last ``window`` values at each point (fewer at the start)."""
    sums = np.cumsum([0.0, *values])
    return [float((sums[i + 1] - sums[max(0, i + 1 - window)]) / min(i + 1, window))
            for i in range(len(values))]


@dataclass
class TrainingSummary:
    device: str
    steps: int
    epochs: int
    batch_size: int
    seconds: float
    jobs: int
    http_requests: int
    circuits: int
    train_accuracy: float
    test_accuracy: float
    final_loss: float  # over the whole training set, with the trained weights
    test_loss: float
    losses: list[float] = field(default_factory=list)  # each step's mini-batch loss
    smoothed_losses: list[float] = field(default_factory=list)  # over an epoch of steps
    step_seconds: list[float] = field(default_factory=list)
    shots: int | None = None


class JobWaits:
    """A device ``progress`` callback that shows waiting jobs in a progress bar's postfix,
    once a job has waited ``quiet_for`` seconds (as the device's own progress line: a job
    that completes at once shows nothing)."""

    def __init__(self, quiet_for: float = 2.0) -> None:
        self.bar: Any = None
        self.quiet_for = quiet_for
        self._shown = False

    def __call__(self, progress: JobProgress) -> None:
        if self.bar is None:
            return
        if progress.done:
            if self._shown:
                self._shown = False
                self.bar.set_postfix_str("", refresh=True)
            return
        if progress.elapsed_s >= self.quiet_for:
            self._shown = True
            self.bar.set_postfix_str(f"{status_word(progress.status)} "
                                     f"{progress.elapsed_s:.0f} s", refresh=True)


def train(dev: Any, *, epochs: int = 30, batch_size: int = 10, seed: int = 1,
          shots: int | None = None, progress: bool = False, checkpoint: str | None = None,
          waits: JobWaits | None = None) -> tuple[TrainingSummary, Any]:
    """Train on 40 samples, test on 20; return the summary and the trained weights.

    ``shots`` is needed by QPUs and noisy simulators; ``waits`` (the device's ``progress``
    callback, if it is one) shows job waits in the progress bar.
    """
    X, Y = moons(60, seed=0)
    (Xtr, Ytr), (Xte, Yte) = (X[:40], Y[:40]), (X[40:], Y[40:])
    circuit = classifier(dev)
    if shots is not None:
        circuit = qml.set_shots(circuit, shots)
    rng = np.random.default_rng(seed)
    weights = pnp.array(rng.uniform(0, 2 * np.pi, (2, WIRES, 3)), requires_grad=True)
    per_epoch = -(-len(Xtr) // batch_size)
    steps = epochs * per_epoch
    opt = BatchSPSAOptimizer(maxiter=steps, c=0.15, seed=seed)
    bar = _progress_bar(steps, progress)
    if waits is not None:
        waits.bar = bar
    step_seconds: list[float] = []
    last = [time.perf_counter()]

    def on_step(step: int, params: Any, loss: float) -> None:
        now = time.perf_counter()
        step_seconds.append(now - last[0])
        last[0] = now
        if bar is not None:
            stats = opt.last_stats
            recent = smoothed(opt.losses, per_epoch)[-1]
            bar.set_postfix_str(f"loss {recent:.3f} (epoch mean), "
                                f"{stats.jobs if stats else '?'} job/step, "
                                f"{step_seconds[-1]:.2f} s/step", refresh=False)
            bar.update(1)

    start = time.perf_counter()
    with qml.Tracker(dev) as tracker:  # the training's jobs; evaluating takes two more
        result = opt.fit(square_loss(circuit), weights, Xtr, Ytr, batch_size=batch_size,
                         epochs=epochs, checkpoint=checkpoint, callback=on_step)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    if waits is not None:
        waits.bar = None
    train_loss, train_accuracy = evaluate(circuit, result.params, Xtr, Ytr)
    test_loss, test_accuracy = evaluate(circuit, result.params, Xte, Yte)
    totals = tracker.totals
    summary = TrainingSummary(
        device=getattr(dev, "name", str(dev)), steps=result.steps, epochs=epochs,
        batch_size=batch_size, seconds=seconds, jobs=int(totals.get("jobs", 0)),
        http_requests=int(totals.get("http_requests", 0)),
        circuits=int(totals.get("executions", 0)), train_accuracy=train_accuracy,
        test_accuracy=test_accuracy, final_loss=train_loss, test_loss=test_loss,
        losses=result.losses, smoothed_losses=smoothed(result.losses, per_epoch),
        step_seconds=step_seconds, shots=shots)
    return summary, result.params


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="training", unit="step")


def write_outputs(summary: TrainingSummary, out: Path) -> list[Path]:
    """``summary.json`` and, if matplotlib is installed, ``loss.png``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "summary.json"]
    written[0].write_text(json.dumps(asdict(summary), indent=2))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return written
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    steps = range(1, len(summary.losses) + 1)
    ax.plot(steps, summary.losses, color="tab:blue", alpha=0.3, linewidth=0.8,
            label="mini-batch loss")
    ax.plot(steps, summary.smoothed_losses, color="tab:blue", linewidth=2,
            label="mean over the last epoch")
    ax.axhline(summary.final_loss, color="tab:green", linestyle="--", linewidth=1,
               label=f"training set after training: {summary.final_loss:.3f}")
    ax.set(xlabel="step (one IonQ job each)", ylabel="mean squared error",
           title=f"BatchSPSAOptimizer on {summary.device}: accuracy "
                 f"{summary.train_accuracy:.0%} train, {summary.test_accuracy:.0%} test")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=120)
    plt.close(fig)
    written.append(out / "loss.png")
    return written
