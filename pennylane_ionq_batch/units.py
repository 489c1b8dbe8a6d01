"""The one place where PennyLane's radians meet IonQ's turns (1 turn = 2π radians)."""

from __future__ import annotations

import math
from typing import Any

TURN = 2 * math.pi


def to_turns(radians: Any) -> Any:
    """Radians → turns (works on floats, numpy arrays and autodiff tensors)."""
    return radians / TURN


def to_radians(turns: Any) -> Any:
    """Turns → radians (works on floats, numpy arrays and autodiff tensors)."""
    return turns * TURN
