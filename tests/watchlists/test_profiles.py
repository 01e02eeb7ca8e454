"""Public API of watchlists.profiles against the bundled reference data."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest

from watchlists import profiles
from watchlists._profile_loading import _parse_companies, _read_user
from watchlists.records import AnalystTarget, Company, Fact, Listing, ReferenceQuote


# ------------------------------------------------------------------ lookup
@pytest.mark.parametrize(
    "key",
    [
        "cambricon",
        "Cambricon",
        "CAMBRICON",
        "Cambricon Technologies Corporation Limited",
        "中科寒武纪",
        "688256.SS",
        "688256.ss",
        "Cambricon-U",
        "  cambricon ",
    ],
)
def test_company_lookup_by_any_key(key):
    assert profiles.company(key).slug == "cambricon"


@pytest.mark.parametrize(
    ("key", "slug"),
    [
        ("BABA", "alibaba"),
        ("9988.hk", "alibaba"),
        ("Google", "alphabet"),
        ("GOOGL", "alphabet"),
        ("Innolight", "zhongji-innolight"),
        ("HiSilicon", "huawei"),
        ("0981.HK", "smic"),
        ("688981.SS", "smic"),
        ("Moore Threads", "moore-threads"),
        ("快手科技", "kuaishou"),
    ],
)
def test_company_lookup_aliases_and_symbols(key, slug):
    assert profiles.company(key).slug == slug


def test_unknown_company_suggests_closest():
    with pytest.raises(KeyError, match=r"unknown company 'cambricn'; did you mean: cambricon\?"):
        profiles.company("cambricn")
    with pytest.raises(KeyError, match="unknown company 'qqqq'"):
        profiles.company("qqqq")


def test_company_key_type():
    with pytest.raises(TypeError, match="key"):
        profiles.company(688256)  # type: ignore[arg-type]


def test_listing_lookup():
    comp, lst = profiles.listing("baba")
    assert comp.slug == "alibaba"
    assert lst.exchange == "NYSE" and lst.currency == "USD" and not lst.primary
    assert lst.shares_per_unit == 8
    with pytest.raises(KeyError, match=r"did you mean: 688256\.SS"):
        profiles.listing("688265.SS")


def test_company_records_shape():
    recs = profiles.company_records()
    assert all(isinstance(c, Company) for c in recs)
    slugs = [c.slug for c in recs]
    for slug in [
        "alibaba",
        "kuaishou",
        "cambricon",
        "moore-threads",
        "huawei",
        "zhongji-innolight",
        "hygon",
        "smic",
        "tencent",
        "nvidia",
        "amd",
        "alphabet",
    ]:
        assert slug in slugs
    assert len(set(slugs)) == len(slugs)
    symbols = [s for c in recs for s in c.symbols]
    assert len(set(symbols)) == len(symbols)
    for c in recs:
        if c.listed:
            assert sum(x.primary for x in c.listings) == 1
            assert c.primary_listing is not None and c.primary_listing.primary


def test_huawei_is_unlisted():
    hw = profiles.company("Huawei")
    assert not hw.listed and hw.listings == () and hw.primary_listing is None
    assert hw.symbols == ()
    df = profiles.companies()
    row = df[df["company"] == "huawei"]
    assert len(row) == 1 and row["symbol"].isna().all()


def test_alibaba_listings():
    baba = profiles.company("alibaba")
    assert {x.symbol: x.shares_per_unit for x in baba.listings} == {"9988.HK": 1.0, "BABA": 8.0}
    assert baba.primary_listing.symbol == "9988.HK"


def test_records_are_frozen():
    c = profiles.company("cambricon")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.slug = "x"  # type: ignore[misc]


# ------------------------------------------------------------------ frames
def test_companies_frame():
    df = profiles.companies()
    assert list(df.columns) == [
        "company",
        "name",
        "local_name",
        "country",
        "role",
        "symbol",
        "exchange",
        "board",
        "currency",
        "primary",
        "shares_per_unit",
        "origin",
    ]
    assert df["primary"].dtype == bool
    assert df.loc[df["symbol"] == "BABA", "shares_per_unit"].item() == 8.0
    assert df.loc[df["symbol"] == "688256.SS", "board"].item() == "STAR"
    assert df.loc[df["symbol"] == "300308.SZ", "exchange"].item() == "SZSE"


def test_frames_are_fresh_copies():
    df = profiles.targets()
    df.loc[:, "target"] = -1.0
    assert (profiles.targets()["target"].dropna() > 0).all()


def test_targets_frame_columns_and_types():
    df = profiles.targets()
    assert list(df.columns) == [
        "company",
        "symbol",
        "broker",
        "rating",
        "kind",
        "target",
        "min_upside",
        "reference",
        "currency",
        "published",
        "previous_target",
        "source_url",
        "date_unknown",
        "confidence",
        "note",
        "origin",
    ]
    assert pd.api.types.is_datetime64_dtype(df["published"])
    assert pd.api.types.is_float_dtype(df["target"])
    assert df["published"].isna().eq(df["date_unknown"]).all()


def test_cambricon_targets():
    df = profiles.targets("Cambricon")
    assert set(df["company"]) == {"cambricon"} and set(df["currency"]) == {"CNY"}
    gs = df[df["broker"] == "Goldman Sachs"]
    chain = list(zip(gs["previous_target"], gs["target"], strict=True))
    assert chain == [(607.8, 1223.0), (1223.0, 1835.0), (1835.0, 2104.0)]
    assert gs["published"].iloc[0] == pd.Timestamp("2025-04-22")
    assert gs["published"].iloc[1] == pd.Timestamp("2025-08-24")
    # 2,104 is dated since the 2026 research (bjwjmy + sentifin: note of 2025-09-01)
    assert gs["published"].iloc[2] == pd.Timestamp("2025-09-01")
    assert not gs["date_unknown"].iloc[2] and gs["confidence"].iloc[2] == "confirmed"
    bern = df[(df["broker"] == "Bernstein") & (df["target"] == 2000)].iloc[0]
    assert bern["published"] == pd.Timestamp("2025-12-04")
    assert bern["rating"] == "Outperform" and bern["previous_target"] == 1100
    mac = df[df["broker"] == "Macquarie"].iloc[0]
    assert mac["target"] == 2060 and pd.isna(mac["published"]) and mac["date_unknown"]
    hsbc = df[df["broker"] == "HSBC"]
    assert len(hsbc) == 1
    h = hsbc.iloc[0]
    assert h["kind"] == "min_upside" and h["min_upside"] == 0.2 and h["reference"] == "high"
    assert pd.isna(h["target"]) and h["confidence"] == "unconfirmed" and h["date_unknown"]
    assert "ai-news.tv" in h["source_url"] and "webbizmarket.com" in h["source_url"]


def test_target_currency_matches_listing():
    for t in profiles.target_records():
        _, lst = profiles.listing(t.symbol)
        assert t.currency == lst.currency, t


def test_smic_targets_split_by_listing():
    df = profiles.targets("smic")
    assert set(df.loc[df["symbol"] == "0981.HK", "currency"]) == {"HKD"}
    assert set(df.loc[df["symbol"] == "688981.SS", "currency"]) == {"CNY"}


def test_unconfirmed_claims_have_no_numbers():
    assert not any(
        t.confidence == "unconfirmed" and t.target is not None for t in profiles.target_records()
    )
    assert {f.confidence for f in profiles.fact_records()} <= {"confirmed", "partial"}
    assert not profiles.targets("zhongji-innolight")["broker"].isin(["HSBC", "Bernstein"]).any()
    kling = profiles.facts("kuaishou", "kling_revenue_outlook")
    assert 16e6 not in set(kling["value"])


def test_facts_frame():
    df = profiles.facts()
    assert list(df.columns) == [
        "company",
        "metric",
        "value",
        "unit",
        "currency",
        "period",
        "asof",
        "source_url",
        "confidence",
        "note",
        "origin",
    ]
    assert pd.api.types.is_datetime64_dtype(df["asof"])
    assert pd.api.types.is_float_dtype(df["value"])
    h1 = profiles.facts("688256.SS", "revenue")
    row = h1[h1["period"] == "H1-2025"].iloc[0]
    assert row["value"] == 2_881_000_000 and row["unit"] == "CNY" and row["currency"] == "CNY"
    assert row["asof"] == pd.Timestamp("2025-08-26")


def test_derived_facts_are_partial_and_say_how():
    derived = [f for f in profiles.fact_records() if f.note.startswith("derived:")]
    assert len(derived) >= 8
    assert all(f.confidence == "partial" for f in derived)
    (h1_2024,) = [f for f in derived if f.company == "cambricon" and f.period == "H1-2024"]
    assert h1_2024.value == pytest.approx(2.881e9 / (1 + 43.4782), abs=1)


def test_shares_outstanding_are_point_in_time():
    for f in profiles.fact_records(metric="shares_outstanding"):
        assert f.unit == "shares" and f.currency is None
        # a count is never public before the day it describes; filings publish it later
        # (Alibaba's 2025-03-31 count, Hygon's 2025-09-30 count from its Q3 report)
        assert date.fromisoformat(f.period) <= f.asof


def test_reference_quotes_frame():
    df = profiles.reference_quotes()
    assert list(df.columns) == [
        "symbol",
        "date",
        "kind",
        "value",
        "currency",
        "source_url",
        "confidence",
        "note",
        "origin",
    ]
    assert pd.api.types.is_datetime64_dtype(df["date"])
    mt = profiles.reference_quotes("688795.SS").set_index(["kind", "date"])["value"]
    assert mt[("ipo_price", pd.Timestamp("2025-12-05"))] == 114.28
    assert mt[("close", pd.Timestamp("2025-12-05"))] == 600.50
    assert mt[("open", pd.Timestamp("2025-12-05"))] == 650
    cam = profiles.reference_quotes("688256.SS")
    close = cam[(cam["kind"] == "close") & (cam["date"] == "2025-12-04")]
    assert close["value"].item() == 1369
    assert cam.loc[cam["kind"] == "intraday_high", "value"].max() == 1595.88
    ks = profiles.reference_quotes("1024.HK").set_index("date")["kind"]
    assert ks[pd.Timestamp("2025-12-05")] == "intraday"  # a midday price, never a close
    assert ks[pd.Timestamp("2026-02-06")] == "close"  # the 2026 close (stockanalysis)


def test_every_bundled_watchlist_listing_has_a_reference_close():
    # offline, every listed member can be priced (stale and dated) from a sourced close
    import watchlists

    closes = profiles.reference_quotes()
    closes = closes[closes["kind"] == "close"]
    for name in watchlists.bundled_watchlists():
        for m in watchlists.load_watchlist(name).members:
            if m.symbol is not None:
                assert (closes["symbol"] == m.symbol).any(), (name, m.symbol)


# ------------------------------------------------------------------ FX reference rates
def test_reference_fx_frame():
    df = profiles.reference_fx()
    assert list(df.columns) == ["date", "from_ccy", "to_ccy", "rate", "source_url", "note",
                                "origin"]
    assert pd.api.types.is_datetime64_dtype(df["date"])
    assert pd.api.types.is_float_dtype(df["rate"])
    assert set(df["origin"]) == {"bundled"}
    # the ECB publishes EUR-based rates: stored as EUR→X, never as a cross
    assert set(df["from_ccy"]) == {"EUR"} and set(df["to_ccy"]) == {"CNY", "HKD", "USD"}
    assert (df["rate"] > 0).all() and df["source_url"].str.contains("ecb.europa.eu").all()
    assert not df.duplicated(["date", "from_ccy", "to_ccy"]).any()
    assert df["date"].is_monotonic_increasing
    assert (df["date"].dt.day_of_week < 5).all()  # ECB fixing days are weekdays
    # values from the ECB's eurofxref-hist, copy of 2026-04-13
    day = df[df["date"] == "2025-12-31"].set_index("to_ccy")["rate"]
    assert (day["USD"], day["CNY"], day["HKD"]) == (1.175, 8.2262, 9.1464)
    # the derived USD→CNY cross of facts-2026.md (7.0010) follows from two stored rows
    assert day["CNY"] / day["USD"] == pytest.approx(7.0010, abs=5e-5)
    assert df["date"].max() == pd.Timestamp("2026-04-13")


def test_reference_fx_filters_and_copies():
    usd = profiles.reference_fx("eur", "USD")
    assert set(usd["to_ccy"]) == {"USD"} and len(usd) == len(profiles.reference_fx()) // 3
    assert profiles.reference_fx(to_ccy="HKD")["to_ccy"].eq("HKD").all()
    assert profiles.reference_fx("USD").empty
    usd.loc[:, "rate"] = 0.0  # a fresh copy: mutating it changes nothing bundled
    assert (profiles.reference_fx("EUR", "USD")["rate"] > 0).all()
    with pytest.raises(ValueError, match="from_ccy 'RMB'"):
        profiles.reference_fx("RMB")
    with pytest.raises(ValueError, match="to_ccy"):
        profiles.reference_fx(to_ccy=7)


def test_reference_fx_is_public():
    import watchlists

    assert watchlists.reference_fx is profiles.reference_fx


def test_every_bundled_record_is_sourced_and_dated():
    for rec in (*profiles.target_records(), *profiles.fact_records(), *profiles.quote_records()):
        assert rec.source_url.startswith(("http://", "https://")), rec
        assert rec.confidence in {"confirmed", "partial", "unconfirmed"}
    for t in profiles.target_records():
        assert (t.published is not None) != t.date_unknown, t
    for f in profiles.fact_records():
        assert isinstance(f.asof, date)
    for q in profiles.quote_records():
        assert isinstance(q.date, date)
    for c in profiles.company_records():
        assert c.source_url, c.slug
        assert all(x.source_url for x in c.listings), c.slug


def test_record_types():
    assert all(isinstance(t, AnalystTarget) for t in profiles.target_records())
    assert all(isinstance(f, Fact) for f in profiles.fact_records())
    assert all(isinstance(q, ReferenceQuote) for q in profiles.quote_records())
    assert all(isinstance(x, Listing) for c in profiles.company_records() for x in c.listings)


def test_target_records_filter_by_any_key():
    assert profiles.target_records("688256.SS") == profiles.target_records("cambricon")
    assert profiles.quote_records("688256.ss") == profiles.quote_records("688256.SS")


# ------------------------------------------------------------------ derived queries
def test_ttm_revenue_cambricon():
    # hand computation: 9M-2025 + FY2024 - 9M-2024, where 9M-2024 = 4.607 bn / (1 + 23.8638);
    # FY2024 is the exact 1,174.4644 m of the 2024 annual report (sina), no longer 1.174 bn
    expected = 4_607_000_000 + 1_174_464_400 - 4_607_000_000 / 24.8638
    value, currency, basis = profiles.ttm_revenue("cambricon", date(2025, 12, 4))
    assert value == pytest.approx(expected, abs=1.0)
    assert value == pytest.approx(5_596_174_943, abs=2.0)
    assert currency == "CNY"
    assert basis == "TTM to 9M-2025 (9M-2025 + FY2024 − 9M-2024)"


def test_ttm_revenue_respects_asof():
    # before the 9M report only H1 is known: H1-2025 + FY2024 - H1-2024
    value, _, basis = profiles.ttm_revenue("cambricon", "2025-09-30")
    assert basis == "TTM to H1-2025 (H1-2025 + FY2024 − H1-2024)"
    assert value == pytest.approx(2.881e9 + 1_174_464_400 - 2.881e9 / 44.4782, abs=1.0)
    # after FY2025 becomes known, the full year wins
    assert profiles.ttm_revenue("cambricon", "2026-06-30")[2] == "FY2025"
    # before anything about 2024 was public
    assert profiles.ttm_revenue("cambricon", "2025-01-01") is None


def test_ttm_revenue_without_full_year():
    # Alibaba has only quarters and fiscal-year (TTM-*) totals before its calendar FY2025:
    # the reported fiscal-year total to 2025-03-31 is its latest twelve months
    assert profiles.ttm_revenue("alibaba", "2025-12-04") == (996347e6, "CNY", "TTM-2025-03-31")
    # NVIDIA reports fiscal years ending in January, bundled as TTM-<date> facts
    assert profiles.ttm_revenue("nvidia", "2026-12-01") == (215.9e9, "USD", "TTM-2026-01-25")
    # the most recent period wins: Innolight's TTM to 2025-09-30 over its H1 derivation
    assert profiles.ttm_revenue("zhongji-innolight", "2025-12-04")[2] == "TTM-2025-09-30"
    # Kuaishou gained a (derived) FY2024 and 9M-2024 from the 2026 research: a TTM
    value, _, basis = profiles.ttm_revenue("kuaishou", "2025-12-04")
    assert basis == "TTM to 9M-2025 (9M-2025 + FY2024 − 9M-2024)"
    assert value == pytest.approx(103.25e9 + 126.914e9 - 91.514e9, abs=1.0)
    assert profiles.ttm_revenue("huawei", "2025-12-04") is None


def test_latest_fact():
    f = profiles.latest_fact("Kuaishou", "kling_revenue_outlook", date(2025, 12, 1))
    assert f is not None and f.value == 140e6 and f.unit == "USD"
    f = profiles.latest_fact("kuaishou", "kling_revenue_outlook", date(2025, 9, 1))
    assert f is not None and f.value == 125e6
    assert profiles.latest_fact("kuaishou", "kling_revenue_outlook", date(2025, 1, 1)) is None
    f = profiles.latest_fact("cambricon", "shares_outstanding", "2025-12-04")
    assert f is not None and f.value == 421.69e6
    f = profiles.latest_fact("cambricon", "revenue", "2025-12-04")
    assert f is not None and f.period == "9M-2025"
    f = profiles.latest_fact("cambricon", "revenue", "2025-12-04", period="FY2024")
    assert f is not None and f.value == 1_174_464_400  # exact figure of the annual report


def test_user_loaders_roundtrip_bundled_files(tmp_path):
    from importlib import resources

    data = resources.files("watchlists").joinpath("data")
    for name, loader, bundled in [
        ("targets.csv", profiles.load_targets, profiles.target_records()),
        ("facts.csv", profiles.load_facts, profiles.fact_records()),
        ("reference_quotes.csv", profiles.load_reference_quotes, profiles.quote_records()),
    ]:
        p = tmp_path / name
        p.write_text(data.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
        assert loader(p) == bundled
    p = tmp_path / "companies.toml"
    p.write_text(data.joinpath("companies.toml").read_text(encoding="utf-8"), encoding="utf-8")
    assert _parse_companies(*_read_user(p)) == profiles.company_records()
