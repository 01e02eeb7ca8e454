"""Equity watchlists: sourced company data, an offline-first price store, snapshots and reports."""

from __future__ import annotations

__all__: list[str] = []
