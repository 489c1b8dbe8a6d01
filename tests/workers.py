"""What worker processes run (module level, so it pickles by reference)."""

from __future__ import annotations

import numpy as np
import pennylane as qml


def circuit(x, w):  # noqa: ANN001, ANN201 - a QNode body
    qml.RX(x, 0)
    qml.RY(w, 1)
    qml.CNOT([0, 1])
    return qml.expval(qml.Z(1))


def evaluate(qnode: qml.QNode, points: list[tuple[float, float]]) -> list[float]:
    """What a worker of a sweep does: evaluate its share of the points (one job)."""
    return [float(v) for v in qnode(np.array([p[0] for p in points]),
                                    np.array([p[1] for p in points]))]
