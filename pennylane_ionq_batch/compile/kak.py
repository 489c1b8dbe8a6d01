"""Two-qubit unitaries in KAK form, in pure numpy.

Any 4×4 unitary U equals, up to a global phase,
``(A0 ⊗ A1) · exp(i(x XX + y YY + z ZZ)) · (B0 ⊗ B1)`` (Khaneja–Glaser / Cartan). The three
interaction terms commute, so U costs at most three entangling gates, and exactly as many as
there are non-zero coefficients once each is reduced modulo π/2 (the remainder is local).

The method is the usual one through the magic basis, where local gates are real orthogonal
matrices: diagonalise ``UᵀU`` with a real orthogonal matrix (its real and imaginary parts
commute, so a random real combination of them has the joint eigenvectors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MAGIC = np.array([[1, 0, 0, 1j], [0, 1j, 1, 0], [0, 1j, -1, 0], [1, 0, 0, -1j]]) / np.sqrt(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.diag([1.0 + 0j, -1.0])
PAULI_PAIRS = (np.kron(_X, _X), np.kron(_Y, _Y), np.kron(_Z, _Z))
# Eigenvalues of XX, YY, ZZ on each magic-basis vector: θ_k = g + x·λXX_k + y·λYY_k + z·λZZ_k.
_SIGNS = np.array([np.real(np.diag(_MAGIC.conj().T @ p @ _MAGIC)) for p in PAULI_PAIRS]).T
_SOLVE = np.linalg.inv(np.column_stack([np.ones(4), _SIGNS]))


@dataclass(frozen=True)
class KAK:
    """U ≅ (after[0] ⊗ after[1]) · exp(i(x XX + y YY + z ZZ)) · (before[0] ⊗ before[1])."""

    before: tuple[np.ndarray, np.ndarray]
    coefficients: tuple[float, float, float]  # (x, y, z), each in (−π/4, π/4]
    after: tuple[np.ndarray, np.ndarray]


def kron_factor(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split a 4×4 matrix known to be a ⊗ b into (a, b), each with determinant 1."""
    t = m.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3).reshape(4, 4)  # rank one: vec(a) vec(b)ᵀ
    u, s, vh = np.linalg.svd(t)
    a = (u[:, 0] * np.sqrt(s[0])).reshape(2, 2)
    b = (vh[0] * np.sqrt(s[0])).reshape(2, 2)
    return _unit_det(a), _unit_det(b)


def _unit_det(m: np.ndarray) -> np.ndarray:
    return m / np.sqrt(np.linalg.det(m))


def _real_orthogonal_eigenbasis(m: np.ndarray) -> np.ndarray:
    """A real orthogonal P (det +1) with Pᵀ m P diagonal, for a symmetric unitary m."""
    rng = np.random.default_rng(1234)  # deterministic: same input, same decomposition
    re, im = m.real, m.imag
    for _ in range(100):
        r = rng.random()
        _, p = np.linalg.eigh(r * re + (1 - r) * im)
        d = p.T @ m @ p
        if np.allclose(d, np.diag(np.diag(d)), atol=1e-13):
            if np.linalg.det(p) < 0:
                p[:, 0] = -p[:, 0]
            return p
    raise np.linalg.LinAlgError("KAK: could not diagonalise UᵀU (is the matrix unitary?)")


def _reduce(c: float) -> tuple[float, int]:
    """c = r + k·π/2 with r in (−π/4, π/4]; exp(ikπ/2·PP) = (iPP)^k is a local gate."""
    k = int(np.round(c / (np.pi / 2)))
    r = c - k * np.pi / 2
    if r <= -np.pi / 4:
        r, k = r + np.pi / 2, k - 1
    return r, k


def kak(u: np.ndarray) -> KAK:
    """The KAK form of a 4×4 unitary (first tensor factor = first wire)."""
    u = np.asarray(u, dtype=complex)
    u = u / np.linalg.det(u) ** 0.25
    up = _MAGIC.conj().T @ u @ _MAGIC
    p = _real_orthogonal_eigenbasis(up.T @ up)
    theta = np.angle(np.diag(p.T @ up.T @ up @ p)) / 2
    k1 = up @ p @ np.diag(np.exp(-1j * theta))
    if np.linalg.det(k1.real) < 0:  # flip one branch so that K1 is in SO(4)
        theta[0] += np.pi
        k1[:, 0] = -k1[:, 0]
    _, x, y, z = _SOLVE @ theta
    after = _MAGIC @ k1.real @ _MAGIC.conj().T
    before = _MAGIC @ p.T @ _MAGIC.conj().T
    reduced = []
    for c, pair in zip((x, y, z), PAULI_PAIRS, strict=True):
        r, k = _reduce(c)
        reduced.append(r)
        after = after @ np.linalg.matrix_power(1j * pair, k % 4)
    return KAK(kron_factor(before), (reduced[0], reduced[1], reduced[2]), kron_factor(after))
