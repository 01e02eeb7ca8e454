"""Shared type aliases for the valuation package."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

#: A number, an array with one element per company, or a Series indexed by company.
FloatLike: TypeAlias = float | int | np.floating | npt.ArrayLike | pd.Series
#: Per-year growth rates: shape (years,) or (companies, years), or a DataFrame companies × years.
GrowthLike: TypeAlias = npt.ArrayLike | pd.Series | pd.DataFrame
#: Wide prices or returns (dates × symbols) or one Series.
FrameLike: TypeAlias = pd.Series | pd.DataFrame
#: A random seed: None (fresh entropy), an int, or a numpy Generator.
SeedLike: TypeAlias = int | np.random.Generator | None

__all__ = ["FloatLike", "FrameLike", "GrowthLike", "SeedLike"]
