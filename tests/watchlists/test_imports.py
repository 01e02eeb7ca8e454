"""Importing a user's own price and FX feeds (CSV) into the store: watchlists.imports."""

from __future__ import annotations

import datetime as dt
import math
import os
import pickle

import pandas as pd
import pytest

from watchlists import imports
from watchlists.errors import DataFileError
from watchlists.fx import fx_quote
from watchlists.imports import (
    IMPORT_FX_COLUMNS,
    IMPORT_PRICE_COLUMNS,
    MAX_LISTED_PROBLEMS,
    UserDataImportError,
    import_fx,
    import_prices,
)
from watchlists.market import latest_prices
from watchlists.store import Store

NOW = dt.datetime(2030, 6, 14, 12, 0, tzinfo=dt.UTC)  # after every bundled reference rate
PRICES = """\
symbol,date,open,high,low,close,volume,source
ZZTEST,2030-06-12,10.0,10.5,9.5,10.2,1000,my-broker-eod
ZZTEST,2030-06-13,10.2,10.9,10.1,10.8,1500,my-broker-eod
ZZOTHER.HK,2030-06-13,,,,55.5,,my-broker-eod
"""
FX = """\
date,from_ccy,to_ccy,rate,source
2030-06-12,USD,CNY,7.10,my-fx-feed
2030-06-13,USD,CNY,7.12,my-fx-feed
2030-06-13,HKD,USD,0.128,my-fx-feed
"""


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "home") as s:
        yield s


def write(tmp_path, text: str, name: str = "feed.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(path, store, kind: str = "prices") -> tuple[str, ...]:
    run = import_prices if kind == "prices" else import_fx
    with pytest.raises(UserDataImportError) as info:
        run(path, store=store, now=NOW)
    return info.value.problems


def price_file(tmp_path, *rows: str, header: str = "symbol,date,close,source") -> os.PathLike:
    return write(tmp_path, "\n".join([header, *rows]) + "\n")


# ------------------------------------------------------------------ happy paths
def test_prices_land_in_the_store_under_the_feed_name(tmp_path, store):
    result = import_prices(write(tmp_path, PRICES), store=store, now=NOW)
    assert result.kind == "prices"
    assert result.path == str(tmp_path / "feed.csv")
    assert (result.rows_read, result.rows_added, result.rows_updated) == (3, 3, 0)
    assert result.symbols == ("ZZOTHER.HK", "ZZTEST")
    assert (result.first_date, result.last_date) == (dt.date(2030, 6, 12), dt.date(2030, 6, 13))
    assert result.sources == ("my-broker-eod",)
    assert any("adj_close" in n and "3 row" in n for n in result.notes)
    assert "3 added" in result.summary() and "my-broker-eod" in result.summary()

    rows = store.read_prices().set_index(["symbol", "date"])
    one = rows.loc[("ZZTEST", pd.Timestamp("2030-06-13"))]
    assert (one["open"], one["high"], one["low"], one["close"]) == (10.2, 10.9, 10.1, 10.8)
    assert one["adj_close"] == 10.8  # defaulted to close
    assert one["volume"] == 1500
    assert one["source"] == "my-broker-eod"
    assert pd.Timestamp(one["fetched_at"]) == pd.Timestamp(NOW)
    other = rows.loc[("ZZOTHER.HK", pd.Timestamp("2030-06-13"))]
    assert math.isnan(other["open"]) and math.isnan(other["volume"])
    assert other["adj_close"] == 55.5

    latest = latest_prices(["ZZTEST", "ZZOTHER.HK"], dt.date(2030, 6, 13), store=store,
                           now=NOW).set_index("symbol")
    assert latest.loc["ZZTEST", "price"] == 10.8
    assert set(latest["source"]) == {"my-broker-eod"}
    assert "my-broker-eod" in latest.loc["ZZTEST", "note"]


def test_columns_in_any_order_any_case_with_bom_and_blank_lines(tmp_path, store):
    text = ("\ufeff Close ,SOURCE,Date,symbol,adj_close,currency\n\n"
            "9.5,feed-a,2030-06-10,ZZTEST,9.0,USD\n")
    result = import_prices(write(tmp_path, text), store=store, now=NOW)
    assert result.rows_added == 1
    assert result.notes == ("trading currency recorded for ZZTEST (no profile yet; a refresh "
                            "online adds Yahoo's)",)
    row = store.read_prices("ZZTEST").iloc[0]
    assert (row["close"], row["adj_close"], row["source"]) == (9.5, 9.0, "feed-a")


def test_reimport_is_idempotent(tmp_path, store):
    path = write(tmp_path, PRICES)
    import_prices(path, store=store, now=NOW)
    before = store.read_prices()
    again = import_prices(path, store=store, now=NOW + dt.timedelta(days=1))
    assert (again.rows_added, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    pd.testing.assert_frame_equal(store.read_prices(), before)
    assert store.check_blocks() == []


def test_changed_rows_are_counted_as_updated(tmp_path, store):
    import_prices(write(tmp_path, PRICES), store=store, now=NOW)
    fixed = PRICES.replace("10.8,1500", "10.7,1500")
    result = import_prices(write(tmp_path, fixed, "fixed.csv"), store=store, now=NOW)
    assert (result.rows_added, result.rows_updated) == (0, 1)
    assert store.read_prices("ZZTEST")["close"].tolist() == [10.2, 10.7]
    assert store.check_blocks() == []


def test_several_sources_are_recorded_per_row(tmp_path, store):
    path = price_file(tmp_path, "ZZTEST,2030-06-12,10,feed-a", "ZZTEST,2030-06-13,11,feed-b",
                      "ZZOTHER,2030-06-13,12,feed-a")
    result = import_prices(path, store=store, now=NOW)
    assert result.sources == ("feed-a", "feed-b")
    assert result.rows_added == 3
    got = store.read_prices().set_index(["symbol", "date"])["source"].to_dict()
    assert got == {("ZZOTHER", pd.Timestamp("2030-06-13")): "feed-a",
                   ("ZZTEST", pd.Timestamp("2030-06-12")): "feed-a",
                   ("ZZTEST", pd.Timestamp("2030-06-13")): "feed-b"}


def test_several_sources_commit_in_one_transaction(tmp_path, store, monkeypatch):
    import watchlists.store

    path = price_file(tmp_path, "ZZTEST,2030-06-12,10,feed-a", "ZZTEST,2030-06-13,11,feed-b")

    def failing(conn, years):  # fails after both feeds' rows were inserted
        raise OSError("disk full")

    monkeypatch.setattr(watchlists.store, "_refresh_blocks", failing)
    with pytest.raises(OSError, match="disk full"):
        import_prices(path, store=store, now=NOW)
    assert store.read_prices().empty  # both feeds' rows were rolled back
    assert store.check_blocks() == []


def test_a_known_listing_in_its_trading_currency_is_accepted(tmp_path, store):
    path = price_file(tmp_path, "9988.HK,2030-06-13,150,feed-a,HKD",
                      header="symbol,date,close,source,currency")
    assert import_prices(path, store=store, now=NOW).rows_added == 1


def test_fx_rates_land_and_are_quoted(tmp_path, store):
    result = import_fx(write(tmp_path, FX), store=store, now=NOW)
    assert result.kind == "fx"
    assert (result.rows_read, result.rows_added, result.rows_updated) == (3, 3, 0)
    assert result.symbols == ("HKDUSD", "USDCNY")
    assert result.sources == ("my-fx-feed",)
    assert (result.first_date, result.last_date) == (dt.date(2030, 6, 12), dt.date(2030, 6, 13))
    stored = store.read_fx("USDCNY")
    assert stored["rate"].tolist() == [7.10, 7.12]
    assert set(stored["source"]) == {"my-fx-feed"}
    quote = fx_quote("USD", "CNY", dt.date(2030, 6, 14), store=store)
    assert (quote.rate, quote.date) == (7.12, pd.Timestamp("2030-06-13"))
    assert quote.source == "store: my-fx-feed"
    assert fx_quote("USD", "HKD", dt.date(2030, 6, 13), store=store).rate == 1 / 0.128


def test_fx_reimport_is_idempotent_and_counts_updates(tmp_path, store):
    path = write(tmp_path, FX)
    import_fx(path, store=store, now=NOW)
    before = store.read_fx()
    again = import_fx(path, store=store, now=NOW)
    assert (again.rows_added, again.rows_updated) == (0, 0)
    pd.testing.assert_frame_equal(store.read_fx(), before)
    changed = import_fx(write(tmp_path, FX.replace("7.12", "7.13"), "b.csv"), store=store,
                        now=NOW)
    assert (changed.rows_added, changed.rows_updated) == (0, 1)


# ------------------------------------------------------------------ errors: all at once
def test_many_bad_rows_are_reported_in_one_error(tmp_path, store):
    rows = [f"ZZTEST,2030-01-{d:02d},-{d},feed" for d in range(1, 31)]
    rows += [f"ZZTEST,2030-02-{d:02d},{d},yahoo" for d in range(1, 29)]
    path = price_file(tmp_path, *rows)
    with pytest.raises(UserDataImportError) as info:
        import_prices(path, store=store, now=NOW)
    err = info.value
    assert len(err.problems) == 58
    assert err.problems[0] == "row 2, close: '-1' must be a positive number"
    assert err.problems[-1].startswith("row 59, source: 'yahoo' is reserved")
    message = str(err)
    assert message.startswith(f"{path}: 58 problems, nothing was imported:")
    assert message.count("\n  row ") == MAX_LISTED_PROBLEMS
    assert message.endswith("... and 8 more")
    assert store.read_prices().empty


def test_one_bad_row_among_good_ones_writes_nothing(tmp_path, store):
    import_prices(write(tmp_path, PRICES), store=store, now=NOW)
    import_fx(write(tmp_path, FX, "fx.csv"), store=store, now=NOW)
    prices, fx = store.read_prices(), store.read_fx()
    bad = PRICES.replace("10.8,1500", "10.7,1500") + "ZZNEW,2030-06-13,,,,0,,my-broker-eod\n"
    assert problems_of(write(tmp_path, bad, "bad.csv"), store) == (
        "row 5, close: '0' must be a positive number",)
    bad_fx = FX.replace("7.12", "7.5") + "2030-06-13,EUR,EUR,1,my-fx-feed\n"
    assert len(problems_of(write(tmp_path, bad_fx, "badfx.csv"), store, "fx")) == 1
    pd.testing.assert_frame_equal(store.read_prices(), prices)
    pd.testing.assert_frame_equal(store.read_fx(), fx)


def test_error_types_and_single_problem_message(tmp_path, store):
    path = price_file(tmp_path, "ZZTEST,2030-06-13,abc,feed")
    with pytest.raises(DataFileError) as info:
        import_prices(path, store=store, now=NOW)
    err = info.value
    assert isinstance(err, UserDataImportError) and isinstance(err, ValueError)
    assert str(err) == f"{path}: row 2, close: 'abc' is not a number; nothing was imported"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.problems, str(copy)) == (err.problems, str(err))


@pytest.mark.parametrize(("header", "row", "expected"), [
    ("symbol,date,close,source", "not a symbol,2030-06-13,1,feed",
     "row 2, symbol: 'not a symbol' is not a Yahoo symbol"),
    ("symbol,date,close,source", "zztest,2030-06-13,1,feed",
     "row 2, symbol: 'zztest' must be in upper case"),
    ("symbol,date,close,source", "CNY=X,2030-06-13,7.1,feed",
     "row 2, symbol: 'CNY=X' is an FX pair: import FX rates with `watchlists import fx`"),
    ("symbol,date,close,source", ",2030-06-13,1,feed", "row 2, symbol: is empty"),
    ("symbol,date,close,source", "ZZTEST,13/06/2030,1,feed",
     "row 2, date: '13/06/2030' is not a date in YYYY-MM-DD form"),
    ("symbol,date,close,source", "ZZTEST,2030-02-30,1,feed",
     "row 2, date: '2030-02-30' is not a valid calendar date"),
    ("symbol,date,close,source", "ZZTEST,2030-06-15,1,feed",
     "row 2, date: '2030-06-15' is after today (2030-06-14, UTC)"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,,feed", "row 2, close: is empty"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,-3,feed",
     "row 2, close: '-3' must be a positive number"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,inf,feed",
     "row 2, close: 'inf' must be a finite number"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1.2.3,feed",
     "row 2, close: '1.2.3' is not a number"),
    ("symbol,date,close,source,open", "ZZTEST,2030-06-13,1,feed,0",
     "row 2, open: '0' must be a positive number"),
    ("symbol,date,close,source,adj_close", "ZZTEST,2030-06-13,1,feed,nan",
     "row 2, adj_close: 'nan' must be a finite number"),
    ("symbol,date,close,source,high,low", "ZZTEST,2030-06-13,1,feed,1,2",
     "row 2, high: '1' is below low '2'"),
    ("symbol,date,close,source,volume", "ZZTEST,2030-06-13,1,feed,-5",
     "row 2, volume: '-5' must be a number >= 0"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1,", "row 2, source: is empty"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1,yahoo", "row 2, source: 'yahoo' is reserved"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1,Bundled",
     "row 2, source: 'Bundled' is reserved"),
    ("symbol,date,close,source", 'ZZTEST,2030-06-13,1,"a\x1bb"',
     "row 2, source: 'a\\x1bb' contains the control character"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1," + "x" * 65,
     "is longer than 64 characters"),
    ("symbol,date,close,source,currency", "ZZTEST,2030-06-13,1,feed,usd",
     "row 2, currency: 'usd' is not an ISO 4217 currency code"),
    ("symbol,date,close,source,currency", "ZZTEST,2030-06-13,1,feed,XYZ",
     "row 2, currency: 'XYZ' is not a known ISO 4217 currency code"),
    ("symbol,date,close,source,currency", "9988.HK,2030-06-13,1,feed,USD",
     "row 2, currency: 'USD' does not match listing 9988.HK trading currency 'HKD'"),
    ("symbol,date,close,source,currency", "BABA,2030-06-13,1,feed,HKD",
     "row 2, currency: 'HKD' does not match listing BABA trading currency 'USD'"),
    ("symbol,date,close,source", "ZZTEST,2030-06-13,1,feed,extra",
     "row 2: has 5 fields, the header has 4"),
])
def test_each_price_rule(tmp_path, store, header, row, expected):
    problems = problems_of(price_file(tmp_path, row, header=header), store)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected) or expected in problems[0], problems
    assert store.read_prices().empty


def test_duplicate_and_inconsistent_rows(tmp_path, store):
    path = price_file(tmp_path, "ZZTEST,2030-06-12,1,feed,USD", "ZZTEST,2030-06-13,1,feed,EUR",
                      "ZZTEST,2030-06-12,2,other,USD", header="symbol,date,close,source,currency")
    assert problems_of(path, store) == (
        "row 3, currency: 'EUR' differs from 'USD' given for ZZTEST in row 2",
        "row 4, date: '2030-06-12' duplicates row 2 (same symbol ZZTEST and date)",
    )


@pytest.mark.parametrize(("row", "expected"), [
    ("2030-06-13,USD,USD,1,feed", "row 2, to_ccy: 'USD' must differ from from_ccy"),
    ("2030-06-13,usd,CNY,7,feed", "row 2, from_ccy: 'usd' is not an ISO 4217 currency code"),
    ("2030-06-13,USD,ABC,7,feed", "row 2, to_ccy: 'ABC' is not a known ISO 4217"),
    ("2030-06-13,USD,CNY,0,feed", "row 2, rate: '0' must be a positive number"),
    ("2030-06-13,USD,CNY,-inf,feed", "row 2, rate: '-inf' must be a finite number"),
    ("2030-06-13,USD,CNY,,feed", "row 2, rate: is empty"),
    ("2030-06-13,USD,CNY,7,yahoo", "row 2, source: 'yahoo' is reserved"),
    ("2030-06-13,USD,CNY,7,", "row 2, source: is empty"),
    ("2030-06-15,USD,CNY,7,feed", "row 2, date: '2030-06-15' is after today"),
    ("2030/06/13,USD,CNY,7,feed", "row 2, date: '2030/06/13' is not a date in YYYY-MM-DD"),
])
def test_each_fx_rule(tmp_path, store, row, expected):
    path = write(tmp_path, ",".join(IMPORT_FX_COLUMNS) + "\n" + row + "\n")
    problems = problems_of(path, store, "fx")
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems
    assert store.read_fx().empty


def test_fx_duplicate_pair_and_date(tmp_path, store):
    text = FX + "2030-06-13,USD,CNY,7.2,other-feed\n2030-06-13,CNY,USD,0.14,my-fx-feed\n"
    assert problems_of(write(tmp_path, text), store, "fx") == (
        "row 5, date: '2030-06-13' duplicates row 3 (same pair USD->CNY and date)",)


def test_now_defaults_to_the_clock(tmp_path, store):
    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)
    path = price_file(tmp_path, f"ZZTEST,{tomorrow},1,feed")
    with pytest.raises(UserDataImportError, match="is after today"):
        import_prices(path, store=store)
    ok = price_file(tmp_path, "ZZTEST,2020-01-02,1,feed")
    assert import_prices(ok, store=store).rows_added == 1


# ------------------------------------------------------------------ the file itself
@pytest.mark.parametrize(("text", "expected"), [
    ("", "is empty: expected a header row with symbol, date, close, source"),
    ("symbol,date,close,source\n", "has a header but no data rows"),
    ("symbol,date,close\nZZTEST,2030-06-13,1\n",
     "row 1 (header): missing required column(s) source"),
    ("symbol,date,close,source,px\nZZTEST,2030-06-13,1,feed,2\n",
     "row 1 (header): unknown column(s) 'px'; valid columns are "
     + ", ".join(IMPORT_PRICE_COLUMNS)),
    ("symbol,date,close,source,close\nZZTEST,2030-06-13,1,feed,2\n",
     "row 1 (header): column(s) close appear more than once"),
    ("symbol;date;close;source\nZZTEST;2030-06-13;1;feed\n",
     "row 1 (header): 'symbol;date;close;source' is one column; the file must be "
     "comma-separated"),
    ("symbol,date,close,source\nZZ\x00TEST,2030-06-13,1,feed\n",
     "contains NUL bytes: it is not a CSV text file"),
])
def test_bad_files(tmp_path, store, text, expected):
    problems = problems_of(write(tmp_path, text), store)
    assert problems[0].startswith(expected), problems


def test_a_file_that_is_not_utf8_names_the_file(tmp_path, store):
    path = write(tmp_path, "symbol,date,close,source\nZZTEST,2030-06-13,1,café\n",
                 encoding="latin-1")
    with pytest.raises(UserDataImportError) as info:
        import_prices(path, store=store, now=NOW)
    assert str(info.value).startswith(f"{path}: is not UTF-8 text (byte b'\\xe9' at offset")
    assert "save the file as UTF-8 CSV" in str(info.value)


def test_missing_file_folder_and_size_cap(tmp_path, store, monkeypatch):
    with pytest.raises(UserDataImportError, match="cannot read"):
        import_prices(tmp_path / "nope.csv", store=store, now=NOW)
    with pytest.raises(UserDataImportError, match=r"not a regular file|cannot read"):
        import_fx(tmp_path, store=store, now=NOW)
    path = write(tmp_path, PRICES)
    monkeypatch.setattr("watchlists._profile_loading.MAX_USER_FILE_BYTES", 50)
    with pytest.raises(UserDataImportError, match="file too large"):
        import_prices(path, store=store, now=NOW)
    assert store.read_prices().empty


def test_columns_are_the_documented_ones():
    assert imports.IMPORT_PRICE_REQUIRED == ("symbol", "date", "close", "source")
    assert set(IMPORT_PRICE_COLUMNS) == {"symbol", "date", "close", "source", "open", "high",
                                         "low", "adj_close", "volume", "currency"}
    assert IMPORT_FX_COLUMNS == ("date", "from_ccy", "to_ccy", "rate", "source")


def test_a_bare_symbol_gets_its_currency_from_the_file_and_is_then_bound_by_it(tmp_path, store):
    path = price_file(tmp_path, "ZZTEST,2030-06-12,10,feed-a,EUR",
                      header="symbol,date,close,source,currency")
    result = import_prices(path, store=store, now=NOW)
    assert "trading currency recorded for ZZTEST" in result.summary()
    profile = store.read_profiles(["ZZTEST"]).iloc[0]
    assert (profile["currency"], profile["source"]) == ("EUR", "feed-a")
    from watchlists.market import latest_prices

    assert latest_prices(["ZZTEST"], dt.date(2030, 6, 13), store=store)["currency"].tolist() == [
        "EUR"]
    other = price_file(tmp_path, "ZZTEST,2030-06-13,11,feed-a,USD",
                       header="symbol,date,close,source,currency")
    with pytest.raises(UserDataImportError, match="does not match ZZTEST's trading currency"):
        import_prices(other, store=store, now=NOW)
