"""Frozen, validated records for the bundled company reference data.

Every record validates itself in ``__post_init__`` and raises ``ValueError``
naming the field and the offending value; the loaders in
:mod:`watchlists.profiles` wrap that into :class:`~watchlists.errors.DataFileError`
with the file, the row and a short record id.

Conventions (stated once, used everywhere):

* Numbers are plain floats in base units: a revenue of "2.881 bn CNY" is
  ``value=2881000000.0, unit="CNY"``. Percentages are in percent (``unit="%"``,
  ``44.0`` means +44 %), multiples in ``x``, share counts in ``shares`` (ordinary
  shares, i.e. not ADS: multiply a per-share price by ``Listing.shares_per_unit``).
  ``min_upside`` of an analyst target is a decimal fraction (``0.20`` = 20 %).
* Currencies are ISO 4217 codes from :data:`ISO_CURRENCIES` (:func:`check_currency`),
  symbols are Yahoo Finance symbols (:func:`check_symbol`) and date arguments go
  through :func:`as_date`: the one rule for each, used across the package.
* ``source_url`` holds one or more http(s) URLs joined by ``" ; "``.
* Confidence: ``confirmed`` (two agreeing sources or one close-to-primary
  summary), ``partial`` (one secondary source, approximate date, or a derived
  value: its note then starts with ``derived:``), ``unconfirmed`` (allowed only
  for number-less claims such as a ``min_upside`` target; a :class:`Fact` can
  never be unconfirmed).
* Periods (:data:`PERIOD_GRAMMAR`) are calendar periods; a company's own fiscal
  label (e.g. Alibaba's "Q2 FY2026") goes in the note.
* FX reference rates (:class:`FxRate`) are central-bank reference rates read from
  the bank's own file: ``rate`` is the number of ``to_ccy`` units per one
  ``from_ccy`` unit (the ECB publishes EUR-based rates, stored as EUR→X).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NoReturn

from watchlists.exchanges import EXCHANGE_CODES

__all__ = [
    "CONFIDENCES",
    "EXCHANGES",
    "FACT_METRICS",
    "ISO_CURRENCIES",
    "PERIOD_GRAMMAR",
    "QUOTE_KINDS",
    "ROLES",
    "UNITS",
    "AnalystTarget",
    "Company",
    "Fact",
    "FxRate",
    "Listing",
    "ReferenceQuote",
    "period_bounds",
]

#: ISO 4217 codes accepted anywhere a currency is expected (the major ~40).
ISO_CURRENCIES: frozenset[str] = frozenset(
    {
        "AED", "ARS", "AUD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK",
        "DKK", "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "JPY", "KRW",
        "KWD", "MXN", "MYR", "NOK", "NZD", "PEN", "PHP", "PLN", "QAR", "RON",
        "RUB", "SAR", "SEK", "SGD", "THB", "TRY", "TWD", "USD", "VND", "ZAR",
    }
)  # fmt: skip

#: Exchanges a listing may trade on: every code of :data:`watchlists.exchanges.EXCHANGES`
#: (NYSE, NASDAQ, SSE, SZSE, HKEX, LSE, TSE, AMS, XETRA, TWSE, ...).
EXCHANGES: frozenset[str] = EXCHANGE_CODES

#: Company roles in the AI-compute value chain.
#: ai-chips: AI accelerator designers; gpu: GPU makers; cpu: CPU / x86 makers;
#: foundry: contract chip manufacturing; optical-interconnect: optical modules;
#: cloud: cloud / infrastructure providers; internet: consumer internet platforms;
#: applications: AI application companies (e.g. AI video); telecom-equipment.
ROLES: frozenset[str] = frozenset(
    {
        "ai-chips",
        "applications",
        "cloud",
        "cpu",
        "foundry",
        "gpu",
        "internet",
        "optical-interconnect",
        "telecom-equipment",
    }
)

#: Metrics a :class:`Fact` may carry.
#: revenue / net_income (attributable to shareholders) / adjusted_net_income;
#: cloud_revenue / cloud_adjusted_ebita (cloud segment); capex (spent) and
#: capex_plan (announced budget); shares_outstanding / float_shares (ordinary
#: shares, point in time); market_cap (point in time); kling_revenue (reported),
#: kling_revenue_outlook (company guidance), kling_revenue_estimate (a broker's
#: forecast, named in the note); revenue_guidance_low/high and
#: net_income_guidance_low/high (ranges); revenue_yoy / net_income_yoy /
#: gross_margin / ytd_return / debut_intraday_peak_gain (in %);
#: ipo_proceeds / ipo_net_proceeds / planned_ipo_size_min; retail_oversubscription (x).
FACT_METRICS: frozenset[str] = frozenset(
    {
        "adjusted_net_income",
        "capex",
        "capex_plan",
        "cloud_adjusted_ebita",
        "cloud_revenue",
        "debut_intraday_peak_gain",
        "float_shares",
        "gross_margin",
        "ipo_net_proceeds",
        "ipo_proceeds",
        "kling_revenue",
        "kling_revenue_estimate",
        "kling_revenue_outlook",
        "market_cap",
        "net_income",
        "net_income_guidance_high",
        "net_income_guidance_low",
        "net_income_yoy",
        "planned_ipo_size_min",
        "retail_oversubscription",
        "revenue",
        "revenue_guidance_high",
        "revenue_guidance_low",
        "revenue_yoy",
        "shares_outstanding",
        "ytd_return",
    }
)

#: Non-currency units; any ISO currency code is also a valid unit.
UNITS: frozenset[str] = frozenset({"shares", "%", "x"})

#: Reference quote kinds. ``intraday`` is a price read during the session (e.g. a
#: midday quote): it is NOT a close and must never be used as one.
QUOTE_KINDS: frozenset[str] = frozenset({"close", "open", "intraday", "intraday_high", "ipo_price"})

CONFIDENCES: frozenset[str] = frozenset({"confirmed", "partial", "unconfirmed"})

TargetKind = Literal["price", "min_upside"]
Confidence = Literal["confirmed", "partial", "unconfirmed"]

#: Grammar of :attr:`Fact.period` (calendar periods):
#:
#: ``FY2024``             full year 2024
#: ``Q1-2025`` .. ``Q4-2025``   one quarter
#: ``H1-2025``, ``H2-2025``     half year
#: ``9M-2025``            first nine months (Jan-Sep)
#: ``TTM-2025-09-30``     twelve months ending on that date
#: ``3Y-2025``            N-year span (N = 2..10) starting in 2025 (plans, budgets)
#: ``2025-12-05``         point in time (shares outstanding, market cap)
PERIOD_GRAMMAR = re.compile(
    r"^(?:FY(?P<fy>\d{4})"
    r"|(?P<part>Q[1-4]|H[12]|9M)-(?P<py>\d{4})"
    r"|TTM-(?P<ttm>\d{4}-\d{2}-\d{2})"
    r"|(?P<n>[2-9]|10)Y-(?P<ny>\d{4})"
    r"|(?P<day>\d{4}-\d{2}-\d{2}))$"
)


# The private patterns below are plain strings: ``re.match(pattern, ...)`` compiles each
# on first use and keeps it in the ``re`` module's cache, so importing this module (and
# :mod:`watchlists.definitions`) compiles none of them (~1 ms).
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_COUNTRY = r"^[A-Z]{2}$"
_CURRENCY_SHAPE = r"^[A-Z]{3}$"
_URL = r"^https?://[^\s;<>\"'`\x00-\x1f\x7f-\x9f]+$"
# Control characters no text field may hold: C0 (NUL, ESC, CR, LF, TAB...), DEL and C1.
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_SYMBOL = r"^[A-Za-z0-9^][A-Za-z0-9^.=_-]{0,23}$"
_ISIN = r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$"
_PART_MONTHS = {
    "Q1": (1, 3),
    "Q2": (4, 6),
    "Q3": (7, 9),
    "Q4": (10, 12),
    "H1": (1, 6),
    "H2": (7, 12),
    "9M": (1, 9),
}


# ---------------------------------------------------------------- validators
def _show(value: object, limit: int = 60) -> str:
    """``repr`` of a value, shortened so a hostile file cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(field: str, value: object, why: str) -> NoReturn:
    raise ValueError(f"{field} {_show(value)} {why}")


def check_currency(field: str, value: object) -> str:
    """Return ``value`` if it is an uppercase ISO 4217 code in :data:`ISO_CURRENCIES`.

    The one currency rule of the package; anything else raises ``ValueError`` naming
    ``field`` and the value.
    """
    if not isinstance(value, str) or not re.match(_CURRENCY_SHAPE, value):
        _fail(
            field, value, "is not an ISO 4217 currency code (three uppercase letters, e.g. 'CNY')"
        )
    if value not in ISO_CURRENCIES:
        _fail(field, value, "is not a known ISO 4217 currency code (e.g. 'CNY', 'HKD', 'USD')")
    return value


def check_symbol(field: str, value: object) -> str:
    """Return ``value`` if it is a Yahoo Finance symbol.

    The one symbol rule of the package: 1-24 letters, digits and ``^ . = _ -``,
    starting with a letter, a digit or ``^`` (``688256.SS``, ``BABA``, ``^GSPC``,
    ``CNY=X``). Anything else raises ``ValueError`` naming ``field`` and the value.
    """
    if not isinstance(value, str) or not re.match(_SYMBOL, value):
        _fail(
            field,
            value,
            "is not a Yahoo symbol (1-24 letters, digits and ^ . = _ -, "
            "e.g. '688256.SS', 'BABA', '^GSPC')",
        )
    return value


def as_date(field: str, value: object) -> date:
    """``value`` as a ``datetime.date``: the one date rule for arguments.

    Accepts a ``datetime.date``, a ``datetime`` or ``pandas.Timestamp`` (its own
    calendar date), a ``numpy.datetime64`` or a date string :class:`pandas.Timestamp`
    parses (``'2025-12-04'``). ``None``, numbers and NaT are rejected: ``TypeError`` for
    a value that is not date-like, ``ValueError`` for text or NaT that is not a date;
    both name ``field`` and the value.
    """
    if isinstance(value, datetime):
        if value != value:  # NaT (a datetime subclass) equals nothing
            raise ValueError(f"{field} must be a date, got NaT")
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or isinstance(value, bool | int | float):
        raise TypeError(f"{field} must be a date, got {type(value).__name__} {_show(value)}")
    import pandas as pd  # lazily: records stays importable without loading pandas

    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        kind = ValueError if isinstance(value, str) else TypeError
        raise kind(f"{field} must be a date, got {type(value).__name__} {_show(value)}") from exc
    if ts is pd.NaT:
        raise ValueError(f"{field} must be a date, got {_show(value)}")
    return ts.date()


def check_source_url(field: str, value: object) -> str:
    """One or more http(s) URLs joined by ``' ; '``."""
    if not isinstance(value, str) or not value.strip():
        _fail(field, value, "is required: every record needs a source URL")
    parts = [p.strip() for p in value.split(" ; ")]  # type: ignore[union-attr]
    for part in parts:
        if not re.match(_URL, part):
            _fail(
                field,
                value,
                f"contains {part!r}, which is not an http(s) URL (join several URLs with ' ; ')",
            )
    return value  # type: ignore[return-value]


def check_text(field: str, value: str) -> str:
    """Return ``value`` if it holds no control character (C0 such as NUL, TAB, CR, LF and
    ESC; DEL; C1): the one text rule of the package, so no data can move a terminal's
    cursor, set its title or hide text in a report. Raises ``ValueError`` naming ``field``
    and the value (``repr``)."""
    bad = re.search(_CONTROL, value)
    if bad is not None:
        _fail(field, value, f"contains the control character {bad.group()!r}; "
              "text fields must be printable text on one line")
    return value


def _check_str(field: str, value: object, *, empty_ok: bool = False) -> None:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        _fail(field, value, "must be a non-empty string")
    check_text(field, value)


MAX_TOML_KEY_DEPTH = 8
"""Most dotted parts one TOML key or table header may have (``[members.assumptions]``: 2)."""
MAX_TOML_LINE_CHARS = 16_384
"""Longest accepted line of a TOML file: a long description fits many times over."""
_TOML_STRING = r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''
_TOML_DEEP_KEY = rf"(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*){{{MAX_TOML_KEY_DEPTH},}}"  # with re.ASCII


def toml_shape_problem(text: str) -> str | None:
    """Why ``text`` is refused before TOML parsing, or ``None``: a line longer than
    :data:`MAX_TOML_LINE_CHARS`, or a dotted key deeper than :data:`MAX_TOML_KEY_DEPTH`
    (``tomllib`` parses deep dotted keys in quadratic time). Linear in ``len(text)``."""
    strings, deep_key = re.compile(_TOML_STRING), re.compile(_TOML_DEEP_KEY, re.ASCII)
    in_multiline: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_TOML_LINE_CHARS:
            return (f"line {number} is {len(line)} characters long (at most "
                    f"{MAX_TOML_LINE_CHARS}); refused before parsing")
        if in_multiline is not None:  # inside a multi-line string: only look for its end
            if line.count(in_multiline) % 2:
                in_multiline = None
            continue
        for quote in ('"""', "'''"):
            if line.count(quote) % 2:
                in_multiline = quote
                line = line.split(quote, 1)[0]
                break
        if deep_key.search(strings.sub("s", line).split("#", 1)[0]):
            return (f"line {number} has a dotted key of more than {MAX_TOML_KEY_DEPTH} "
                    "parts; refused before parsing")
    return None


def _check_choice(field: str, value: object, allowed: frozenset[str]) -> None:
    if value not in allowed:
        _fail(field, value, f"is not one of {sorted(allowed)}")


def _check_number(field: str, value: object, *, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(field, value, "must be a finite number")
    if positive and value <= 0:  # type: ignore[operator]
        _fail(field, value, "must be > 0")


def _check_date(field: str, value: object) -> None:
    if not isinstance(value, date):
        _fail(field, value, "must be a datetime.date (YYYY-MM-DD)")


def parse_date(field: str, text: str) -> date:
    """Parse a strict ``YYYY-MM-DD`` string, naming ``field`` on failure."""
    if not re.match(_ISO_DATE, text):
        _fail(field, text, "is not a date in YYYY-MM-DD form")
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(field, text, "is not a valid calendar date")


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day covered by a :data:`PERIOD_GRAMMAR` period.

    >>> period_bounds("9M-2025")
    (datetime.date(2025, 1, 1), datetime.date(2025, 9, 30))
    >>> period_bounds("2025-12-05")
    (datetime.date(2025, 12, 5), datetime.date(2025, 12, 5))
    """
    m = PERIOD_GRAMMAR.match(period) if isinstance(period, str) else None
    if m is None:
        _fail(
            "period",
            period,
            "does not match the period grammar "
            "(FY2024, Q1-2025, H1-2025, 9M-2025, TTM-2025-09-30, 3Y-2025, 2025-12-05)",
        )
    if m["fy"]:
        y = int(m["fy"])
        return date(y, 1, 1), date(y, 12, 31)
    if m["part"]:
        y = int(m["py"])
        first, last = _PART_MONTHS[m["part"]]
        end = date(y + 1, 1, 1) if last == 12 else date(y, last + 1, 1)
        return date(y, first, 1), date.fromordinal(end.toordinal() - 1)
    if m["ttm"]:
        end = parse_date("period", m["ttm"])
        try:
            start = end.replace(year=end.year - 1)
        except ValueError:  # 29 February
            start = end.replace(year=end.year - 1, day=28)
        return date.fromordinal(start.toordinal() + 1), end
    if m["n"]:
        y = int(m["ny"])
        return date(y, 1, 1), date(y + int(m["n"]) - 1, 12, 31)
    day = parse_date("period", m["day"])
    return day, day


# ---------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class Listing:
    """One exchange listing of a company.

    ``shares_per_unit`` is the number of ordinary shares one traded unit
    represents (1 for ordinary shares; 8 for an Alibaba ADS).
    """

    symbol: str
    exchange: str
    board: str
    currency: str
    primary: bool
    shares_per_unit: float = 1.0
    isin: str | None = None
    source_url: str | None = None

    def __post_init__(self) -> None:
        check_symbol("symbol", self.symbol)
        if self.symbol != self.symbol.upper():
            _fail("symbol", self.symbol, "must be in upper case, as Yahoo writes it")
        _check_choice("exchange", self.exchange, EXCHANGES)
        _check_str("board", self.board)
        check_currency("currency", self.currency)
        if not isinstance(self.primary, bool):
            _fail("primary", self.primary, "must be true or false")
        _check_number("shares_per_unit", self.shares_per_unit, positive=True)
        if self.isin is not None and not (isinstance(self.isin, str)
                                          and re.match(_ISIN, self.isin)):
            _fail("isin", self.isin, "is not an ISIN (2 letters, 9 alphanumerics, 1 digit)")
        if self.source_url is not None:
            check_source_url("source_url", self.source_url)


@dataclass(frozen=True, slots=True)
class Company:
    """A company in the coverage; ``listings`` is empty for an unlisted company.

    ``country`` is the ISO 3166 alpha-2 code of the main operations (Alibaba is
    Cayman-domiciled but ``CN``). ``description`` is in our own words.
    """

    slug: str
    name: str
    legal_name: str
    local_name: str
    country: str
    role: str | None = None
    listings: tuple[Listing, ...] = ()
    description: str = ""
    aliases: tuple[str, ...] = ()
    source_url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.slug, str) or not re.match(_SLUG, self.slug):
            _fail("slug", self.slug, "must be lowercase [a-z0-9-] (e.g. 'moore-threads')")
        _check_str("name", self.name)
        _check_str("legal_name", self.legal_name)
        _check_str("local_name", self.local_name, empty_ok=True)
        if not isinstance(self.country, str) or not re.match(_COUNTRY, self.country):
            _fail("country", self.country, "is not an ISO 3166 alpha-2 code (e.g. 'CN', 'US')")
        if self.role is not None:  # the AI-chain role of the bundled data; optional
            _check_choice("role", self.role, ROLES)
        if not isinstance(self.listings, tuple) or not all(
            isinstance(x, Listing) for x in self.listings
        ):
            _fail("listings", self.listings, "must be a tuple of Listing")
        symbols = [x.symbol for x in self.listings]
        if len(set(symbols)) != len(symbols):
            _fail("listings", symbols, "contains a duplicate symbol")
        if self.listings and sum(x.primary for x in self.listings) != 1:
            _fail("listings", symbols, "must have exactly one primary listing")
        _check_str("description", self.description, empty_ok=True)
        if not isinstance(self.aliases, tuple) or not all(
            isinstance(a, str) and a.strip() for a in self.aliases
        ):
            _fail("aliases", self.aliases, "must be a tuple of non-empty strings")
        if self.source_url is not None:
            check_source_url("source_url", self.source_url)

    @property
    def primary_listing(self) -> Listing | None:
        """The primary listing, or ``None`` for an unlisted company."""
        return next((x for x in self.listings if x.primary), None)

    @property
    def listed(self) -> bool:
        return bool(self.listings)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(x.symbol for x in self.listings)


def _check_common(obj: AnalystTarget | Fact | ReferenceQuote, numbered: str | None) -> None:
    """``source_url``, ``confidence`` and ``note`` of a sourced record.

    ``numbered`` names a record that carries a number (``'a fact'``), which an
    unconfirmed claim may not; ``None`` when the record has no number.
    """
    _check_choice("confidence", obj.confidence, CONFIDENCES)
    if numbered is not None and obj.confidence == "unconfirmed":
        _fail(
            "confidence",
            obj.confidence,
            f"is not allowed for {numbered}: an unconfirmed claim gets no number",
        )
    check_source_url("source_url", obj.source_url)
    _check_str("note", obj.note, empty_ok=True)
    if obj.confidence == "partial" and "derived" in obj.note.lower():
        if not obj.note.lower().startswith("derived:"):
            _fail("note", obj.note, "of a derived value must start with 'derived: <how>'")


@dataclass(frozen=True, slots=True)
class AnalystTarget:
    """A broker's view on one listing.

    ``kind="price"``: ``target`` is a price in ``currency``. ``kind="min_upside"``:
    a claim without a price ("target implies more than 20 % upside from the
    high"): ``target`` is ``None``, ``min_upside`` a decimal fraction and
    ``reference`` the price it is measured from (``high`` or ``close``).
    ``published`` is ``None`` only with ``date_unknown=True``.
    """

    company: str
    symbol: str
    broker: str
    rating: str | None
    kind: TargetKind
    target: float | None
    min_upside: float | None
    reference: Literal["high", "close"] | None
    currency: str
    published: date | None
    date_unknown: bool
    previous_target: float | None
    source_url: str
    confidence: Confidence
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.company}/{self.broker}"

    def __post_init__(self) -> None:
        _check_str("company", self.company)
        check_symbol("symbol", self.symbol)
        _check_str("broker", self.broker)
        if self.rating is not None:
            _check_str("rating", self.rating)
        _check_choice("kind", self.kind, frozenset({"price", "min_upside"}))
        if self.kind == "price":
            if self.target is None:
                _fail("target", self.target, "is required for kind 'price'")
            _check_number("target", self.target, positive=True)
            if self.min_upside is not None:
                _fail("min_upside", self.min_upside, "must be empty for kind 'price'")
            if self.reference is not None:
                _fail("reference", self.reference, "must be empty for kind 'price'")
        else:
            if self.target is not None:
                _fail(
                    "target",
                    self.target,
                    "must be empty for kind 'min_upside' (a claim without a price has no target)",
                )
            if self.min_upside is None:
                _fail("min_upside", self.min_upside, "is required for kind 'min_upside'")
            _check_number("min_upside", self.min_upside, positive=True)
            _check_choice("reference", self.reference, frozenset({"high", "close"}))
        check_currency("currency", self.currency)
        if not isinstance(self.date_unknown, bool):
            _fail("date_unknown", self.date_unknown, "must be true or false")
        if self.published is None:
            if not self.date_unknown:
                _fail("published", self.published, "is missing: give a date or set date_unknown")
        else:
            _check_date("published", self.published)
            if self.date_unknown:
                _fail("date_unknown", self.date_unknown, "must be false when published is given")
        if self.previous_target is not None:
            _check_number("previous_target", self.previous_target, positive=True)
        _check_common(self, "a price target" if self.kind == "price" else None)


@dataclass(frozen=True, slots=True)
class Fact:
    """A sourced figure about a company.

    ``asof`` is the date the figure became public (or, when the release day is
    not in the sources, a conservative known-by date explained in the note).
    ``currency`` equals ``unit`` for money and is ``None`` for shares, % and x.
    """

    company: str
    metric: str
    value: float
    unit: str
    currency: str | None
    period: str
    asof: date
    source_url: str
    confidence: Literal["confirmed", "partial"]
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.company}/{self.metric}/{self.period}"

    def __post_init__(self) -> None:
        _check_str("company", self.company)
        _check_choice("metric", self.metric, FACT_METRICS)
        _check_number("value", self.value)
        if self.unit in UNITS:
            if self.currency is not None:
                _fail("currency", self.currency, f"must be empty for unit {self.unit!r}")
        else:
            check_currency("unit", self.unit)
            if self.currency != self.unit:
                _fail("currency", self.currency, f"must equal the unit {self.unit!r}")
        if self.metric in {"shares_outstanding", "float_shares"} and self.unit != "shares":
            _fail("unit", self.unit, f"must be 'shares' for {self.metric}")
        if self.unit == "shares" and self.value <= 0:
            _fail("value", self.value, "must be > 0 for a share count")
        period_bounds(self.period)
        _check_date("asof", self.asof)
        _check_common(self, "a fact")


@dataclass(frozen=True, slots=True)
class ReferenceQuote:
    """A sourced price point of one listing (see :data:`QUOTE_KINDS`)."""

    symbol: str
    date: date
    kind: str
    value: float
    currency: str
    source_url: str
    confidence: Literal["confirmed", "partial"]
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.symbol}/{self.kind}/{self.date.isoformat()}"

    def __post_init__(self) -> None:
        check_symbol("symbol", self.symbol)
        _check_date("date", self.date)
        _check_choice("kind", self.kind, QUOTE_KINDS)
        _check_number("value", self.value, positive=True)
        check_currency("currency", self.currency)
        _check_common(self, "a quote")


@dataclass(frozen=True, slots=True)
class FxRate:
    """A reference FX rate: ``rate`` units of ``to_ccy`` per one ``from_ccy`` on ``date``.

    Read from a central bank's own published file (the ECB's daily reference rates,
    EUR→X), so there is no confidence mark: the file is the primary source. Cross
    rates (e.g. USD→CNY from EUR→CNY and EUR→USD) are derived values and are not
    stored as records.
    """

    date: date
    from_ccy: str
    to_ccy: str
    rate: float
    source_url: str
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.from_ccy}{self.to_ccy}/{self.date.isoformat()}"

    def __post_init__(self) -> None:
        _check_date("date", self.date)
        check_currency("from_ccy", self.from_ccy)
        check_currency("to_ccy", self.to_ccy)
        if self.from_ccy == self.to_ccy:
            _fail("to_ccy", self.to_ccy, "must differ from from_ccy (a rate needs two currencies)")
        _check_number("rate", self.rate, positive=True)
        check_source_url("source_url", self.source_url)
        _check_str("note", self.note, empty_ok=True)
