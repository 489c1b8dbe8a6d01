"""IonQ's native gates as PennyLane operations, with phases and angles in turns (reference §12.1).

Write them in a circuit to send exactly these pulses (``ionq.batch`` keeps them, up to fusion
with neighbouring single-qubit gates), or simulate them on any PennyLane device: each has an
exact ``compute_matrix`` and an exact decomposition into RZ, PauliX, RX and IsingXX/IsingZZ.

- ``GPI(φ)``  = [[0, e^{−2πiφ}], [e^{2πiφ}, 0]]: a π rotation about the equatorial axis φ.
- ``GPI2(φ)`` = exp(−i(π/4)σ_φ): a π/2 rotation about axis φ, σ_φ = cos(2πφ)X + sin(2πφ)Y.
- ``MS(φ0, φ1, θ=0.25)`` = exp(−iπθ σ_φ0 ⊗ σ_φ1), first wire the most significant.
- ``ZZ(θ)`` = exp(−iπθ Z⊗Z).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pennylane as qml
from pennylane.operation import Operation

from .units import to_radians


def _phase(turns: Any) -> Any:
    """e^{2πi·turns}, keeping the tensor type (autograd, torch, jax) and any broadcast axis."""
    return qml.math.exp(1j * to_radians(turns))


def _matrix(rows: list[list[Any]]) -> Any:
    return qml.math.stack([qml.math.stack(row, axis=-1) for row in rows], axis=-2)


class _EquatorialRotation(Operation):
    """A single-qubit native pulse: a fixed rotation about the equatorial axis ``phi``."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)

    def __init__(self, phi: Any, wires: Any, id: str | None = None) -> None:
        super().__init__(phi, wires=wires, id=id)


class GPI(_EquatorialRotation):
    """IonQ's native π rotation about the equatorial axis ``phi`` (in turns)."""

    @staticmethod
    def compute_matrix(phi: Any) -> Any:  # pylint: disable=arguments-differ
        e = _phase(phi)
        zero = qml.math.zeros_like(e)
        return _matrix([[zero, qml.math.conj(e)], [e, zero]])

    @staticmethod
    def compute_decomposition(phi: Any, wires: Any) -> list[Operation]:
        return [qml.RZ(-to_radians(phi), wires), qml.PauliX(wires), qml.RZ(to_radians(phi), wires)]

    def adjoint(self) -> GPI:
        return GPI(self.data[0], self.wires)


class GPI2(_EquatorialRotation):
    """IonQ's native π/2 rotation about the equatorial axis ``phi`` (in turns)."""

    @staticmethod
    def compute_matrix(phi: Any) -> Any:  # pylint: disable=arguments-differ
        e = _phase(phi)
        one = qml.math.ones_like(e)
        return _matrix([[one, -1j * qml.math.conj(e)], [-1j * e, one]]) / np.sqrt(2)

    @staticmethod
    def compute_decomposition(phi: Any, wires: Any) -> list[Operation]:
        return [qml.RZ(-to_radians(phi), wires), qml.RX(np.pi / 2, wires),
                qml.RZ(to_radians(phi), wires)]

    def adjoint(self) -> GPI2:
        return GPI2(self.data[0] + 0.5, self.wires)


class MS(Operation):
    """IonQ's Mølmer–Sørensen gate exp(−iπθ σ_φ0⊗σ_φ1); θ = 0.25 is fully entangling."""

    num_wires = 2
    num_params = 3
    ndim_params = (0, 0, 0)

    def __init__(self, phi0: Any, phi1: Any, theta: Any = 0.25, wires: Any = None,
                 id: str | None = None) -> None:
        super().__init__(phi0, phi1, theta, wires=wires, id=id)

    @staticmethod
    def compute_matrix(phi0: Any, phi1: Any, theta: Any) -> Any:  # pylint: disable=arguments-differ
        c = (1 + 0j) * qml.math.cos(to_radians(theta) / 2)
        s = -1j * qml.math.sin(to_radians(theta) / 2)
        plus, minus = _phase(phi0 + phi1), _phase(phi0 - phi1)
        zero = qml.math.zeros_like(c * plus * minus)
        c = c + zero
        return _matrix([
            [c, zero, zero, s * qml.math.conj(plus)],
            [zero, c, s * qml.math.conj(minus), zero],
            [zero, s * minus, c, zero],
            [s * plus, zero, zero, c],
        ])

    @staticmethod
    def compute_decomposition(phi0: Any, phi1: Any, theta: Any,
                              wires: Any) -> list[Operation]:
        a, b = wires
        return [qml.RZ(-to_radians(phi0), a), qml.RZ(-to_radians(phi1), b),
                qml.IsingXX(to_radians(theta), wires),
                qml.RZ(to_radians(phi0), a), qml.RZ(to_radians(phi1), b)]

    def adjoint(self) -> MS:
        phi0, phi1, theta = self.data
        return MS(phi0, phi1, -theta, wires=self.wires)


class ZZ(Operation):
    """IonQ's native ZZ gate exp(−iπθ Z⊗Z) of Forte-class systems; θ in turns."""

    num_wires = 2
    num_params = 1
    ndim_params = (0,)

    def __init__(self, theta: Any, wires: Any, id: str | None = None) -> None:
        super().__init__(theta, wires=wires, id=id)

    @staticmethod
    def compute_matrix(theta: Any) -> Any:  # pylint: disable=arguments-differ
        e = qml.math.conj(_phase(theta / 2))  # e^{−iπθ}
        ec = qml.math.conj(e)
        zero = qml.math.zeros_like(e)
        return _matrix([[e, zero, zero, zero], [zero, ec, zero, zero],
                        [zero, zero, ec, zero], [zero, zero, zero, e]])

    @staticmethod
    def compute_decomposition(theta: Any, wires: Any) -> list[Operation]:
        return [qml.IsingZZ(to_radians(theta), wires)]

    def adjoint(self) -> ZZ:
        return ZZ(-self.data[0], self.wires)


NATIVE_OPS = (GPI, GPI2, MS, ZZ)
