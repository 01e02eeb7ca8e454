"""Pure, vectorised valuation models (no I/O, no clock)."""

from __future__ import annotations

__all__: list[str] = []
