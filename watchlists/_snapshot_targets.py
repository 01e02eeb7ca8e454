"""Analyst targets in a snapshot: the per-member target list, the consensus row and
the changes since the previous run.

Private helpers of :mod:`watchlists.snapshots`. Targets come from three places, and
each row says which in ``source``: the bundled sourced data, the user's data folder,
and Yahoo's dated rating actions stored by ``refresh``. Nothing dated after ``asof``
is used; a target without a publication date is listed and flagged, and enters the
consensus only when it provably follows a dated target of the same broker.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from .definitions import Member

TARGET_COLUMNS: tuple[str, ...] = (
    "company", "symbol", "broker", "rating", "kind", "target", "min_upside", "reference",
    "reference_value", "implied_min_target", "currency", "published", "date_unknown",
    "previous_target", "upside", "in_consensus", "source", "source_url", "confidence",
)
"""Columns of :attr:`Snapshot.targets`: one row per named-broker target known at ``asof``."""


def _fmt_num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else "n/a"


# --------------------------------------------------------------------------- targets


def _yahoo_targets(member: Member, actions: pd.DataFrame, listing_ccy: str | None,
                   bundled: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Price targets from Yahoo's rating actions (stored by ``refresh``) as target rows.

    Only actions that carry a current price target are used; one that repeats a
    bundled target (same broker and value within three days) is dropped so each
    target appears once, keeping the bundled row and its source.
    """
    if actions is None or actions.empty:
        return pd.DataFrame()
    a = actions[(actions["symbol"] == member.symbol) & actions["current_target"].notna()]
    if a.empty:
        return pd.DataFrame()
    rows = []
    for r in a.itertuples():
        ccy = r.currency if isinstance(r.currency, str) and r.currency else listing_ccy
        if listing_ccy and ccy != listing_ccy:
            warnings.append(f"{member.symbol}: Yahoo target from {r.firm} is in {ccy}, the "
                            f"listing trades in {listing_ccy}; not used")
            continue
        same = bundled[(bundled["broker"].str.lower() == str(r.firm).lower())
                       & (bundled["target"] == r.current_target)]
        if len(same) and ((same["published"] - r.date).abs() <= pd.Timedelta(days=3)).any():
            continue
        rows.append({
            "company": member.company, "symbol": member.symbol, "broker": r.firm,
            "rating": r.to_grade or None, "kind": "price", "target": float(r.current_target),
            "min_upside": np.nan, "reference": None, "currency": ccy,
            "published": pd.Timestamp(r.date).normalize(), "date_unknown": False,
            "previous_target": r.prior_target, "source": "yahoo",
            "source_url": f"https://finance.yahoo.com/quote/{member.symbol}/analysis",
            "confidence": "partial",
        })
    return pd.DataFrame(rows)


def _member_targets(
    member: Member, asof: pd.Timestamp, price: float, high: float, sourced: pd.DataFrame,
    actions: pd.DataFrame | None = None, listing_ccy: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Named-broker targets for the member's symbol known at ``asof``: the bundled
    sourced targets, the user's own (``<home>/data/targets.csv``) and Yahoo's dated
    rating actions with a price target (stored by ``refresh``); ``source`` says which.
    ``sourced`` is :func:`watchlists.profiles.targets` (bundled and user rows).

    Targets with an unknown date are listed (flagged ``date_unknown``): they cannot
    be shown to predate ``asof``, which the report says.
    """
    from valuation import implied_min_target, upside

    warnings: list[str] = []
    t = sourced[sourced["symbol"] == member.symbol].copy()
    t["source"] = t["origin"]  # bundled | user
    yahoo = _yahoo_targets(member, actions, listing_ccy, t, warnings)
    if len(yahoo):
        t = pd.concat([t.astype(object), yahoo.astype(object)], ignore_index=True)
        for col in ("target", "min_upside", "previous_target"):
            t[col] = pd.to_numeric(t[col], errors="coerce").astype(float)
        t["published"] = pd.to_datetime(t["published"]).astype("datetime64[ns]")
    if t.empty:
        return pd.DataFrame(columns=list(TARGET_COLUMNS)), warnings
    known = t["published"].isna() | (t["published"] <= asof)
    t = t[known].copy()
    t["reference_value"] = np.nan
    t["implied_min_target"] = np.nan
    t["upside"] = np.nan
    t["in_consensus"] = False
    for idx, row in t.iterrows():
        if row["kind"] == "min_upside":
            ref = high if row["reference"] == "high" else price
            if math.isfinite(ref):
                bound = float(implied_min_target(ref, float(row["min_upside"])))
                t.at[idx, "reference_value"] = ref
                t.at[idx, "implied_min_target"] = bound
                if math.isfinite(price):
                    t.at[idx, "upside"] = float(upside(price, bound))
            else:
                warnings.append(
                    f"{member.symbol}: {row['broker']} claims at least "
                    f"{row['min_upside']:.0%} above the {row['reference']}, but no "
                    f"{row['reference']} is known at {asof.date()}"
                )
        elif math.isfinite(price) and pd.notna(row["target"]):
            t.at[idx, "upside"] = float(upside(price, float(row["target"])))
    # Consensus: the latest price target per broker. An undated target whose
    # previous_target matches a dated target of the same broker is known to come
    # after it: it is ordered right after that one (and flagged); other undated
    # targets cannot be placed in time and are left out.
    t["effective_date"] = t["published"]
    priced = (t["kind"] == "price") & t["target"].notna()
    for idx, row in t[priced & t["published"].isna()].iterrows():
        before = t[priced & (t["broker"] == row["broker"]) & t["published"].notna()
                   & (t["target"] == row["previous_target"])]
        if len(before):
            t.at[idx, "effective_date"] = before["published"].max()
            warnings.append(
                f"{member.symbol}: {row['broker']} target {_fmt_num(row['target'])} has no "
                f"published date; it follows the {_fmt_num(row['previous_target'])} target of "
                f"{before['published'].max().date()} and is used in its place"
            )
        else:
            warnings.append(
                f"{member.symbol}: {row['broker']} target {_fmt_num(row['target'])} has no "
                "published date and is left out of the consensus"
            )
    dated = t[priced & t["effective_date"].notna()]
    order = dated.assign(_undated=dated["published"].isna()).sort_values(
        ["effective_date", "_undated"], kind="stable")
    latest = order.groupby("broker").tail(1)
    t.loc[latest.index, "in_consensus"] = True
    return t.reindex(columns=[*TARGET_COLUMNS, "effective_date"]), warnings


def _consensus_row(
    member: Member, targets: pd.DataFrame, yahoo: pd.DataFrame, asof: pd.Timestamp,
    price: float, high: float, currency: str | None,
) -> tuple[dict[str, Any], list[str]]:
    from valuation import consensus, upside

    out: dict[str, Any] = dict.fromkeys(
        ("consensus_count", "consensus_mean", "consensus_median", "consensus_high",
         "consensus_low", "consensus_upside", "consensus_upside_from_high"), float("nan"))
    out["consensus_source"] = ""
    warnings: list[str] = []
    y = yahoo[yahoo["symbol"] == member.symbol] if len(yahoo) else yahoo
    if len(y) and pd.notna(y.iloc[-1].get("mean")):
        row = y.iloc[-1]
        if currency and row.get("currency") and row["currency"] != currency:
            warnings.append(f"{member.symbol}: Yahoo consensus is in {row['currency']}, "
                            f"the listing trades in {currency}; not used")
        else:
            out.update(consensus_count=row.get("analyst_count", float("nan")),
                       consensus_mean=row["mean"], consensus_median=row.get("median"),
                       consensus_high=row.get("high"), consensus_low=row.get("low"),
                       consensus_source=f"yahoo ({pd.Timestamp(row['fetched_at']).date()})")
    if not out["consensus_source"]:
        used = targets[targets["in_consensus"].astype(bool)]
        if len(used):
            c = consensus(used[["broker", "target", "currency", "effective_date"]]
                          .rename(columns={"effective_date": "published"}), asof=asof)
            warnings.extend(f"{member.symbol}: {w}" for w in c.warnings)
            if c.count:
                out.update(consensus_count=c.count, consensus_mean=c.mean,
                           consensus_median=c.median, consensus_high=c.high,
                           consensus_low=c.low, consensus_source="named brokers")
    if out["consensus_source"]:
        mean = float(out["consensus_mean"])
        if math.isfinite(price):
            out["consensus_upside"] = float(upside(price, mean))
        if math.isfinite(high):
            out["consensus_upside_from_high"] = float(upside(high, mean))
    return out, warnings


def _named_summary(targets: pd.DataFrame) -> str:
    parts = []
    for row in targets.itertuples():
        when = "date unknown" if pd.isna(row.published) else row.published.date().isoformat()
        if row.kind == "min_upside":
            bound = row.implied_min_target
            what = (f"≥{_fmt_num(bound)}" if pd.notna(bound) else "n/a")
            parts.append(f"{row.broker} {what} (≥{row.min_upside:.0%} above {row.reference}, "
                         f"{when})")
        else:
            parts.append(f"{row.broker} {_fmt_num(row.target)} ({when})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- changes


def _latest_per_broker(targets: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each broker's current view: its consensus row, else its last listed row."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for t in targets:
        key = (str(t.get("broker")), str(t.get("kind")))
        if key not in out or t.get("in_consensus") or not out[key].get("in_consensus"):
            out[key] = t
    return out


def _target_value(t: dict[str, Any]) -> float | None:
    value = t.get("target") if t.get("kind") == "price" else t.get("min_upside")
    return None if value is None or pd.isna(value) else float(value)


def _changes(previous: dict[str, Any] | None, rows: list[dict[str, Any]],
             targets: pd.DataFrame, threshold_of: dict[str, float]) -> list[dict[str, Any]]:
    """What moved since the last stored run: new/changed targets and ratings, upside
    moves of at least the member's ``upside_alert``, newly stale prices."""
    if not previous:
        return []
    payload = previous.get("payload") or {}
    since = f" (previous run: as of {previous.get('asof')})"
    out: list[dict[str, Any]] = []
    before_rows = {r.get("symbol") or r.get("company"): r for r in payload.get("rows", [])}

    def change(kind: str, row: dict[str, Any], detail: str) -> None:
        out.append({"kind": kind, "company": row["company"], "symbol": row["symbol"],
                    "detail": detail + since})

    for row in rows:
        key = row["symbol"] or row["company"]
        old = before_rows.get(key)
        if old is None:
            change("new member", row, "not in the previous run")
            continue
        if row["stale"] and not old.get("stale"):
            change("newly stale", row, f"price from {row['price_date']} is now stale")
        new_up = row.get("consensus_upside")
        old_up = (old.get("consensus") or {}).get("upside")
        limit = threshold_of.get(key, 0.10)
        if (new_up is not None and old_up is not None and math.isfinite(new_up)
                and abs(new_up - old_up) >= limit):
            change("upside move", row, f"consensus upside {old_up:+.1%} → {new_up:+.1%}")
        mine = targets[targets["symbol"] == row["symbol"]] if row["symbol"] else targets.iloc[0:0]
        now_view = _latest_per_broker(mine.to_dict("records"))
        old_view = _latest_per_broker(old.get("targets", []))
        for (broker, kind), t in now_view.items():
            value = _target_value(t)
            before = old_view.get((broker, kind))
            shown = "n/a" if value is None else _fmt_num(value)
            if before is None:
                change("new target", row, f"{broker} {shown}")
                continue
            old_value = _target_value(before)
            if old_value != value:
                was = "n/a" if old_value is None else _fmt_num(old_value)
                change("changed target", row, f"{broker} {was} → {shown}")
            rating = t.get("rating") if isinstance(t.get("rating"), str) else None
            if (before.get("rating") or None) != rating:
                change("rating change", row, f"{broker} {before.get('rating')} → {rating}")
    return out
