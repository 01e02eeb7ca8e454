"""Exchange table, symbol look-ups and reporting lags."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import pytest

from watchlists import exchanges as ex


def test_table_is_consistent():
    codes = [e.code for e in ex.EXCHANGES]
    assert len(codes) == len(set(codes)) and ex.EXCHANGE_CODES == set(codes)
    suffixes = [s for e in ex.EXCHANGES for s in e.suffixes]
    assert len(suffixes) == len(set(suffixes))
    yahoo = [y for e in ex.EXCHANGES for y in e.yahoo_codes]
    assert len(yahoo) == len(set(yahoo))
    for e in ex.EXCHANGES:
        assert len(e.country) == 2 and e.country.isupper()
        assert len(e.currency) == 3 and e.currency.isupper()
        assert e.lag_quarterly_days <= e.lag_annual_days and e.lag_rule
        assert all(s.startswith(".") for s in e.suffixes)


def test_every_calendar_and_zone_exists():
    import zoneinfo

    import exchange_calendars
    import holidays

    names = set(exchange_calendars.get_calendar_names())
    financial = holidays.list_supported_financial()
    countries = holidays.list_supported_countries()
    for e in ex.EXCHANGES:
        assert e.calendar is None or e.calendar in names, e.code
        assert e.holidays_market is None or e.holidays_market in financial, e.code
        assert e.holidays_market or e.country in countries, e.code
        zoneinfo.ZoneInfo(e.timezone)


def test_bundled_exchange_codes_are_known():
    text = resources.files("watchlists").joinpath("data/companies.toml").read_text("utf-8")
    used = {listing["exchange"] for company in tomllib.loads(text)["company"]
            for listing in company.get("listing", [])}
    assert used and used <= ex.EXCHANGE_CODES


@pytest.mark.parametrize(("symbol", "code"), [
    ("2330.TW", "TWSE"), ("6488.TWO", "TPEX"), ("6488.two", "TPEX"), ("OCDO.L", "LSE"),
    ("7203.T", "TSE"), ("ASML.AS", "AMS"), ("SAP.DE", "XETRA"), ("SAP.F", "FRA"),
    ("MC.PA", "EPA"), ("NESN.SW", "SIX"), ("NOVO-B.CO", "CPH"), ("RY.TO", "TSX"),
    ("BHP.AX", "ASX"), ("005930.KS", "KRX"), ("035720.KQ", "KOSDAQ"), ("RELIANCE.NS", "NSE"),
    ("500325.BO", "BSE"), ("D05.SI", "SGX"), ("BBCA.JK", "IDX"), ("ENI.MI", "MIL"),
    ("SAN.MC", "BME"), ("VOLV-B.ST", "STO"), ("EQNR.OL", "OSL"), ("NOKIA.HE", "HEL"),
    ("ABI.BR", "EBR"), ("EDP.LS", "ELI"), ("OMV.VI", "VIE"), ("RYA.IR", "ISE"),
    ("NPN.JO", "JSE"), ("TEVA.TA", "TASE"), ("PETR4.SA", "B3"), ("WALMEX.MX", "BMV"),
    ("FPH.NZ", "NZX"), ("PTT.BK", "SET"), ("1155.KL", "BURSA"), ("2222.SR", "TADAWUL"),
    ("PKO.WA", "WSE"), ("THYAO.IS", "BIST"), ("688256.SS", "SSE"), ("000001.SZ", "SZSE"),
    ("9988.HK", "HKEX"), ("MSFT", "NYSE"), ("BRK-B", "NYSE"), ("^GSPC", "NYSE"),
    ("^IXIC", "NYSE"), ("^DJI", "NYSE"), ("^NDX", "NYSE"), ("^HSI", "HKEX"), ("^N225", "TSE"),
    ("^FTSE", "LSE"), ("000001.SS", "SSE"),
])
def test_for_symbol(symbol, code):
    assert ex.for_symbol(symbol).code == code


@pytest.mark.parametrize("symbol", ["FOO.XX", "CNY=X", "EURUSD=X", "^FOO"])
def test_for_symbol_unknown(symbol):
    assert ex.for_symbol(symbol) is None


def test_exchange_details():
    lse = ex.by_code("LSE")
    assert (lse.mic, lse.calendar, lse.currency, lse.quote_unit) == ("XLON", "XLON", "GBP", "GBp")
    assert ex.by_code("JSE").quote_unit == "ZAc" and ex.by_code("TASE").quote_unit == "ILA"
    assert ex.by_code("TSE").close == dt.time(15, 30)
    assert ex.by_code("SZSE").calendar == "XSHG"  # exchange_calendars has no XSHE
    assert ex.by_code("NSE").calendar == "XBOM"  # ... and no XNSE
    assert ex.by_code("NASDAQ").calendar == "XNYS"
    assert ex.by_code("NYSE").suffixes == ()


def test_by_code_unknown_names_close_matches():
    with pytest.raises(KeyError, match="NASDAQ"):
        ex.by_code("NASDQ")


@pytest.mark.parametrize(("yahoo", "code"), [
    ("NMS", "NASDAQ"), ("NGM", "NASDAQ"), ("NCM", "NASDAQ"), ("NAS", "NASDAQ"),
    ("NYQ", "NYSE"), ("ASE", "NYSE"), ("PCX", "NYSE"), ("BTS", "NYSE"), ("LSE", "LSE"),
    ("JPX", "TSE"), ("HKG", "HKEX"), ("SHH", "SSE"), ("SHZ", "SZSE"), ("GER", "XETRA"),
    ("FRA", "FRA"), ("PAR", "EPA"), ("EBS", "SIX"), ("TOR", "TSX"), ("KSC", "KRX"),
    ("KOE", "KOSDAQ"), ("TAI", "TWSE"), ("TWO", "TPEX"), ("NSI", "NSE"), ("BSE", "BSE"),
    ("SES", "SGX"), ("JKT", "IDX"), ("nms", "NASDAQ"),
])
def test_from_yahoo(yahoo, code):
    assert ex.from_yahoo(yahoo).code == code


def test_from_yahoo_unknown():
    assert ex.from_yahoo(None) is None and ex.from_yahoo("") is None
    assert ex.from_yahoo("PNK") is None


def test_reporting_lags():
    assert ex.reporting_lags("BABA", "China") == ex.foreign_issuer_lags()
    assert ex.reporting_lags("BABA", "CN")[:2] == (60, 120)
    assert "20-F" in ex.reporting_lags("BABA", "Cayman Islands")[2]
    assert ex.reporting_lags("MSFT", "United States")[:2] == (45, 90)
    assert ex.reporting_lags("MSFT", "US")[:2] == (45, 90)
    assert ex.reporting_lags("MSFT", None)[:2] == (45, 90)
    assert ex.reporting_lags("OCDO.L", "GB")[:2] == (90, 120)
    assert ex.reporting_lags("9988.HK", "China")[:2] == (60, 90)
    assert ex.reporting_lags("688256.SS", "CN")[:2] == (60, 120)
    assert ex.reporting_lags("7203.T", "Japan")[:2] == (45, 90)
    assert ex.reporting_lags("RELIANCE.NS", "India")[:2] == (45, 60)
    assert ex.reporting_lags("BHP.AX", "Australia")[:2] == (75, 90)
    assert ex.reporting_lags("D05.SI", "SG")[:2] == (45, 60)
    assert ex.reporting_lags("ASML.AS", "Netherlands")[2].startswith("EU Transparency")
    assert ex.reporting_lags("2222.SR", "Saudi Arabia") == (
        90, 120, "no table entry: conservative default")
    assert ex.reporting_lags("FOO.XX", "Japan")[:2] == (45, 90)
    assert ex.reporting_lags("FOO.XX", None)[2] == "no table entry: conservative default"


def test_country_iso2():
    assert ex.country_iso2("United Kingdom") == "GB"
    assert ex.country_iso2("south korea") == "KR"
    assert ex.country_iso2("jp") == "JP"
    assert ex.country_iso2("Atlantis") is None and ex.country_iso2(None) is None
