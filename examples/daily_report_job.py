"""Daily report job: refresh prices, then write every watchlist's reports.

Run it by hand::

    python examples/daily_report_job.py --out reports/
    python examples/daily_report_job.py --out reports/ --offline --watchlist china-ai-compute

or from cron, on weekdays after the US close (22:30 UTC), appending to a log file::

    30 22 * * 1-5  cd /srv/watchlists && WATCHLISTS_HOME=/srv/watchlists/store \\
        /srv/venv/bin/python examples/daily_report_job.py --out reports/ >> logs/daily.log 2>&1

It uses the library API (``refresh_all`` -- the same refresh job as ``watchlists
refresh``: prices, the FX pairs the currencies need, analyst data -- then ``snapshot``
and ``write_report``), never the command line. :func:`run_job` is the unit of work;
``airflow_dag.py`` calls the same function.

Exit codes (as the ``watchlists`` CLI):

* 0 -- every report written and every listed member has a fresh price;
* 1 -- partial: a refresh failed or went offline, or a report has a stale or
  missing price or a failed member (reports are still written);
* 2 -- bad input: unknown watchlist, bad date, unwritable output directory, or a
  store that cannot be opened.

Stored data lives under ``$WATCHLISTS_HOME`` (or ``--home``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import watchlists

log = logging.getLogger("daily_report_job")

EXIT_OK, EXIT_PARTIAL, EXIT_BAD_INPUT = 0, 1, 2
FORMATS = ("md", "html", "csv", "json")


def run_job(
    out_dir: str | Path,
    *,
    names: Sequence[str] | None = None,
    offline: bool = False,
    asof: str | dt.date | None = None,
    home: str | Path | None = None,
    now: dt.datetime | None = None,
    provider: watchlists.PriceProvider | None = None,
) -> int:
    """Refresh (unless ``offline``) and write reports for ``names``; return an exit code.

    ``names`` defaults to every bundled watchlist; each may also be a TOML path.
    ``asof`` defaults to today (UTC); ``now`` to the clock. ``provider`` defaults to
    Yahoo when online (pass a fake in tests).
    """
    now = now or dt.datetime.now(dt.UTC)
    try:
        lists = [watchlists.load_watchlist(n) for n in (names or watchlists.bundled_watchlists())]
    except (watchlists.WatchlistError, KeyError, ValueError, OSError) as exc:
        log.error("bad watchlist: %s", exc)
        return EXIT_BAD_INPUT
    try:
        store = watchlists.open_store(home)
    except (watchlists.StoreError, OSError) as exc:
        log.error("cannot open the store: %s", exc)
        return EXIT_BAD_INPUT

    code = EXIT_OK
    with store:
        refreshed = None
        if not offline:
            refreshed = watchlists.refresh_all(
                lists, store=store, provider=provider or watchlists.YahooProvider(), now=now)
            for row in refreshed.failures.itertuples():
                log.warning("refresh %s %s: %s", row.kind, row.symbol, row.status)
            log.info("refreshed %s", refreshed.summary)
            if not refreshed.ok:
                code = EXIT_PARTIAL
            if refreshed.offline:
                log.warning("the network is unreachable: reporting from the store")
        else:
            log.info("offline: no refresh; reporting from the store and bundled data")

        for wl in lists:
            try:
                snap = watchlists.snapshot(wl, asof, store=store, now=now, refresh=refreshed)
            except (ValueError, TypeError) as exc:  # e.g. an asof in the future
                log.error("%s: %s", wl.name, exc)
                return EXIT_BAD_INPUT
            try:
                paths = watchlists.write_report(snap, FORMATS, out_dir, store=store)
            except OSError as exc:
                log.error("cannot write reports to %s: %s", out_dir, exc)
                return EXIT_BAD_INPUT
            table = snap.table
            listed = table[table["symbol"].notna()]
            stale = int(listed["stale"].sum())
            missing = int((~listed["status"].isin(["ok", "stale"])).sum())
            log.info("%s as of %s: %d members, %d stale, %d without a price, %d change(s); "
                     "wrote %s", wl.name, snap.asof, len(table), stale, missing,
                     len(snap.changes), ", ".join(str(p) for p in paths.values()))
            for w in snap.warnings:
                log.debug("%s: %s", wl.name, w)
            if not snap.ok:
                code = EXIT_PARTIAL
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refresh prices and write watchlist reports.")
    parser.add_argument("--out", required=True, metavar="DIR", help="report directory")
    parser.add_argument("--offline", action="store_true", help="no refresh, no network")
    parser.add_argument("--watchlist", action="append", metavar="NAME", dest="names",
                        help="bundled name or TOML path (repeatable; default: all bundled)")
    parser.add_argument("--asof", metavar="YYYY-MM-DD", help="report date (default: today)")
    parser.add_argument("--home", metavar="DIR", help="store directory (default: "
                        "$WATCHLISTS_HOME or the user data dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse usage error -> 2, --help -> 0
        return int(exc.code or 0)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    code = run_job(args.out, names=args.names, offline=args.offline, asof=args.asof,
                   home=args.home)
    log.info("exit code %d", code)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
