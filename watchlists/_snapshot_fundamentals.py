"""Which revenue, shares, margin and net cash a snapshot values a member with.

Two kinds of source: the sourced facts (bundled or user, each with its URL) for the
companies we profile, and the statement figures a provider stored
(:mod:`watchlists.fundamentals`) for any symbol. The rule, per figure: **the newest
period known at ``asof`` wins; ties go to the sourced record**. The chosen figure says
where it came from (``bundled``, ``user`` or the provider's name) and its period.

Share units. Sourced share counts are ordinary shares; a listing trades
``Listing.shares_per_unit`` of them per unit (8 per Alibaba ADS). Yahoo's
statements count ordinary shares too, while its ``sharesOutstanding`` counts units of
the listing asked (per ADS for BABA): the units per listing unit are therefore taken
as the ratio of the two when it is within 3 % of a whole number, else one.
Operating margin and net cash from the watchlist file (our assumptions) win over the
statements; without either, the statements' figures are used, and without those the
existing fallbacks apply (target margin from year one, net cash 0), each with a warning.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from . import profiles
from .definitions import Member
from .fundamentals import Figures, figures
from .records import period_bounds

_RATIO_TOLERANCE = 0.03


@dataclass(frozen=True)
class Chosen:
    """One figure a snapshot uses: value, currency (or unit), basis, source, period end."""

    value: float
    currency: str | None
    basis: str
    source: str
    end: pd.Timestamp | None


def provider_figures(rows: pd.DataFrame) -> tuple[Figures | None, str]:
    """The :class:`Figures` of one symbol's stored rows known at ``asof``, and the
    provider's name (``''`` when there are none)."""
    if rows.empty:
        return None, ""
    return figures(rows), str(rows["source"].iloc[0])


def _fact_origin(company: str, metric: str, asof: dt.date) -> str:
    """Where the sourced facts of ``company``'s ``metric`` known at ``asof`` come from:
    ``'bundled'``, ``'user'`` or ``'bundled and user'`` (the ``origin`` of
    :func:`watchlists.profiles.facts`, read from its records without a DataFrame)."""
    recs, origins = profiles._fact_pick(company, metric)
    when = pd.Timestamp(asof)
    if origins is None:
        origins = ["bundled"] * len(recs)
    return " and ".join(sorted({str(o) for f, o in zip(recs, origins)
                                if pd.Timestamp(f.asof) <= when}))


def revenue(member: Member, asof: dt.date, fig: Figures | None, provider: str
            ) -> Chosen | None:
    """Trailing revenue: sourced TTM/FY vs the provider's TTM/FY, newest period first."""
    sourced = None
    if member.company is not None:
        found = profiles.ttm_revenue_detail(member.company, asof)
        if found is not None:
            value, ccy, basis, end = found
            sourced = Chosen(value, ccy, basis, _fact_origin(member.company, "revenue", asof),
                             pd.Timestamp(end))
    theirs = None
    if fig is not None and math.isfinite(fig.revenue):
        theirs = Chosen(fig.revenue, fig.currency, fig.revenue_basis, provider, fig.revenue_end)
    return _newest(sourced, theirs)


def _newest(sourced: Chosen | None, theirs: Chosen | None) -> Chosen | None:
    if sourced is None or theirs is None:
        return sourced or theirs
    assert sourced.end is not None and theirs.end is not None
    return theirs if theirs.end > sourced.end else sourced


def shares(member: Member, asof: dt.date, fig: Figures | None, provider: str,
           profile: dict | None, listing_per_unit: float | None) -> tuple[Chosen, float] | None:
    """Ordinary shares and the ordinary shares per traded unit, newest period first."""
    sourced = None
    if member.company is not None:
        fact = profiles.latest_fact(member.company, "shares_outstanding", asof)
        if fact is not None:
            sourced = Chosen(fact.value, "shares", f"{fact.period} ({fact.confidence})",
                             _fact_origin(member.company, "shares_outstanding", asof),
                             pd.Timestamp(period_bounds(fact.period)[1]))
    theirs = None
    if fig is not None and math.isfinite(fig.shares):
        theirs = Chosen(fig.shares, "shares", f"ordinary shares, balance sheet of "
                        f"{fig.shares_end.date() if fig.shares_end is not None else '?'}",
                        provider, fig.shares_end)
    chosen = _newest(sourced, theirs)
    if chosen is None:
        return None
    per_unit = listing_per_unit
    units = None if profile is None else profile.get("shares_outstanding")
    if chosen is theirs or per_unit is None:
        per_unit = _units_per_listing_unit(chosen.value, units)
        if per_unit != 1.0:
            chosen = Chosen(chosen.value, chosen.currency,
                            f"{chosen.basis}; {per_unit:g} per traded unit (ordinary shares / "
                            f"the listing's {units:,.0f} units)", chosen.source, chosen.end)
    return chosen, float(per_unit)


def _units_per_listing_unit(ordinary: float, units: object) -> float:
    try:
        u = float(units)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 1.0
    if not (math.isfinite(u) and u > 0):
        return 1.0
    ratio = ordinary / u
    whole = round(ratio)
    if whole >= 2 and abs(ratio - whole) <= _RATIO_TOLERANCE * whole:
        return float(whole)
    return 1.0


def margin(member: Member, fig: Figures | None, provider: str, rev: Chosen
           ) -> tuple[float | None, str]:
    """The DCF's starting operating margin and where it came from."""
    a = member.assumptions
    if a.operating_margin is not None:
        return a.operating_margin, f"{a.source_of('operating_margin')} assumption"
    if fig is not None and math.isfinite(fig.operating_margin):
        note = "" if rev.source == provider else f" (revenue itself from {rev.source})"
        return fig.operating_margin, f"{provider}: {fig.margin_basis}{note}"
    return None, ""


def net_cash(member: Member, fig: Figures | None, provider: str, rev_ccy: str | None
             ) -> tuple[float | None, str]:
    """Net cash (in the revenue currency) and where it came from."""
    a = member.assumptions
    if a.net_cash is not None:
        return a.net_cash, f"{a.source_of('net_cash')} assumption"
    if fig is not None and math.isfinite(fig.net_cash) and fig.currency == rev_ccy:
        return fig.net_cash, f"{provider}: {fig.net_cash_basis}"
    return None, ""
