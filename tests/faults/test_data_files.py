"""Each validator rejects a bad record with a message naming file, record and field."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest

from watchlists import profiles
from watchlists._profile_loading import (
    FX_COLUMNS,
    _parse_companies,
    _parse_fx_reference,
    _read_user,
)
from watchlists.errors import DataFileError
from watchlists.records import AnalystTarget, Fact, FxRate, Listing, ReferenceQuote

URL = "https://example.org/source"

TARGET = {
    "company": "cambricon",
    "symbol": "688256.SS",
    "broker": "Goldman Sachs",
    "rating": "Buy",
    "kind": "price",
    "target": "1835",
    "min_upside": "",
    "reference": "",
    "currency": "CNY",
    "published": "2025-08-24",
    "date_unknown": "false",
    "previous_target": "1223",
    "source_url": URL,
    "confidence": "confirmed",
    "note": "",
}
FACT = {
    "company": "cambricon",
    "metric": "revenue",
    "value": "2881000000",
    "unit": "CNY",
    "currency": "CNY",
    "period": "H1-2025",
    "asof": "2025-08-26",
    "source_url": URL,
    "confidence": "confirmed",
    "note": "",
}
QUOTE = {
    "symbol": "688256.SS",
    "date": "2025-12-04",
    "kind": "close",
    "value": "1369",
    "currency": "CNY",
    "source_url": URL,
    "confidence": "confirmed",
    "note": "",
}


def _write(path, base, *rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(base))
        w.writeheader()
        for row in rows:
            w.writerow({**base, **row})
    return path


def test_good_rows_load(tmp_path):
    (t,) = profiles.load_targets(_write(tmp_path / "t.csv", TARGET, {}))
    assert t.target == 1835.0 and t.published == date(2025, 8, 24)
    (f,) = profiles.load_facts(_write(tmp_path / "f.csv", FACT, {}))
    assert f.value == 2.881e9
    (q,) = profiles.load_reference_quotes(_write(tmp_path / "q.csv", QUOTE, {}))
    assert q.value == 1369.0


TARGET_CASES = [
    ("missing source", {"source_url": ""}, "source_url '' is required"),
    ("source not a url", {"source_url": "cnbc article"}, "source_url 'cnbc article'"),
    ("currency RMB", {"currency": "RMB"}, "currency 'RMB' is not a known ISO 4217"),
    ("currency lowercase", {"currency": "cny"}, "currency 'cny' is not an ISO 4217"),
    ("currency 4 letters", {"currency": "XXXX"}, "currency 'XXXX' is not an ISO 4217"),
    (
        "currency vs listing",
        {"currency": "USD"},
        "currency 'USD' does not match listing 688256.SS trading currency 'CNY'",
    ),
    (
        "unknown company",
        {"company": "cambricn"},
        "company 'cambricn' is not a known company slug; did you mean: cambricon?",
    ),
    (
        "symbol of other company",
        {"symbol": "688795.SS"},
        "symbol '688795.SS' is not a listing of 'cambricon'",
    ),
    ("unknown symbol", {"symbol": "ZZZZ"}, "symbol 'ZZZZ' is not a listing of 'cambricon'"),
    ("published missing", {"published": ""}, "published None is missing"),
    ("published and date_unknown", {"date_unknown": "true"}, "date_unknown True must be false"),
    (
        "min_upside with a price",
        {"kind": "min_upside", "min_upside": "0.2", "reference": "high"},
        "target 1835.0 must be empty for kind 'min_upside'",
    ),
    (
        "min_upside without reference",
        {"kind": "min_upside", "target": "", "min_upside": "0.2", "reference": ""},
        "reference None is not one of",
    ),
    ("price without target", {"target": ""}, "target None is required"),
    ("non-numeric target", {"target": "1,835"}, "target '1,835' is not a number"),
    ("negative target", {"target": "-5"}, "target -5.0 must be > 0"),
    ("bad kind", {"kind": "upside"}, "kind 'upside' is not one of"),
    ("unconfirmed price", {"confidence": "unconfirmed"}, "an unconfirmed claim gets no number"),
    ("bad confidence", {"confidence": "likely"}, "confidence 'likely' is not one of"),
    ("malformed date", {"published": "2025/08/24"}, "published '2025/08/24' is not a date"),
    ("impossible date", {"published": "2025-02-30"}, "published '2025-02-30' is not a valid"),
    ("bad boolean", {"date_unknown": "maybe"}, "date_unknown 'maybe' is not true or false"),
]


@pytest.mark.parametrize(
    ("case", "change", "message"), TARGET_CASES, ids=[c[0] for c in TARGET_CASES]
)
def test_bad_target(tmp_path, case, change, message):
    path = _write(tmp_path / "my_targets.csv", TARGET, {}, change)
    company = change.get("company", "cambricon")
    with pytest.raises(DataFileError) as err:
        profiles.load_targets(path)
    msg = str(err.value)
    assert str(path) in msg
    assert f"row 3 ({company}/Goldman Sachs)" in msg
    assert message in msg


def test_duplicate_target(tmp_path):
    path = _write(tmp_path / "t.csv", TARGET, {}, {})
    with pytest.raises(DataFileError, match=r"row 3 \(cambricon/Goldman Sachs\): duplicates row 2"):
        profiles.load_targets(path)


FACT_CASES = [
    ("missing source", {"source_url": ""}, "source_url '' is required"),
    ("non-numeric value", {"value": "2.881 bn"}, "value '2.881 bn' is not a number"),
    ("infinite value", {"value": "inf"}, "value inf must be a finite number"),
    ("unconfirmed fact", {"confidence": "unconfirmed"}, "an unconfirmed claim gets no number"),
    ("malformed period", {"period": "2025H1"}, "period '2025H1' does not match"),
    ("malformed ttm period", {"period": "TTM-2025-13-01"}, "period '2025-13-01' is not a valid"),
    ("bad unit", {"unit": "RMB", "currency": "RMB"}, "unit 'RMB' is not a known ISO 4217"),
    ("currency vs unit", {"currency": "USD"}, "currency 'USD' must equal the unit 'CNY'"),
    ("currency for shares", {"unit": "shares"}, "currency 'CNY' must be empty for unit 'shares'"),
    ("unknown metric", {"metric": "ebitda"}, "metric 'ebitda' is not one of"),
    ("malformed asof", {"asof": "26/08/2025"}, "asof '26/08/2025' is not a date"),
    ("missing asof", {"asof": ""}, "asof '' is not a date"),
    ("unknown company", {"company": "huawai"}, "company 'huawai' is not a known company slug"),
    (
        "derived without how",
        {"confidence": "partial", "note": "a derived value"},
        "must start with 'derived: <how>'",
    ),
]


@pytest.mark.parametrize(("case", "change", "message"), FACT_CASES, ids=[c[0] for c in FACT_CASES])
def test_bad_fact(tmp_path, case, change, message):
    path = _write(tmp_path / "my_facts.csv", FACT, change)
    company = change.get("company", "cambricon")
    metric = change.get("metric", "revenue")
    period = change.get("period", "H1-2025")
    with pytest.raises(DataFileError) as err:
        profiles.load_facts(path)
    msg = str(err.value)
    assert f"{path} row 2 ({company}/{metric}/{period}): " in msg
    assert message in msg


def test_duplicate_fact(tmp_path):
    path = _write(tmp_path / "f.csv", FACT, {}, {"value": "1"})
    with pytest.raises(DataFileError, match=r"row 3 .*duplicates row 2"):
        profiles.load_facts(path)


QUOTE_CASES = [
    ("missing source", {"source_url": ""}, "source_url '' is required"),
    (
        "currency vs listing",
        {"currency": "HKD"},
        "currency 'HKD' does not match listing 688256.SS trading currency 'CNY'",
    ),
    ("currency usd", {"currency": "usd"}, "currency 'usd' is not an ISO 4217"),
    ("negative price", {"value": "-1369"}, "value -1369.0 must be > 0"),
    ("zero price", {"value": "0"}, "value 0.0 must be > 0"),
    ("non-numeric", {"value": "n/a"}, "value 'n/a' is not a number"),
    (
        "unknown symbol",
        {"symbol": "688265.SS"},
        "symbol '688265.SS' is not a listing of any known company; did you mean: 688256.SS",
    ),
    ("bad kind", {"kind": "last"}, "kind 'last' is not one of"),
    ("malformed date", {"date": "2025-12-4"}, "date '2025-12-4' is not a date"),
    ("unconfirmed quote", {"confidence": "unconfirmed"}, "an unconfirmed claim gets no number"),
]


@pytest.mark.parametrize(
    ("case", "change", "message"), QUOTE_CASES, ids=[c[0] for c in QUOTE_CASES]
)
def test_bad_quote(tmp_path, case, change, message):
    path = _write(tmp_path / "my_quotes.csv", QUOTE, change)
    rid = f"{change.get('symbol', '688256.SS')}/{change.get('kind', 'close')}/"
    rid += change.get("date", "2025-12-04")
    with pytest.raises(DataFileError) as err:
        profiles.load_reference_quotes(path)
    msg = str(err.value)
    assert f"{path} row 2 ({rid}): " in msg
    assert message in msg


def test_bad_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("company,symbol\ncambricon,688256.SS\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"t.csv row 1 \(header\): columns must be .*missing"):
        profiles.load_targets(path)


def test_short_row(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text(",".join(QUOTE) + "\n688256.SS,2025-12-04\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"q\.csv row 2: expected 8 fields"):
        profiles.load_reference_quotes(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="cannot read"):
        profiles.load_facts(tmp_path / "nope.csv")


def test_data_file_error_is_value_error(tmp_path):
    path = _write(tmp_path / "q.csv", QUOTE, {"value": "x"})
    with pytest.raises(ValueError, match="value"):
        profiles.load_reference_quotes(path)


# ------------------------------------------------------------------ fx_reference.csv
FX = {"date": "2025-12-31", "from_ccy": "EUR", "to_ccy": "USD", "rate": "1.1750",
      "source_url": URL, "note": ""}


def _fx_text(*rows):
    lines = [",".join(FX_COLUMNS)]
    lines += [",".join({**FX, **row}[c] for c in FX_COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def test_good_fx_rows_parse():
    (r,) = _parse_fx_reference(_fx_text({}), "fx_reference.csv")
    assert r == FxRate(date(2025, 12, 31), "EUR", "USD", 1.175, URL, "")
    assert r.id == "EURUSD/2025-12-31"


FX_CASES = [
    ("missing source", {"source_url": ""}, "source_url '' is required"),
    ("zero rate", {"rate": "0"}, "rate 0.0 must be > 0"),
    ("negative rate", {"rate": "-1.17"}, "rate -1.17 must be > 0"),
    ("non-numeric rate", {"rate": "n/a"}, "rate 'n/a' is not a number"),
    ("infinite rate", {"rate": "inf"}, "rate inf must be a finite number"),
    ("same currency", {"to_ccy": "EUR"}, "to_ccy 'EUR' must differ from from_ccy"),
    ("lower-case currency", {"from_ccy": "eur"}, "from_ccy 'eur' is not an ISO 4217"),
    ("unknown currency", {"to_ccy": "RMB"}, "to_ccy 'RMB' is not a known ISO 4217"),
    ("malformed date", {"date": "31/12/2025"}, "date '31/12/2025' is not a date"),
]


@pytest.mark.parametrize(("case", "change", "message"), FX_CASES, ids=[c[0] for c in FX_CASES])
def test_bad_fx_row(case, change, message):
    row = {**FX, **change}
    rid = f"{row['from_ccy']}/{row['to_ccy']}/{row['date']}"
    with pytest.raises(DataFileError) as err:
        _parse_fx_reference(_fx_text(change), "fx_reference.csv")
    msg = str(err.value)
    assert f"fx_reference.csv row 2 ({rid}): " in msg
    assert message in msg


def test_duplicate_fx_row():
    with pytest.raises(DataFileError, match=r"row 3 \(EUR/USD/2025-12-31\): duplicates row 2 "
                                            r"\(same pair and date\)"):
        _parse_fx_reference(_fx_text({}, {"rate": "1.2"}), "fx_reference.csv")


def test_bad_fx_header():
    with pytest.raises(DataFileError, match=r"row 1 \(header\): columns must be date, from_ccy"):
        _parse_fx_reference("date,pair,rate\n2025-12-31,EURUSD,1.175\n", "fx_reference.csv")


# ------------------------------------------------------------------ companies.toml
GOOD_COMPANY = """
[[company]]
slug = "cambricon"
name = "Cambricon"
legal_name = "Cambricon Technologies Corporation Limited"
local_name = "中科寒武纪"
country = "CN"
role = "ai-chips"

[[company.listing]]
symbol = "688256.SS"
exchange = "SSE"
board = "STAR"
currency = "CNY"
primary = true
"""

SECOND = """
[[company]]
slug = "other"
name = "Other"
legal_name = "Other Ltd"
country = "CN"
role = "gpu"

[[company.listing]]
symbol = "{symbol}"
exchange = "SSE"
board = "STAR"
currency = "CNY"
primary = true
"""

COMPANY_CASES = [
    (
        "currency RMB",
        GOOD_COMPANY.replace('"CNY"', '"RMB"'),
        "company 1 (cambricon): listing 688256.SS: currency 'RMB' is not a known ISO 4217",
    ),
    ("currency lowercase", GOOD_COMPANY.replace('"CNY"', '"usd"'), "currency 'usd'"),
    ("bad exchange", GOOD_COMPANY.replace('"SSE"', '"SHH"'), "exchange 'SHH' is not one of"),
    (
        "bad slug",
        GOOD_COMPANY.replace('slug = "cambricon"', 'slug = "Cambricon Tech"'),
        "slug 'Cambricon Tech' must be lowercase",
    ),
    ("bad role", GOOD_COMPANY.replace('"ai-chips"', '"chips"'), "role 'chips' is not one of"),
    ("bad country", GOOD_COMPANY.replace('"CN"', '"CHN"'), "country 'CHN' is not an ISO 3166"),
    (
        "no primary",
        GOOD_COMPANY.replace("primary = true", "primary = false"),
        "must have exactly one primary listing",
    ),
    (
        "zero shares per unit",
        GOOD_COMPANY + "shares_per_unit = 0\n",
        "listing 688256.SS: shares_per_unit 0.0 must be > 0",
    ),
    ("bad isin", GOOD_COMPANY + 'isin = "XX1"\n', "isin 'XX1' is not an ISIN"),
    ("bad source url", GOOD_COMPANY + 'source_url = "sec filing"\n', "source_url 'sec filing'"),
    ("unknown field", GOOD_COMPANY + "ticker = 1\n", "unknown field(s) ['ticker']"),
    ("missing field", GOOD_COMPANY.replace('country = "CN"\n', ""),
     "field 'country' is missing"),
    ("missing exchange, unknown suffix",
     GOOD_COMPANY.replace('exchange = "SSE"\n', "").replace("688256.SS", "688256.XX"),
     "field 'exchange' is missing and the suffix of '688256.XX' names no exchange"),
    ("primary not said among two listings",
     GOOD_COMPANY.replace("primary = true\n", "") + '[[company.listing]]\nsymbol = "CAMB"\n'
     'currency = "USD"\n', "field 'primary' is missing"),
    (
        "duplicate slug",
        GOOD_COMPANY + GOOD_COMPANY,
        "company 2 (cambricon): slug 'cambricon' duplicates company 1",
    ),
    (
        "duplicate symbol",
        GOOD_COMPANY + SECOND.format(symbol="688256.SS"),
        "company 2 (other): listing symbol '688256.SS' is already a listing of 'cambricon'",
    ),
    ("bad toml", GOOD_COMPANY + "[[company\n", "invalid TOML"),
    ("no companies", "title = 'x'\n", "expected one or more [[company]] tables"),
]


@pytest.mark.parametrize(
    ("case", "text", "message"), COMPANY_CASES, ids=[c[0] for c in COMPANY_CASES]
)
def test_bad_companies_toml(tmp_path, case, text, message):
    path = tmp_path / "my_companies.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        _parse_companies(*_read_user(path))
    msg = str(err.value)
    assert msg.startswith(str(path))
    assert message in msg, msg


def test_good_companies_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(GOOD_COMPANY + SECOND.format(symbol="688795.SS"), encoding="utf-8")
    comps = _parse_companies(*_read_user(path))
    assert [c.slug for c in comps] == ["cambricon", "other"]
    assert comps[0].listings[0].shares_per_unit == 1.0


# ------------------------------------------------------------------ records directly
def test_record_messages_name_field_and_value():
    with pytest.raises(ValueError, match=r"shares_per_unit -8 must be > 0"):
        Listing("BABA", "NYSE", "Main", "USD", False, -8)
    with pytest.raises(ValueError, match=r"currency 'XXXX'"):
        Listing("BABA", "NYSE", "Main", "XXXX", False, 8)
    with pytest.raises(ValueError, match=r"value nan must be a finite number"):
        Fact(
            "x", "revenue", float("nan"), "CNY", "CNY", "FY2024", date(2025, 1, 1), URL, "confirmed"
        )
    with pytest.raises(ValueError, match=r"min_upside None is required"):
        AnalystTarget(
            "x",
            "X",
            "HSBC",
            None,
            "min_upside",
            None,
            None,
            "high",
            "CNY",
            None,
            True,
            None,
            URL,
            "unconfirmed",
        )
    with pytest.raises(ValueError, match=re.escape("kind 'mid' is not one of")):
        ReferenceQuote("X", date(2025, 1, 1), "mid", 1.0, "CNY", URL, "partial")


# ------------------------------------------------------------------ user data folder
USER_COMPANY = """
[[company]]
slug = "{slug}"
name = "{name}"
legal_name = "Acme Robotics, Inc."
country = "US"
role = "applications"
aliases = [{aliases}]

[[company.listing]]
symbol = "{symbol}"
exchange = "NASDAQ"
board = "Global Select"
currency = "{currency}"
primary = true
"""
ACME = {"slug": "acme-robotics", "name": "Acme Robotics", "aliases": "", "symbol": "ACME",
        "currency": "USD"}  # fmt: skip
ACME_TARGET = {**TARGET, "company": "acme-robotics", "symbol": "ACME", "broker": "Example",
               "target": "150", "currency": "USD", "previous_target": ""}  # fmt: skip
ACME_FACT = {**FACT, "company": "acme-robotics", "unit": "USD", "currency": "USD",
             "period": "FY2024", "asof": "2025-02-15"}  # fmt: skip
ACME_QUOTE = {**QUOTE, "symbol": "ACME", "value": "120", "currency": "USD"}

USER_CASES = [
    # (case, companies.toml overrides, file, base row, row change, expected message)
    ("slug of a bundled company", {"slug": "cambricon"}, None, None, None,
     "companies.toml company 1 (cambricon): slug 'cambricon' is a bundled company; "
     "user data can add companies but not replace bundled ones"),
    ("symbol of a bundled listing", {"symbol": "688256.SS", "currency": "CNY"}, None, None, None,
     "companies.toml company 1 (acme-robotics): listing symbol '688256.SS' is already a listing "
     "of bundled company 'cambricon'"),
    ("alias of a bundled company", {"aliases": '"Alibaba Cloud"'}, None, None, None,
     "companies.toml company 1 (acme-robotics): name or alias 'Alibaba Cloud' also names "
     "bundled company 'alibaba'"),
    ("name of a bundled company", {"name": "CAMBRICON"}, None, None, None,
     "name or alias 'CAMBRICON' also names bundled company 'cambricon'"),
    ("user company currency", {"currency": "RMB"}, None, None, None,
     "companies.toml company 1 (acme-robotics): listing ACME: currency 'RMB' is not a known"),
    ("user target currency", {}, "targets.csv", ACME_TARGET, {"currency": "CNY"},
     "targets.csv row 2 (acme-robotics/Example): currency 'CNY' does not match listing ACME "
     "trading currency 'USD'"),
    ("user target unknown company", {}, "targets.csv", ACME_TARGET, {"company": "acme-robotic"},
     "targets.csv row 2 (acme-robotic/Example): company 'acme-robotic' is not a known company "
     "slug; did you mean: acme-robotics?"),
    ("user target without source", {}, "targets.csv", ACME_TARGET, {"source_url": ""},
     "targets.csv row 2 (acme-robotics/Example): source_url '' is required"),
    ("user fact unconfirmed", {}, "facts.csv", ACME_FACT, {"confidence": "unconfirmed"},
     "facts.csv row 2 (acme-robotics/revenue/FY2024): confidence 'unconfirmed' is not allowed"),
    ("user fact for bundled company duplicates bundled", {}, "facts.csv", FACT, {},
     "facts.csv row 2 (cambricon/revenue/H1-2025): duplicates row"),
    ("user quote currency", {}, "reference_quotes.csv", ACME_QUOTE, {"currency": "HKD"},
     "reference_quotes.csv row 2 (ACME/close/2025-12-04): currency 'HKD' does not match "
     "listing ACME trading currency 'USD'"),
    ("user quote duplicates bundled", {}, "reference_quotes.csv", QUOTE, {},
     "reference_quotes.csv row 2 (688256.SS/close/2025-12-04): duplicates row"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "company", "fname", "base", "change", "message"),
    USER_CASES,
    ids=[c[0] for c in USER_CASES],
)
def test_bad_user_data(_isolated_home, case, company, fname, base, change, message):
    data = _isolated_home / "data"
    data.mkdir(parents=True)
    toml = data / "companies.toml"
    toml.write_text(USER_COMPANY.format(**{**ACME, **company}), encoding="utf-8")
    culprit = toml if fname is None else _write(data / fname, base, change)
    with pytest.raises(DataFileError) as err:
        profiles.company("cambricon")  # any lookup validates the whole user folder
    msg = str(err.value)
    assert msg.startswith(str(culprit)), msg
    assert message in msg, msg
    if "duplicates" in message:
        assert f"of the bundled watchlists/data/{fname}" in msg


def test_good_user_data(_isolated_home):
    data = _isolated_home / "data"
    data.mkdir(parents=True)
    (data / "companies.toml").write_text(USER_COMPANY.format(**ACME), encoding="utf-8")
    _write(data / "targets.csv", ACME_TARGET, {})
    _write(data / "facts.csv", ACME_FACT, {})
    _write(data / "reference_quotes.csv", ACME_QUOTE, {})
    assert profiles.listing("ACME")[0].slug == "acme-robotics"
    assert [t.target for t in profiles.target_records("ACME")] == [150.0]
    assert [f.value for f in profiles.fact_records("ACME")] == [2.881e9]
    assert [q.value for q in profiles.quote_records("ACME")] == [120.0]
