"""Command line: ``python -m watchlists`` (or the ``watchlists`` script).

Thin by design: parse, call library functions, write, return an exit code.

``refresh`` runs :func:`watchlists.refresh_job.refresh_all` (prices, profiles and
statements when due, analyst data, the FX pairs the currencies in play need) for any
watchlist, company or Yahoo symbol. ``import prices|fx FILE.csv`` loads a user's own
feed into the store (:mod:`watchlists.imports`). ``report`` reads the store and the bundled
reference data and never touches the network, unless ``--refresh`` asks it to run the
same refresh job first (``--offline`` means "do not refresh"; it is the default).

Exit codes: 0 success; 1 partial (``refresh``: some symbol or pair failed, or the run
was or went offline; ``report --strict``: a price is stale, a member has none, or the
``--refresh`` before it was partial or offline); 2 bad input (unknown watchlist,
company or symbol, bad date, bad file, contradictory options). Without ``--strict``,
``report`` exits 0 once its files are written, whatever the refresh gave (its summary
line says). Errors print one line on stderr; ``--debug`` adds the traceback. ``--home``
and ``--debug`` go before or after the command. When the reader of stdout goes away
(``watchlists show cambricon | head -2``) the command stops quietly with exit 1, as
the Python docs recommend for SIGPIPE.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from .errors import DefinitionError, StoreError, WatchlistError

if TYPE_CHECKING:
    from .refresh_job import RefreshReport

__all__ = ["main"]

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_BROKEN_PIPE = 1  # what Python itself exits with on EPIPE (docs: "Note on SIGPIPE")


class _BadInput(Exception):
    """A caller mistake detected by the CLI itself (exit 2)."""


def _global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """``--home`` and ``--debug``, accepted before and after the command.

    The copies on a subcommand default to ``SUPPRESS``: absent there, they leave the
    value parsed before the command alone (a plain default would overwrite it).
    """
    unset = {"default": argparse.SUPPRESS} if after_command else {}
    parser.add_argument("--home", metavar="DIR",
                        help="home directory holding the store and your data/ folder "
                             "(default: $WATCHLISTS_HOME or the platform's user data dir)",
                        **unset)
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs",
                        **unset)


def _report_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--format", default="md,html", help="md,html or one of them "
                                                         "(default: both)")
    cmd.add_argument("--out", metavar="DIR",
                     help="write the report there (default: print the table only)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchlists",
        description="Equity watchlists with sourced data, an offline-first store and reports.",
    )
    _global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, **kwargs: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, **kwargs)
        _global_options(cmd, after_command=True)
        return cmd

    rep = command("report", help="write a watchlist report",
                  description="Snapshot a watchlist from the store and write its reports. "
                              "No network call unless --refresh.")
    rep.add_argument("watchlist", help="bundled watchlist name or path to a TOML file")
    rep.add_argument("--asof", metavar="DATE", help="point in time, YYYY-MM-DD (default: today)")
    rep.add_argument("--format", default="md,html,csv,json",
                     help="comma-separated formats: md,html,csv,json (default: all)")
    rep.add_argument("--out", default="reports", metavar="DIR", help="output directory")
    rep.add_argument("--refresh", action="store_true",
                     help="first fetch the watchlist's prices, FX and analyst data from Yahoo "
                          "(as `watchlists refresh WATCHLIST`)")
    rep.add_argument("--offline", action="store_true",
                     help="do not refresh (the default): use the store and the bundled "
                          "reference data")
    rep.add_argument("--strict", action="store_true",
                     help="exit 1 when any price is stale, any member failed, or the "
                          "--refresh was partial or offline")

    ref = command("refresh", help="fetch prices into the store",
                  description="Fetch new prices, the FX rates their currencies need and "
                              "analyst data into the store.")
    ref.add_argument("targets", nargs="*", metavar="WATCHLIST|SYMBOL",
                     help="watchlists, companies or symbols (default: every bundled watchlist)")
    ref.add_argument("--full", action="store_true", help="re-download the whole history")
    ref.add_argument("--offline", action="store_true", help="make no network call")
    ref.add_argument("--no-analyst", action="store_true", help="skip analyst targets")

    imp = command("import", help="load your own prices or FX rates into the store",
                  description="Validate a CSV of your own prices or FX rates (docs/import.md) "
                              "and store all of its rows, or none: every problem is listed "
                              "at once.")
    imp.add_argument("kind", choices=["prices", "fx"], help="what the file holds")
    imp.add_argument("file", metavar="FILE.csv", help="the CSV file")

    sph = command("spheres", help="compare two watchlists' baskets (the two AI spheres)",
                  description="Equal-weight baskets of two watchlists in one currency: "
                              "relative performance, rolling correlation and beta, and "
                              "structural-break tests (Chow at --break, CUSUM). Reads the "
                              "store only.")
    sph.add_argument("watchlists", nargs="*", metavar="A B",
                     help="two watchlists (default: china-ai-compute western-ai-compute)")
    sph.add_argument("--asof", metavar="DATE", help="point in time, YYYY-MM-DD (default: today)")
    sph.add_argument("--break", dest="break_date", metavar="DATE",
                     help="date of a suspected change (e.g. an export-control announcement)")
    sph.add_argument("--window", type=int, default=60,
                     help="rolling window in common trading days (default: 60)")
    sph.add_argument("--lag", type=int, default=0, choices=[0, 1],
                     help="pair A's day with B's previous day (Asia closes before New York)")
    sph.add_argument("--currency", metavar="CCY", help="common currency (default: B's base)")
    sph.add_argument("--years", type=float, default=2.0, help="history to use (default: 2)")
    _report_options(sph)

    xl = command("cross-listing", help="premium of one listing of a company over another",
                 description="For companies with two listings (BABA vs 9988.HK, 688981.SS "
                             "vs 0981.HK): the premium per underlying share in one currency "
                             "through the stored FX rate of the day, its history and "
                             "z-score. Reads the store only.")
    xl.add_argument("companies", nargs="*", metavar="COMPANY|SYMBOL",
                    help="companies or listing symbols (default: every company with two "
                         "listings)")
    xl.add_argument("--asof", metavar="DATE", help="point in time, YYYY-MM-DD (default: today)")
    xl.add_argument("--window", type=int, default=250,
                    help="trailing window of the z-score in common sessions (default: 250)")
    _report_options(xl)

    trk = command("track-record", help="how analysts' price targets fared",
                  description="Score every dated analyst price target (bundled, user and "
                              "stored Yahoo actions) against the stored prices: hit within "
                              "the horizon, days to touch, error at horizon. Reads the store "
                              "only.")
    trk.add_argument("targets", nargs="*", metavar="WATCHLIST|SYMBOL",
                     help="watchlists, companies or symbols (default: every bundled watchlist)")
    trk.add_argument("--asof", metavar="DATE", help="point in time, YYYY-MM-DD (default: today)")
    trk.add_argument("--horizon", default="12m", metavar="SPAN",
                     help="horizon from each published date: 12m (default), 1y, 365d")
    trk.add_argument("--min-scored", type=int, default=5, metavar="N",
                     help="flag brokers with fewer scored targets (default: 5)")
    trk.add_argument("--by", choices=["broker", "company"], default="broker")
    _report_options(trk)

    command("list", help="list bundled watchlists and companies")

    show = command("show", help="show a company's profile and data")
    show.add_argument("company", help="slug, name or symbol (e.g. cambricon, 688256.SS), or "
                                      "any refreshed Yahoo symbol (MSFT)")
    show.add_argument("--asof", metavar="DATE", help="latest price as of this date")

    scr = command("screen", help="value every company of a universe CSV (Monte Carlo DCF)",
                  description="Value every company of UNIVERSE.csv (see watchlists.screen for "
                              "its columns) and write Parquet and CSV. No network call unless "
                              "--scheduler.")
    scr.add_argument("universe", metavar="UNIVERSE.csv", help="universe file")
    scr.add_argument("--paths", type=int, default=10_000,
                     help="Monte Carlo paths per company (default: 10,000)")
    scr.add_argument("--seed", type=int, default=0, help="root random seed (default: 0)")
    scr.add_argument("--scheduler", metavar="ADDRESS",
                     help="run on this Dask scheduler (needs the dask extra)")
    scr.add_argument("--out", required=True, metavar="DIR", help="output directory")
    return parser


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _open_store(home: str | None):  # type: ignore[no-untyped-def]
    from .store import open_store

    return open_store(home)


def _progress_bar(stream: TextIO):  # type: ignore[no-untyped-def]
    """A tqdm counter of provider calls on a terminal, nothing otherwise (cron logs stay
    clean). Symbols sharing a date window go in one call, so there is no fixed total."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    return tqdm(file=stream, unit=" call", leave=False)


def _fmt_table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def _short(text: str, limit: int = 64) -> str:
    """One table cell: long provider messages are cut (the log line has them whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _human(value: float) -> str:
    """1.174e9 → '1.174 bn', 4.2169e8 → '421.69 m', 0.2 → '0.2', NaN → '–' (for terminal
    tables)."""
    if value != value:
        return "–"
    for size, suffix in ((1e12, "tn"), (1e9, "bn"), (1e6, "m")):
        if abs(value) >= size:
            return f"{value / size:,.5g} {suffix}"
    return f"{value:,.6g}"


@contextlib.contextmanager
def _progress(stream: TextIO) -> Iterator[Callable[[str], None]]:
    """A ``progress`` callback feeding :func:`_progress_bar` (a no-op off a terminal)."""
    bar = _progress_bar(stream)

    def progress(message: str) -> None:
        if bar is not None:
            bar.set_description(message[:48])
            bar.update(1)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def _yahoo():  # type: ignore[no-untyped-def]
    from .yahoo import YahooProvider

    return YahooProvider()


def _cell_date(value: object) -> str:
    return "–" if value is None or str(value) == "NaT" else str(value)[:10]


# --------------------------------------------------------------------------- commands


_TERMINAL_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))
                     if c != 0x0A}


class _TerminalSafe:
    """Wraps an output stream so text from data cannot drive the terminal: every control
    character but the newline (ESC, CR, NUL, BEL, DEL, C1...) is written as ``\\xNN``.
    Defence in depth: records reject control characters, but store text (provider names)
    does not pass through them."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.translate(_TERMINAL_CONTROL))

    def flush(self) -> None:
        self._out.flush()


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from . import profiles
    from .definitions import bundled_watchlists, load_watchlist

    out = _TerminalSafe(out)  # type: ignore[assignment]
    print("Bundled watchlists:", file=out)
    for name in bundled_watchlists():
        wl = load_watchlist(name)
        print(f"  {name:<22} {len(wl.members):>2} members  {wl.description}", file=out)
    print("\nCompanies:", file=out)
    rows = []
    for comp in profiles.company_records():
        symbols = ", ".join(f"{lst.symbol} ({lst.currency})" for lst in comp.listings)
        rows.append([comp.slug, comp.name, comp.role or "–", symbols or "unlisted"])
    print(_fmt_table(rows, ["slug", "name", "role", "listings"]), file=out)
    return EXIT_OK


def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    from . import profiles
    from .market import latest_prices
    from .snapshots import parse_asof

    out = _TerminalSafe(out)  # type: ignore[assignment]
    day = parse_asof(args.asof, _now())
    try:
        comp = profiles.company(args.company)
    except KeyError as exc:
        return _show_stored(args, day, out, str(exc.args[0]))
    print(f"{comp.name} — {comp.legal_name} ({comp.local_name})", file=out)
    print(f"country {comp.country} · role {comp.role or '–'}", file=out)
    print(comp.description, file=out)

    print("\nListings:", file=out)
    if comp.listings:
        rows = [[lst.symbol, lst.exchange, lst.board, lst.currency,
                 "yes" if lst.primary else "", f"{lst.shares_per_unit:g}"]
                for lst in comp.listings]
        print(_fmt_table(rows, ["symbol", "exchange", "board", "currency", "primary",
                                "shares/unit"]), file=out)
        with _open_store(args.home) as store:
            prices = latest_prices([lst.symbol for lst in comp.listings], day, store=store,
                                   now=_now())
        print(f"\nLatest price as of {day} (store or bundled reference; no network):", file=out)
        for p in prices.itertuples():
            when = "–" if p.price_date is None or str(p.price_date) == "NaT" \
                else p.price_date.date().isoformat()
            price = "unknown" if p.price != p.price else f"{p.price:,.2f} {p.currency}"
            print(f"  {p.symbol:<10} {price:<16} {when:<10} source={p.source} "
                  f"status={p.status}", file=out)
    else:
        print("  unlisted (no ticker, no price)", file=out)

    facts = profiles.facts(comp.slug)
    print(f"\nFacts ({len(facts)}):", file=out)
    rows = []
    for f in facts.itertuples():
        rows.append([f.metric, f.period, _human(f.value), f.unit, f.confidence,
                     f.asof.date().isoformat(), f.source_url.split(" ; ")[0]])
    print(_fmt_table(rows, ["metric", "period", "value", "unit", "confidence", "asof",
                            "source"]), file=out)

    targets = profiles.targets(comp.slug)
    print(f"\nAnalyst targets ({len(targets)}):", file=out)
    rows = []
    for t in targets.itertuples():
        if t.kind == "min_upside":
            level = f"≥{t.min_upside:.0%} above {t.reference} (no price given)"
        else:
            prev = f"{t.previous_target:,.6g} → " if t.previous_target == t.previous_target else ""
            level = f"{prev}{t.target:,.6g}"
        when = "date unknown" if t.date_unknown else t.published.date().isoformat()
        rows.append([t.symbol, t.broker, t.rating if isinstance(t.rating, str) else "–",
                     level, t.currency, when, t.confidence, t.source_url.split(" ; ")[0]])
    print(_fmt_table(rows, ["symbol", "broker", "rating", "target", "ccy", "published",
                            "confidence", "source"]), file=out)
    return EXIT_OK


def _show_stored(args: argparse.Namespace, day: dt.date, out: TextIO, unknown: str) -> int:
    """``show`` for a symbol we have no profile of: what a refresh stored about it."""
    from .fundamentals import figures
    from .market import latest_prices
    from .records import check_symbol

    try:
        symbol = check_symbol("symbol", args.company.strip()).upper()
    except ValueError:
        raise _BadInput(unknown) from None
    with _open_store(args.home) as store:
        stored = store.read_profiles([symbol])
        prices = latest_prices([symbol], day, store=store, now=_now())
        rows = store.read_fundamentals([symbol], asof=day)
    q = prices.iloc[0]
    price = "unknown" if q.price != q.price else f"{q.price:,.2f} {q.currency or ''}".strip()
    when = "–" if str(q.price_date) == "NaT" else q.price_date.date().isoformat()
    price_line = (f"Latest price as of {day}: {price} {when} source={q.source} "
                  f"status={q.status}")
    if stored.empty:
        if q.price != q.price:
            raise _BadInput(f"{unknown}; nor is {symbol} in the store: run `watchlists "
                            f"refresh {symbol}` online first")
        print(f"{symbol}: no profile stored (run `watchlists refresh {symbol}` online)",
              file=out)
        print(price_line, file=out)
        return EXIT_OK
    p = stored.iloc[0]

    def text(value: object) -> str:
        return value if isinstance(value, str) and value else "–"

    print(f"{p['name'] if isinstance(p['name'], str) else symbol} ({symbol}) — profile from "
          f"{p['source']}, fetched "
          f"{p['fetched_at'].date()}", file=out)
    print(f"exchange {text(p['exchange_name'])} ({text(p['exchange'])}) · {text(p['quote_type'])}"
          f" · trades in {text(p['currency'])} (quoted {text(p['quote_currency'])}) · "
          f"statements in {text(p['financial_currency'])}", file=out)
    print(f"country {text(p['country'])} · sector {text(p['sector'])} · industry "
          f"{text(p['industry'])}", file=out)
    if p["shares_outstanding"] == p["shares_outstanding"]:
        print(f"shares outstanding {_human(p['shares_outstanding'])} (units of this listing)",
              file=out)
    print(f"\n{price_line}", file=out)
    if rows.empty:
        print(f"\nNo statement figures known at {day}.", file=out)
        return EXIT_OK
    f = figures(rows)
    print(f"\nFrom statements known at {day} ({rows['source'].iloc[0]}, in {f.currency}):",
          file=out)
    table = [["revenue", _human(f.revenue), f.revenue_basis],
             ["operating margin", "–" if f.operating_margin != f.operating_margin
              else f"{f.operating_margin:.1%}", f.margin_basis],
             ["net cash", _human(f.net_cash), f.net_cash_basis],
             ["ordinary shares", _human(f.shares),
              "" if f.shares_end is None else f"balance sheet of {f.shares_end.date()}"]]
    print(_fmt_table(table, ["figure", "value", "basis"]), file=out)
    return EXIT_OK


def _write_analytics(args: argparse.Namespace, stem: str, title: str, markdown: str,
                     fragment: str, out: TextIO) -> None:
    from .analytics_reports import write_analytics

    if args.out is None:
        return
    for path in write_analytics(stem, title=title, markdown=markdown, html_fragment=fragment,
                                out=args.out, formats=args.format):
        print(f"wrote {path}", file=out)


def _cmd_spheres(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .errors import DataQualityError
    from .snapshots import parse_asof
    from .spheres import summary_rows, to_html, to_markdown, two_spheres

    if len(args.watchlists) not in (0, 2):
        raise _BadInput(f"give two watchlists or none, got {len(args.watchlists)}: "
                        f"{' '.join(args.watchlists)}")
    pair = args.watchlists or ["china-ai-compute", "western-ai-compute"]
    now = _now()
    day = parse_asof(args.asof, now)
    brk = None if args.break_date is None else parse_asof(args.break_date, now, "--break")
    out = _TerminalSafe(out)  # type: ignore[assignment]
    with _open_store(args.home) as store:
        try:
            result = two_spheres(*pair, asof=day, break_date=brk, store=store, now=now,
                                 window=args.window, currency=args.currency, lag=args.lag,
                                 years=args.years)
        except DataQualityError as exc:
            print(f"error: {exc}", file=_TerminalSafe(err))
            return EXIT_PARTIAL
    print(_fmt_table([list(r) for r in summary_rows(result)], ["figure", "value"]), file=out)
    for w in result.warnings:
        print(f"warning: {w}", file=_TerminalSafe(err))
    _write_analytics(args, f"spheres-{pair[0]}-vs-{pair[1]}-{day}",
                     f"{pair[0]} vs {pair[1]} as of {day}", to_markdown(result),
                     to_html(result), out)
    return EXIT_OK


def _cmd_cross_listing(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .cross_listings import cross_listing_premium, listing_pairs, to_html, to_markdown
    from .snapshots import parse_asof

    day = parse_asof(args.asof, _now())
    try:
        pairs = listing_pairs(args.companies or None)
    except KeyError as exc:
        raise _BadInput(exc.args[0] if exc.args else str(exc)) from None
    if not pairs:
        raise _BadInput(f"none of {', '.join(args.companies)} has two listings")
    out = _TerminalSafe(out)  # type: ignore[assignment]
    with _open_store(args.home) as store:
        results = [cross_listing_premium(p, asof=day, store=store, window=args.window)
                   for p in pairs]
    rows = []
    for r in results:
        p = r.latest
        rows.append([r.a.symbol, r.b.symbol,
                     "–" if p.premium != p.premium else f"{p.premium:+.2%}",
                     "–" if p.zscore != p.zscore else f"{p.zscore:+.2f}",
                     "–" if p.date is None else str(p.date.date())])
    print(_fmt_table(rows, ["line", "over", "premium", "z-score", "date"]), file=out)
    for r in results:
        for w in r.warnings:
            print(f"warning: {r.a.symbol}/{r.b.symbol}: {w}", file=_TerminalSafe(err))
    _write_analytics(args, f"cross-listing-{day}", f"Cross-listing premiums as of {day}",
                     to_markdown(results), to_html(results), out)
    return EXIT_OK if all(r.latest.date is not None for r in results) else EXIT_PARTIAL


def _cmd_track_record(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .definitions import bundled_watchlists
    from .snapshots import parse_asof
    from .track_records import main_headers, main_rows, to_html, to_markdown, track_record

    now = _now()
    day = parse_asof(args.asof, now)
    out = _TerminalSafe(out)  # type: ignore[assignment]
    with _open_store(args.home) as store:
        tr = track_record(args.targets or bundled_watchlists(), asof=day,
                          horizon=args.horizon, store=store, now=now,
                          min_scored=args.min_scored)
    scored = int(tr.by_broker["scored"].sum()) if len(tr.by_broker) else 0
    print(f"analyst target track record as of {tr.asof}, horizon {tr.horizon}: "
          f"{len(tr.targets)} dated target(s), {scored} scored (open targets are not "
          "counted)", file=out)
    print(_fmt_table(main_rows(tr, by=args.by), main_headers(args.by)), file=out)
    for w in tr.warnings.itertuples():
        who = f"{w.symbol}: " if isinstance(w.symbol, str) else ""
        print(f"warning: {who}{w.message}", file=_TerminalSafe(err))
    _write_analytics(args, f"track-record-{day}", f"Analyst target track record as of {day}",
                     to_markdown(tr), to_html(tr), out)
    return EXIT_OK


def _cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .imports import UserDataImportError, import_fx, import_prices

    run = import_prices if args.kind == "prices" else import_fx
    with _open_store(args.home) as store:
        try:
            result = run(args.file, store=store, now=_now())
        except UserDataImportError as exc:
            print(f"error: {exc}", file=_TerminalSafe(err))  # every problem, one per line
            return EXIT_BAD_INPUT
    print(result.summary(), file=_TerminalSafe(out))
    return EXIT_OK


def _cmd_refresh(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .definitions import bundled_watchlists
    from .refresh_job import refresh_all

    provider = None if args.offline else _yahoo()
    with _open_store(args.home) as store, _progress(err) as progress:
        report = refresh_all(args.targets or bundled_watchlists(), store=store,
                             provider=provider, now=_now(), full=args.full,
                             analyst=not args.no_analyst, progress=progress)
    table = report.table
    # Prices and FX, a line each; company data (profile, statements, analyst) only when
    # it failed: the summary line counts the rest.
    failed = table.index.isin(report.failures.index)
    shown = table[table["kind"].isin(["price", "fx"]) | failed]
    rows = [[r.symbol, r.kind, _short(r.status), str(r.rows_added), _cell_date(r.last_date)]
            for r in shown.itertuples()]
    print(_fmt_table(rows, ["symbol", "kind", "status", "rows added", "last date"]), file=out)
    print(report.summary, file=out)
    _print_refresh_notes(report, err)
    return EXIT_OK if report.ok else EXIT_PARTIAL


def _print_refresh_notes(report: RefreshReport, err: TextIO) -> None:
    if report.offline and report.provider is None:
        print("offline: nothing was fetched; the store is unchanged", file=err)
    elif report.offline:
        print("offline: the network became unreachable; rows marked 'error: offline' "
              "were not fetched", file=err)
    failures = report.failures
    analyst_failed = int((failures["kind"] == "analyst").sum())
    if analyst_failed:
        print(f"analyst data: {analyst_failed} symbol(s) failed", file=err)


def _record_run(store, snap, err: TextIO) -> bool:  # type: ignore[no-untyped-def]
    """Record the run in the store after the reports are written; on a store failure
    (locked, read-only, full disk) say which file and what was not recorded, and return
    True (the CLI then exits 1: partial, not bad input)."""
    try:
        store.record_run(snap.watchlist.name, snap.asof, snap.generated_at, snap.run_record())
    except StoreError as exc:
        print(f"store error: the reports were written, but this run of {snap.watchlist.name} "
              f"as of {snap.asof} was not recorded in {store.path} ({exc}); the next report "
              "will not list changes against it", file=err)
        return True
    return False


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .definitions import load_watchlist
    from .reporting import parse_formats, write_report
    from .snapshots import parse_asof, snapshot

    if args.refresh and args.offline:
        raise _BadInput("--refresh fetches from the network and --offline forbids it: "
                        "choose one")
    now = _now()
    try:
        formats = parse_formats(args.format)
        day = parse_asof(args.asof, now)
    except ValueError as exc:
        raise _BadInput(str(exc)) from None
    wl = load_watchlist(args.watchlist)
    refreshed = None
    with _open_store(args.home) as store:
        if args.refresh:
            from .refresh_job import refresh_all

            with _progress(err) as progress:
                refreshed = refresh_all(wl, store=store, provider=_yahoo(), now=now,
                                        progress=progress)
            snap = snapshot(wl, day, store=store, now=now, refresh=refreshed)
        else:
            snap = snapshot(wl, day, store=store, now=now)
        try:
            paths = write_report(snap, formats, args.out)
        except OSError as exc:
            raise _BadInput(f"cannot write reports to {args.out!r}: {exc}") from None
        unrecorded = _record_run(store, snap, err)
    table = snap.table
    listed = table[table["symbol"].notna()]
    stale = int(listed["stale"].sum())
    failed = int((~listed["status"].isin(["ok", "stale"])).sum())
    for fmt, path in paths.items():
        print(f"{fmt:<5} {path}", file=out)
    if refreshed is not None:
        print(f"refreshed {refreshed.summary}", file=err)
    mode = " (offline)" if snap.offline else ""
    print(f"{wl.name} as of {snap.asof}{mode}: {len(table)} members, {stale} stale, "
          f"{failed} without a price, {len(snap.changes)} change(s), "
          f"{len(snap.warnings)} warning(s)", file=err)
    partial_refresh = refreshed is not None and not refreshed.ok
    if unrecorded:
        return EXIT_PARTIAL
    if args.strict and (stale or failed or partial_refresh):
        culprits = [f"{r.symbol} ({r.status})" for r in listed.itertuples()
                    if r.status != "ok"]
        if partial_refresh:
            culprits.append(f"refresh: {refreshed.summary}")  # type: ignore[union-attr]
        print(f"strict: exit 1 because of {'; '.join(culprits)}", file=err)
        return EXIT_PARTIAL
    return EXIT_OK


def _cmd_screen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .screen import run_screen

    return run_screen(args, out, err)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run the CLI; return the exit code (never calls ``sys.exit``)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        code = _run(argv, out, err)
        out.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
    except BrokenPipeError:
        # The reader went away (``watchlists show cambricon | head -2``): stop quietly,
        # as Unix tools do. Point stdout at devnull so the flush at exit does not raise
        # again (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        _discard(out)
        return EXIT_BROKEN_PIPE
    return code


def _discard(stream: TextIO) -> None:
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a file: nothing flushes it at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _run(argv: Sequence[str] | None, out: TextIO, err: TextIO) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=err)
    if not args.debug:  # yfinance logs every failed request; our summary says it once
        logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    commands = {
        "list": lambda: _cmd_list(args, out),
        "show": lambda: _cmd_show(args, out),
        "refresh": lambda: _cmd_refresh(args, out, err),
        "import": lambda: _cmd_import(args, out, err),
        "spheres": lambda: _cmd_spheres(args, out, err),
        "track-record": lambda: _cmd_track_record(args, out, err),
        "cross-listing": lambda: _cmd_cross_listing(args, out, err),
        "report": lambda: _cmd_report(args, out, err),
        "screen": lambda: _cmd_screen(args, out, err),
    }
    try:
        with _home(args.home):
            return commands[args.command]()
    except BrokenPipeError:
        raise
    except (_BadInput, DefinitionError, ValueError, TypeError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if len(getattr(exc, "problems", ())) > 1:  # a data file: every problem, a line each
            print(f"error: {message}", file=_TerminalSafe(err))
            return EXIT_BAD_INPUT
        _error(err, f"error: {message}", args.debug)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        _error(err, f"store error: {exc}", args.debug)
        return EXIT_BAD_INPUT
    except WatchlistError as exc:
        _error(err, f"error: {exc}", args.debug)
        return EXIT_PARTIAL
    except Exception as exc:  # noqa: BLE001 - one line for cron logs; --debug has the rest
        _error(err, f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
               args.debug)
        return EXIT_PARTIAL


@contextlib.contextmanager
def _home(home: str | None) -> Iterator[None]:
    """``--home`` moves everything the home holds — the store and the user data folder —
    for this command only (the variable is restored afterwards)."""
    if home is None:
        yield
        return
    before = os.environ.get("WATCHLISTS_HOME")
    os.environ["WATCHLISTS_HOME"] = str(home)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("WATCHLISTS_HOME", None)
        else:
            os.environ["WATCHLISTS_HOME"] = before


def _error(err: TextIO, line: str, debug: bool) -> None:
    if debug:
        traceback.print_exc(file=err)
    print(" ".join(str(line).split()), file=err)
