"""Analyst targets in a snapshot: the per-member target list, the consensus row and
the changes since the previous run.

Private helpers of :mod:`watchlists.snapshots`. Targets come from three places, and
each row says which in ``source``: the bundled sourced data (``bundled``), the user's
data folder (``user``), and the dated rating actions a provider returned and
``refresh`` stored (the provider's name, e.g. ``yahoo``). Nothing dated after
``asof`` is used. Which targets enter the consensus is decided once, by
:func:`valuation.consensus` (undated targets only when they provably follow a dated
target of the same broker); the ``in_consensus`` flag, the count and the warnings all
come from that one call.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ._display import fmt_num
from .definitions import Member

TARGET_COLUMNS: tuple[str, ...] = (
    "company", "symbol", "broker", "rating", "kind", "target", "min_upside", "reference",
    "reference_value", "implied_min_target", "currency", "published", "date_unknown",
    "effective_date", "previous_target", "upside", "consensus_status", "in_consensus",
    "source", "source_url", "confidence",
)
"""Columns of :attr:`Snapshot.targets`: one row per named-broker target known at ``asof``.

``consensus_status`` is what :func:`valuation.consensus` did with the row (``used``,
``stale``, ``superseded``, ``undated``, ``not a price target``), or ``bound`` for a
min-upside claim; ``in_consensus`` is true exactly for the rows averaged into the
consensus figures of the snapshot table (so false for every row when the table shows
a provider's consensus instead of the named brokers')."""

CHANGE_COLUMNS: tuple[str, ...] = ("kind", "company", "symbol", "detail", "previous_asof")
"""Columns of :attr:`Snapshot.changes`: ``kind`` is one of ``new member``, ``newly stale``,
``upside move``, ``new target``, ``changed target``, ``target no longer current``,
``rating change``; ``previous_asof`` is the as-of date of the run compared with."""

RUN_FORMAT = 2
"""Version of the run record stored per report run (the snapshot's own table)."""


# --------------------------------------------------------------------------- targets


def _provider_targets(member: Member, actions: pd.DataFrame | None, listing_ccy: str | None,
                      sourced: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Price targets from the stored rating actions of ``member`` as target rows.

    Only actions that carry a current price target are used; one that repeats a
    sourced target (same broker and value within three days) is dropped so each
    target appears once, keeping the sourced row and its source.
    """
    if actions is None or actions.empty:
        return pd.DataFrame()
    a = actions[(actions["symbol"] == member.symbol) & actions["current_target"].notna()]
    rows = []
    for r in a.itertuples():
        ccy = r.currency if isinstance(r.currency, str) and r.currency else listing_ccy
        if listing_ccy and ccy != listing_ccy:
            warnings.append(f"{r.source} target from {r.firm} is in {ccy}, the listing "
                            f"trades in {listing_ccy}; not used")
            continue
        same = sourced[(sourced["broker"].str.lower() == str(r.firm).lower())
                       & (sourced["target"] == r.current_target)]
        if len(same) and ((same["published"] - r.date).abs() <= pd.Timedelta(days=3)).any():
            continue
        rows.append({
            "company": member.company, "symbol": member.symbol, "broker": r.firm,
            "rating": r.to_grade or None, "kind": "price", "target": float(r.current_target),
            "min_upside": np.nan, "reference": None, "currency": ccy,
            "published": pd.Timestamp(r.date).normalize(), "date_unknown": False,
            "previous_target": r.prior_target, "source": str(r.source),
            "source_url": f"https://finance.yahoo.com/quote/{member.symbol}/analysis"
            if str(r.source) == "yahoo" else None,
            "confidence": "partial",
        })
    return pd.DataFrame(rows)


def member_targets(
    member: Member, asof: pd.Timestamp, price: float, high: float, sourced: pd.DataFrame,
    actions: pd.DataFrame | None, listing_ccy: str | None,
) -> tuple[pd.DataFrame, Any, list[str]]:
    """Named-broker targets for the member's symbol known at ``asof`` and their consensus.

    ``sourced`` is :func:`watchlists.profiles.targets` (bundled and user rows, with
    ``origin``); ``actions`` the stored rating actions. Returns the target rows
    (:data:`TARGET_COLUMNS`), the :class:`valuation.Consensus` of their price targets
    (None when there are none) and the warnings (without the symbol prefix).
    """
    warnings: list[str] = []
    if sourced.empty and (actions is None or actions.empty):  # no target rows at all
        return pd.DataFrame(columns=list(TARGET_COLUMNS)), None, warnings
    from valuation import consensus, implied_min_target, upside

    t = sourced[sourced["symbol"] == member.symbol].copy()
    t["source"] = t["origin"]  # bundled | user
    extra = _provider_targets(member, actions, listing_ccy, t, warnings)
    if len(extra):
        t = pd.concat([t.astype(object), extra.astype(object)], ignore_index=True)
        for col in ("target", "min_upside", "previous_target"):
            t[col] = pd.to_numeric(t[col], errors="coerce").astype(float)
        t["published"] = pd.to_datetime(t["published"]).astype("datetime64[ns]")
    t = t[t["published"].isna() | (t["published"] <= asof)].reset_index(drop=True)
    if t.empty:
        return pd.DataFrame(columns=list(TARGET_COLUMNS)), None, warnings

    bound = (t["kind"] == "min_upside").to_numpy()
    ref = np.where(t["reference"].to_numpy(dtype=object) == "high", high, price).astype(float)
    has_ref = bound & np.isfinite(ref)
    t["reference_value"] = np.where(has_ref, ref, np.nan)
    t["implied_min_target"] = np.nan
    if has_ref.any():
        t.loc[has_ref, "implied_min_target"] = np.asarray(implied_min_target(
            ref[has_ref], t.loc[has_ref, "min_upside"].to_numpy(dtype=float)), dtype=float)
    for row in t[bound & ~has_ref].itertuples():
        what = "52-week high" if row.reference == "high" else "price"
        warnings.append(f"{row.broker} claims at least {row.min_upside:.0%} above the {what}, "
                        f"but no {what} is known at {asof.date()}: the bound is unresolved")
    level = np.where(bound, t["implied_min_target"], t["target"]).astype(float)
    t["upside"] = (np.asarray(upside(np.full(len(t), price), level), dtype=float)
                   if math.isfinite(price) else np.nan)

    priced = t[~bound]
    cons = None
    t["effective_date"] = t["published"]
    t["consensus_status"] = np.where(bound, "bound", "")
    if len(priced):
        try:
            cons = consensus(priced, asof=asof, undated="follow")
        except (TypeError, ValueError) as exc:
            warnings.append(f"named-broker consensus not computed: {exc}")
            t.loc[~bound, "consensus_status"] = "error"
        else:
            t.loc[cons.rows.index, "effective_date"] = cons.rows["effective_date"]
            t.loc[cons.rows.index, "consensus_status"] = cons.rows["consensus_status"]
            warnings.extend(cons.warnings)
    t["in_consensus"] = t["consensus_status"].eq("used")
    return t.reindex(columns=list(TARGET_COLUMNS)), cons, warnings


_CONSENSUS_KEYS = ("consensus_count", "consensus_mean", "consensus_median", "consensus_high",
                   "consensus_low", "consensus_upside", "consensus_upside_from_high")


def consensus_row(
    member: Member, cons: Any, provider_consensus: pd.DataFrame, price: float, high: float,
    currency: str | None,
) -> tuple[dict[str, Any], bool, list[str]]:
    """The consensus columns of one member's row.

    A provider's stored consensus (e.g. Yahoo's, point in time) is preferred when it is
    in the listing's currency; otherwise the named-broker consensus ``cons``. Returns the
    columns, whether the named brokers are the figure shown, and warnings.
    """
    from valuation import upside

    out: dict[str, Any] = dict.fromkeys(_CONSENSUS_KEYS, float("nan"))
    out["consensus_source"] = ""
    warnings: list[str] = []
    named = False
    y = (provider_consensus[provider_consensus["symbol"] == member.symbol]
         if len(provider_consensus) else provider_consensus)
    if len(y) and pd.notna(y.iloc[-1].get("mean")):
        row = y.iloc[-1]
        source = str(row.get("source") or "yahoo")
        if currency and row.get("currency") and row["currency"] != currency:
            warnings.append(f"{source} consensus is in {row['currency']}, the listing trades "
                            f"in {currency}; not used")
        else:
            out.update(consensus_count=row.get("analyst_count", float("nan")),
                       consensus_mean=row["mean"], consensus_median=row.get("median"),
                       consensus_high=row.get("high"), consensus_low=row.get("low"),
                       consensus_source=f"{source} ({pd.Timestamp(row['fetched_at']).date()})")
    if not out["consensus_source"] and cons is not None and cons.count:
        named = True
        out.update(consensus_count=cons.count, consensus_mean=cons.mean,
                   consensus_median=cons.median, consensus_high=cons.high,
                   consensus_low=cons.low, consensus_source="named brokers")
    if out["consensus_source"]:
        mean = float(out["consensus_mean"])
        if math.isfinite(price):
            out["consensus_upside"] = float(upside(price, mean))
        if math.isfinite(high):
            out["consensus_upside_from_high"] = float(upside(high, mean))
    return out, named, warnings


def target_label(row: Any) -> str:
    """One target as text: ``Bernstein 2,000 (2025-12-04)``, ``HSBC ≥1,915.06 (≥20% above
    the high 1,595.88, date unknown)`` or, unresolved, ``HSBC ≥20% above the 52-week high
    (high unknown, date unknown)``; an aged-out target says so."""
    when = "date unknown" if pd.isna(row.published) else row.published.date().isoformat()
    if row.kind == "min_upside":
        what = "52-week high" if row.reference == "high" else "price"
        if pd.isna(row.implied_min_target):
            return (f"{row.broker} ≥{row.min_upside:.0%} above the {what} "
                    f"({what.split()[-1]} unknown, {when})")
        return (f"{row.broker} ≥{fmt_num(row.implied_min_target)} (≥{row.min_upside:.0%} above "
                f"the {what} {fmt_num(row.reference_value)}, {when})")
    status = row.consensus_status
    note = "" if status in ("used", "", "error") else f", {status}"
    return f"{row.broker} {fmt_num(row.target)} ({when}{note})"


def current_views(targets: pd.DataFrame) -> pd.DataFrame:
    """Each broker's current view: its consensus-eligible price target (status ``used``)
    and its min-upside claims. Aged-out, superseded and undated targets are not current."""
    if targets.empty:
        return targets
    keep = targets["consensus_status"].isin(["used", "bound"])
    return targets[keep]


# --------------------------------------------------------------------------- changes


def run_record(table: pd.DataFrame, targets: pd.DataFrame) -> dict[str, Any]:
    """What a report run stores: the snapshot's own table and its current target views."""
    views = current_views(targets)
    cols = ["symbol", "broker", "kind", "target", "min_upside", "rating"]
    return {
        "format": RUN_FORMAT,
        "table": table.to_dict("records"),
        "targets": views.reindex(columns=cols).to_dict("records"),
    }


def _view_key(t: dict[str, Any]) -> tuple[str, str]:
    return str(t.get("broker")), str(t.get("kind"))


def _view_value(t: dict[str, Any]) -> float | None:
    value = t.get("target") if t.get("kind") == "price" else t.get("min_upside")
    return None if value is None or pd.isna(value) else float(value)


def changes(previous: dict[str, Any] | None, table: pd.DataFrame, targets: pd.DataFrame,
            threshold_of: dict[str, float]) -> tuple[pd.DataFrame, list[str]]:
    """What moved since ``previous`` (the latest stored run of an earlier ``asof``):
    new members, newly stale prices, consensus upside moves of at least the member's
    ``upside_alert``, new, changed and no-longer-current targets, rating changes."""
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    if not previous:
        return pd.DataFrame(out, columns=list(CHANGE_COLUMNS)), notes
    payload = previous.get("payload") or {}
    since = previous.get("asof")
    if payload.get("format") != RUN_FORMAT:
        notes.append(f"the previous run (as of {since}) was stored by an older version: "
                     "no changes listed")
        return pd.DataFrame(out, columns=list(CHANGE_COLUMNS)), notes
    before_rows = {r.get("symbol") or r.get("company"): r for r in payload.get("table", [])}
    before_views: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for t in payload.get("targets", []):
        before_views.setdefault(str(t.get("symbol")), {})[_view_key(t)] = t
    views = current_views(targets)
    views_of = dict(iter(views.groupby("symbol", sort=False))) if len(views) else {}
    no_views = views.iloc[0:0]

    def change(kind: str, row: Any, detail: str) -> None:
        out.append({"kind": kind, "company": row.company, "symbol": row.symbol,
                    "detail": detail, "previous_asof": since})

    for row in table.itertuples():
        key = row.symbol or row.company
        old = before_rows.get(key)
        if old is None:
            change("new member", row, "not in the previous run")
            continue
        if row.stale and not old.get("stale"):
            change("newly stale", row, f"price from {row.price_date} is now stale")
        new_up, old_up = row.consensus_upside, old.get("consensus_upside")
        if (old_up is not None and math.isfinite(new_up) and math.isfinite(old_up)
                and abs(new_up - old_up) >= threshold_of.get(key, 0.10)):
            change("upside move", row, f"consensus upside {old_up:+.1%} → {new_up:+.1%}")
        mine = views_of.get(row.symbol, no_views) if row.symbol else no_views
        now_view = {_view_key(t): t for t in mine.to_dict("records")}
        old_view = before_views.get(str(row.symbol), {})
        for k, t in now_view.items():
            value, before = _view_value(t), old_view.get(k)
            shown = "n/a" if value is None else fmt_num(value)
            if before is None:
                change("new target", row, f"{k[0]} {shown}")
                continue
            old_value = _view_value(before)
            if old_value != value:
                was = "n/a" if old_value is None else fmt_num(old_value)
                change("changed target", row, f"{k[0]} {was} → {shown}")
            rating = t.get("rating") if isinstance(t.get("rating"), str) else None
            if (before.get("rating") or None) != rating:
                change("rating change", row, f"{k[0]} {before.get('rating')} → {rating}")
        for k, before in old_view.items():
            if k not in now_view:
                value = _view_value(before)
                change("target no longer current", row,
                       f"{k[0]} {'n/a' if value is None else fmt_num(value)}")
    return pd.DataFrame(out, columns=list(CHANGE_COLUMNS)), notes
