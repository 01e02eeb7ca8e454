"""seeds/claims.csv stays consistent with the bundled reference data."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from watchlists import profiles

CLAIMS = Path(__file__).resolve().parents[2] / "seeds" / "claims.csv"
STATUSES = {"confirmed", "partial", "unconfirmed", "contradicted"}
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(k|mn|m|bn|b|tn)?\b", re.IGNORECASE)


def _claims() -> list[dict[str, str]]:
    with CLAIMS.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _resolve(ref: str) -> tuple:
    """The bundled records a claim reference points at (empty tuple: none)."""
    kind, _, rest = ref.partition(":")
    parts = rest.split(":")
    if kind == "facts":
        company, metric, period = parts
        return tuple(f for f in profiles.fact_records(company, metric) if f.period == period)
    if kind == "targets":
        company, broker, tkind, *target = parts
        return tuple(
            t
            for t in profiles.target_records(company)
            if t.broker == broker
            and t.kind == tkind
            and (not target or t.target == float(target[0]))
        )
    if kind == "quotes":
        # a date contains no ':' so the split is unambiguous
        symbol, qkind, day = parts
        return tuple(
            q
            for q in profiles.quote_records(symbol)
            if q.kind == qkind and q.date == date.fromisoformat(day)
        )
    if kind == "companies":
        (company,) = parts
        return (profiles.company(company),)
    raise AssertionError(f"unknown record kind in {ref!r}")


def _numbers(figure: str) -> list[float]:
    return [
        float(m[1].replace(",", "")) * _SCALE[(m[2] or "").lower()]
        for m in _NUMBER.finditer(figure)
    ]


def _bundled_numbers() -> list[float]:
    nums = [f.value for f in profiles.fact_records()]
    nums += [q.value for q in profiles.quote_records()]
    for t in profiles.target_records():
        nums += [x for x in (t.target, t.previous_target) if x is not None]
    return nums


def test_claims_file_shape():
    rows = _claims()
    assert rows, "no claims"
    assert list(rows[0]) == ["id", "claim", "figure", "record", "status", "note"]
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        assert r["claim"].strip(), r["id"]
        assert r["note"].strip(), r["id"]


@pytest.mark.parametrize("row", _claims(), ids=lambda r: r["id"])
def test_status_allowed(row):
    assert row["status"] in STATUSES


@pytest.mark.parametrize("row", [r for r in _claims() if r["record"]], ids=lambda r: r["id"])
def test_record_reference_exists(row):
    assert _resolve(row["record"]), f"{row['id']}: {row['record']} points at no bundled record"


@pytest.mark.parametrize(
    "row", [r for r in _claims() if r["status"] == "unconfirmed"], ids=lambda r: r["id"]
)
def test_unconfirmed_claims_carry_no_bundled_number(row):
    bundled = _bundled_numbers()
    for n in _numbers(row["figure"]):
        assert not any(abs(n - b) <= 1e-9 * max(1.0, abs(b)) for b in bundled), (row["id"], n)
    for rec in _resolve(row["record"]) if row["record"] else ():
        # the only record an unconfirmed claim may point at is a number-less one
        assert getattr(rec, "target", None) is None
        assert getattr(rec, "value", None) is None


def test_key_claims_present():
    by_record = {r["record"]: r for r in _claims() if r["record"]}
    assert by_record["targets:cambricon:HSBC:min_upside"]["status"] == "unconfirmed"
    assert by_record["facts:cambricon:revenue:H1-2025"]["status"] == "confirmed"
    kling16 = [r for r in _claims() if "16 m" in r["figure"]]
    assert kling16 and kling16[0]["status"] == "unconfirmed" and "60" in kling16[0]["note"]


def test_figure_parser():
    assert _numbers("USD 16 m") == [16e6]
    assert _numbers("~4,000%") == [4000.0]
    assert _numbers("CNY 380 bn") == [380e9]
