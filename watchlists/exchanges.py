"""Stock exchanges: Yahoo suffixes and codes, calendars, zones, currencies, reporting lags.

Pure data and look-ups (no heavy imports): :mod:`watchlists.calendars` picks each
symbol's sessions from here, and :func:`reporting_lags` says how long after a period's end
a listed company's results must be public.

Look-ups: :func:`for_symbol` (by Yahoo suffix, longest first, so ``.TWO`` beats ``.TW``;
no suffix means New York), :func:`by_code` (our code, as in ``Listing.exchange``),
:func:`from_yahoo` (Yahoo's ``info['exchange']`` code, e.g. ``'NMS'`` → NASDAQ).

``calendar`` is the ``exchange_calendars`` name (``None`` when it has none). Where it has
no calendar of the venue's own a sibling with the same holidays is used: XSHG for
Shenzhen (no XSHE), XBOM for the NSE (no XNSE), XKRX for Kosdaq, XTAI for the Taipei
Exchange (OTC), XNYS for NASDAQ. ``holidays_market`` is the ``holidays`` package's
financial calendar for the venue, used past ``exchange_calendars``' range; ``None`` means
the country's public holidays are used instead (a weaker rule). ``quote_unit`` is what
Yahoo quotes in: London in pence (``GBp``), Johannesburg in cents (``ZAc``), Tel Aviv in
agorot (``ILA``); elsewhere the currency itself.

Reporting lags (conservative statutory deadlines, days after the period end by which
results must be public; "quarterly" also covers half-years):

=======================  =========  ======  ======================================================
market                   quarterly  annual  rule
=======================  =========  ======  ======================================================
United States (domestic)        45      90  SEC: 10-Q 40-45 days, 10-K 60-90 days (non-accelerated
                                            filer deadlines)
US listing of a foreign         60     120  SEC foreign private issuer: 20-F within 4 months;
issuer (ADRs, 20-F/6-K)                     interims by 6-K as home rules require
China A-shares (SSE/SZSE)       60     120  CSRC: Q1/Q3 within 1 month, H1 within 2 months,
                                            annual within 4 months
Hong Kong                       60      90  HKEX Listing Rules: interim 2 months, annual 3 months
UK and EU/EEA markets           90     120  Transparency Directive / FCA DTR 4: half-year within
                                            3 months, annual within 4 months
Switzerland                     90     120  SIX financial reporting: half-year within 3 months,
                                            annual within 4 months
Japan                           45      90  TSE: quarterly within 45 days; annual report within
                                            3 months
South Korea                     45      90  FSCMA: quarterly/half-year within 45 days, annual
                                            within 90 days
Taiwan                          45      90  Securities and Exchange Act art. 36: quarterly within
                                            45 days, annual within 3 months
India                           45      60  SEBI LODR reg. 33: quarterly within 45 days, annual
                                            within 60 days
Australia                       75      90  ASX Listing Rules 4.2A/4.5: half-year within 75 days,
                                            annual within 3 months
Canada                          45      90  NI 51-102: interim within 45 days, annual within 90
                                            days (non-venture issuers)
Singapore                       45      60  SGX Rule 705: half-year/quarterly within 45 days,
                                            full year within 60 days
anything else                   90     120  no table entry: conservative default
=======================  =========  ======  ======================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "EXCHANGES",
    "EXCHANGE_CODES",
    "Exchange",
    "by_code",
    "country_iso2",
    "for_symbol",
    "foreign_issuer_lags",
    "from_yahoo",
    "reporting_lags",
]

_EU_RULE = (
    "EU Transparency Directive / FCA DTR 4: half-year within 3 months, annual within 4 months"
)
#: Reporting lags by market country: (quarterly days, annual days, rule).
_LAGS: dict[str, tuple[int, int, str]] = {
    "US": (45, 90, "SEC: 10-Q 40-45 days, 10-K 60-90 days (non-accelerated filer deadlines)"),
    "CN": (60, 120, "CSRC: Q1/Q3 within 1 month, H1 within 2 months, annual within 4 months"),
    "HK": (60, 90, "HKEX Listing Rules: interim within 2 months, annual within 3 months"),
    "CH": (90, 120, "SIX financial reporting: half-year within 3 months, annual within 4 months"),
    "JP": (45, 90, "TSE: quarterly within 45 days; annual securities report within 3 months"),
    "KR": (45, 90, "FSCMA: quarterly/half-year within 45 days, annual within 90 days"),
    "TW": (45, 90, "Securities and Exchange Act art. 36: quarterly within 45 days, "
                   "annual within 3 months"),
    "IN": (45, 60, "SEBI LODR reg. 33: quarterly within 45 days, annual within 60 days"),
    "AU": (75, 90, "ASX Listing Rules 4.2A/4.5: half-year within 75 days, annual within 3 months"),
    "CA": (45, 90, "NI 51-102: interim within 45 days, annual within 90 days (non-venture)"),
    "SG": (45, 60, "SGX Rule 705: half-year/quarterly within 45 days, full year within 60 days"),
}
# UK and EU/EEA markets: the Transparency Directive (FCA DTR 4 in the UK).
for _cc in ("GB", "IE", "NL", "DE", "FR", "IT", "ES", "PT", "BE", "AT", "DK", "SE", "FI",
            "NO", "PL", "LU", "GR", "CZ", "HU", "RO", "IS", "EE", "LV", "LT", "SI", "HR"):
    _LAGS[_cc] = (90, 120, _EU_RULE)
_DEFAULT_LAGS = (90, 120, "no table entry: conservative default")
_FOREIGN_ISSUER_LAGS = (
    60, 120, "SEC foreign private issuer: 20-F within 4 months; interims by 6-K as home "
             "rules require (60 days assumed)",
)


@dataclass(frozen=True)
class Exchange:
    """One stock exchange (see the module docstring for the conventions)."""

    code: str
    name: str
    mic: str
    calendar: str | None
    timezone: str
    close: dt.time
    country: str
    currency: str
    quote_unit: str
    suffixes: tuple[str, ...]
    yahoo_codes: tuple[str, ...]
    lag_quarterly_days: int
    lag_annual_days: int
    lag_rule: str
    #: ``holidays`` package financial calendar (``None``: the country's public holidays).
    holidays_market: str | None = None
    #: Weekend days (``date.weekday()`` numbers): Sat/Sun except Saudi Arabia (Fri/Sat).
    weekend: tuple[int, ...] = (5, 6)


def _ex(code: str, name: str, mic: str, calendar: str | None, timezone: str, close: str,
        country: str, currency: str, suffixes: tuple[str, ...], yahoo_codes: tuple[str, ...],
        *, holidays_market: str | None = None, quote_unit: str | None = None,
        weekend: tuple[int, ...] = (5, 6)) -> Exchange:
    hour, minute = (int(part) for part in close.split(":"))
    quarterly, annual, rule = _LAGS.get(country, _DEFAULT_LAGS)
    return Exchange(
        code=code, name=name, mic=mic, calendar=calendar, timezone=timezone,
        close=dt.time(hour, minute), country=country, currency=currency,
        quote_unit=quote_unit or currency, suffixes=suffixes, yahoo_codes=yahoo_codes,
        lag_quarterly_days=quarterly, lag_annual_days=annual, lag_rule=rule,
        holidays_market=holidays_market, weekend=weekend,
    )


#: Every exchange we know. NYSE comes first: it is the entry for suffix-less symbols.
EXCHANGES: tuple[Exchange, ...] = (
    # Americas
    _ex("NYSE", "New York Stock Exchange", "XNYS", "XNYS", "America/New_York", "16:00",
        "US", "USD", (), ("NYQ", "NYS", "ASE", "PCX", "BTS"), holidays_market="XNYS"),
    _ex("NASDAQ", "Nasdaq", "XNAS", "XNYS", "America/New_York", "16:00",
        "US", "USD", (), ("NMS", "NGM", "NCM", "NAS"), holidays_market="XNYS"),
    _ex("TSX", "Toronto Stock Exchange", "XTSE", "XTSE", "America/Toronto", "16:00",
        "CA", "CAD", (".TO",), ("TOR",), holidays_market="XTSE"),
    _ex("TSXV", "TSX Venture Exchange", "XTSX", "XTSX", "America/Toronto", "16:00",
        "CA", "CAD", (".V",), ("VAN",), holidays_market="XTSE"),
    _ex("B3", "B3 (Sao Paulo)", "BVMF", "BVMF", "America/Sao_Paulo", "18:00",
        "BR", "BRL", (".SA",), ("SAO",), holidays_market="BVMF"),
    _ex("BMV", "Bolsa Mexicana de Valores", "XMEX", "XMEX", "America/Mexico_City", "15:00",
        "MX", "MXN", (".MX",), ("MEX",), holidays_market="XMEX"),
    # Greater China
    _ex("SSE", "Shanghai Stock Exchange", "XSHG", "XSHG", "Asia/Shanghai", "15:00",
        "CN", "CNY", (".SS",), ("SHH",), holidays_market="XSHG"),
    _ex("SZSE", "Shenzhen Stock Exchange", "XSHE", "XSHG", "Asia/Shanghai", "15:00",
        "CN", "CNY", (".SZ",), ("SHZ",), holidays_market="XSHE"),
    _ex("HKEX", "Hong Kong Exchanges and Clearing", "XHKG", "XHKG", "Asia/Hong_Kong", "16:00",
        "HK", "HKD", (".HK",), ("HKG",), holidays_market="XHKG"),
    _ex("TWSE", "Taiwan Stock Exchange", "XTAI", "XTAI", "Asia/Taipei", "13:30",
        "TW", "TWD", (".TW",), ("TAI",), holidays_market="XTAI"),
    _ex("TPEX", "Taipei Exchange (OTC)", "ROCO", "XTAI", "Asia/Taipei", "13:30",
        "TW", "TWD", (".TWO",), ("TWO",), holidays_market="XTAI"),
    # Rest of Asia-Pacific
    _ex("TSE", "Tokyo Stock Exchange", "XTKS", "XTKS", "Asia/Tokyo", "15:30",
        "JP", "JPY", (".T",), ("JPX",), holidays_market="XJPX"),
    _ex("KRX", "Korea Exchange (KOSPI)", "XKRX", "XKRX", "Asia/Seoul", "15:30",
        "KR", "KRW", (".KS",), ("KSC",), holidays_market="XKRX"),
    _ex("KOSDAQ", "Korea Exchange (KOSDAQ)", "XKOS", "XKRX", "Asia/Seoul", "15:30",
        "KR", "KRW", (".KQ",), ("KOE",), holidays_market="XKRX"),
    _ex("NSE", "National Stock Exchange of India", "XNSE", "XBOM", "Asia/Kolkata", "15:30",
        "IN", "INR", (".NS",), ("NSI",), holidays_market="XNSE"),
    _ex("BSE", "BSE (Bombay Stock Exchange)", "XBOM", "XBOM", "Asia/Kolkata", "15:30",
        "IN", "INR", (".BO",), ("BSE",), holidays_market="XBOM"),
    _ex("SGX", "Singapore Exchange", "XSES", "XSES", "Asia/Singapore", "17:00",
        "SG", "SGD", (".SI",), ("SES",), holidays_market="XSES"),
    _ex("IDX", "Indonesia Stock Exchange", "XIDX", "XIDX", "Asia/Jakarta", "15:50",
        "ID", "IDR", (".JK",), ("JKT",)),
    _ex("SET", "Stock Exchange of Thailand", "XBKK", "XBKK", "Asia/Bangkok", "16:30",
        "TH", "THB", (".BK",), ("SET",)),
    _ex("BURSA", "Bursa Malaysia", "XKLS", "XKLS", "Asia/Kuala_Lumpur", "17:00",
        "MY", "MYR", (".KL",), ("KLS",)),
    _ex("ASX", "Australian Securities Exchange", "XASX", "XASX", "Australia/Sydney", "16:00",
        "AU", "AUD", (".AX",), ("ASX",), holidays_market="XASX"),
    _ex("NZX", "New Zealand Exchange", "XNZE", "XNZE", "Pacific/Auckland", "16:45",
        "NZ", "NZD", (".NZ",), ("NZE",), holidays_market="XNZE"),
    # Europe
    _ex("LSE", "London Stock Exchange", "XLON", "XLON", "Europe/London", "16:30",
        "GB", "GBP", (".L",), ("LSE",), holidays_market="XLON", quote_unit="GBp"),
    _ex("ISE", "Euronext Dublin", "XDUB", "XDUB", "Europe/Dublin", "16:28",
        "IE", "EUR", (".IR",), ("ISE",), holidays_market="XDUB"),
    _ex("AMS", "Euronext Amsterdam", "XAMS", "XAMS", "Europe/Amsterdam", "17:30",
        "NL", "EUR", (".AS",), ("AMS",), holidays_market="XAMS"),
    _ex("EPA", "Euronext Paris", "XPAR", "XPAR", "Europe/Paris", "17:30",
        "FR", "EUR", (".PA",), ("PAR",), holidays_market="XPAR"),
    _ex("EBR", "Euronext Brussels", "XBRU", "XBRU", "Europe/Brussels", "17:30",
        "BE", "EUR", (".BR",), ("BRU",), holidays_market="XBRU"),
    _ex("ELI", "Euronext Lisbon", "XLIS", "XLIS", "Europe/Lisbon", "16:30",
        "PT", "EUR", (".LS",), ("LIS",), holidays_market="XLIS"),
    _ex("MIL", "Euronext Milan (Borsa Italiana)", "XMIL", "XMIL", "Europe/Rome", "17:30",
        "IT", "EUR", (".MI",), ("MIL",), holidays_market="XMIL"),
    _ex("OSL", "Euronext Oslo (Oslo Børs)", "XOSL", "XOSL", "Europe/Oslo", "16:20",
        "NO", "NOK", (".OL",), ("OSL",), holidays_market="XOSL"),
    _ex("XETRA", "Deutsche Börse Xetra", "XETR", "XETR", "Europe/Berlin", "17:30",
        "DE", "EUR", (".DE",), ("GER",), holidays_market="XETR"),
    _ex("FRA", "Börse Frankfurt", "XFRA", "XFRA", "Europe/Berlin", "17:30",
        "DE", "EUR", (".F",), ("FRA",), holidays_market="XFRA"),
    _ex("SIX", "SIX Swiss Exchange", "XSWX", "XSWX", "Europe/Zurich", "17:30",
        "CH", "CHF", (".SW",), ("EBS",), holidays_market="XSWX"),
    _ex("BME", "Bolsa de Madrid", "XMAD", "XMAD", "Europe/Madrid", "17:30",
        "ES", "EUR", (".MC",), ("MCE",), holidays_market="XMAD"),
    _ex("VIE", "Wiener Börse", "XWBO", "XWBO", "Europe/Vienna", "17:30",
        "AT", "EUR", (".VI",), ("VIE",)),
    _ex("CPH", "Nasdaq Copenhagen", "XCSE", "XCSE", "Europe/Copenhagen", "17:00",
        "DK", "DKK", (".CO",), ("CPH",)),
    _ex("STO", "Nasdaq Stockholm", "XSTO", "XSTO", "Europe/Stockholm", "17:30",
        "SE", "SEK", (".ST",), ("STO",)),
    _ex("HEL", "Nasdaq Helsinki", "XHEL", "XHEL", "Europe/Helsinki", "18:30",
        "FI", "EUR", (".HE",), ("HEL",)),
    _ex("WSE", "Warsaw Stock Exchange", "XWAR", "XWAR", "Europe/Warsaw", "17:00",
        "PL", "PLN", (".WA",), ("WSE",), holidays_market="XWAR"),
    _ex("BIST", "Borsa Istanbul", "XIST", "XIST", "Europe/Istanbul", "18:00",
        "TR", "TRY", (".IS",), ("IST",), holidays_market="XIST"),
    # Middle East and Africa
    _ex("TASE", "Tel Aviv Stock Exchange", "XTAE", "XTAE", "Asia/Jerusalem", "17:15",
        "IL", "ILS", (".TA",), ("TLV",), quote_unit="ILA"),
    _ex("TADAWUL", "Saudi Exchange (Tadawul)", "XSAU", "XSAU", "Asia/Riyadh", "15:00",
        "SA", "SAR", (".SR",), ("SAU",), holidays_market="XSAU", weekend=(4, 5)),
    _ex("JSE", "Johannesburg Stock Exchange", "XJSE", "XJSE", "Africa/Johannesburg", "17:00",
        "ZA", "ZAR", (".JO",), ("JNB",), holidays_market="XJSE", quote_unit="ZAc"),
)

EXCHANGE_CODES: frozenset[str] = frozenset(ex.code for ex in EXCHANGES)

_BY_CODE = {ex.code: ex for ex in EXCHANGES}
_BY_YAHOO = {code: ex for ex in EXCHANGES for code in ex.yahoo_codes}
# Longest suffix first, so ".TWO" is tried before ".TW".
_SUFFIXES = sorted(((s.upper(), ex) for ex in EXCHANGES for s in ex.suffixes),
                   key=lambda item: -len(item[0]))
#: Yahoo index symbols of a known exchange (any other "^..." symbol has none).
_INDICES = {
    "^GSPC": "NYSE", "^SPX": "NYSE", "^IXIC": "NYSE", "^DJI": "NYSE", "^NDX": "NYSE",
    "^RUT": "NYSE", "^NYA": "NYSE", "^VIX": "NYSE", "^SOX": "NYSE",
    "^HSI": "HKEX", "^HSCE": "HKEX", "^N225": "TSE", "^FTSE": "LSE", "^GDAXI": "XETRA",
    "^FCHI": "EPA", "^AEX": "AMS", "^SSMI": "SIX", "^IBEX": "BME", "^STOXX50E": "XETRA",
    "^GSPTSE": "TSX", "^AXJO": "ASX", "^KS11": "KRX", "^TWII": "TWSE", "^BSESN": "BSE",
    "^NSEI": "NSE", "^STI": "SGX", "^JKSE": "IDX", "^SSEC": "SSE",
}
_US = frozenset({"NYSE", "NASDAQ"})


def for_symbol(symbol: str) -> Exchange | None:
    """The exchange of a Yahoo symbol, or ``None`` when it has none we know.

    By suffix (case-insensitive, longest first: ``.TWO`` is the Taipei Exchange, ``.TW``
    the TWSE). A symbol without a suffix (``MSFT``, ``BRK-B``) gets the NYSE entry: it
    is used for its calendar and zone, which NASDAQ shares. Well-known ``^`` indices map
    to their exchange (``^GSPC`` → NYSE, ``^HSI`` → HKEX, ``^N225`` → TSE, ``^FTSE`` →
    LSE ...); other indices, FX pairs (``=X``) and unknown suffixes give ``None``.
    """
    s = symbol.strip().upper()
    if not s or s.endswith("=X"):
        return None
    if s.startswith("^"):
        code = _INDICES.get(s)
        return _BY_CODE[code] if code else None
    for suffix, ex in _SUFFIXES:
        if s.endswith(suffix) and len(s) > len(suffix):
            return ex
    if "." in s or "=" in s:
        return None
    return _BY_CODE["NYSE"]


def by_code(code: str) -> Exchange:
    """The exchange with our ``code`` (``'NYSE'``, ``'LSE'`` ...); ``KeyError`` otherwise."""
    try:
        return _BY_CODE[code]
    except KeyError:
        import difflib  # only an unknown code needs it

        close = difflib.get_close_matches(str(code).upper(), sorted(EXCHANGE_CODES), n=3)
        hint = f"; close matches: {', '.join(close)}" if close else ""
        raise KeyError(f"unknown exchange code {code!r}{hint}") from None


def from_yahoo(yahoo_code: str | None) -> Exchange | None:
    """The exchange for Yahoo's ``info['exchange']`` code (``'NMS'`` → NASDAQ), or ``None``."""
    if not yahoo_code:
        return None
    return _BY_YAHOO.get(yahoo_code.strip().upper())


#: Common country names (as Yahoo's ``info['country']`` spells them) → ISO 3166 alpha-2.
_COUNTRY_NAMES = {
    "united states": "US", "united states of america": "US", "usa": "US",
    "puerto rico": "US",  # files 10-K/10-Q like any US issuer
    "china": "CN", "people's republic of china": "CN", "hong kong": "HK", "macau": "MO",
    "macao": "MO", "taiwan": "TW", "japan": "JP", "south korea": "KR", "korea": "KR",
    "republic of korea": "KR", "korea, republic of": "KR", "india": "IN",
    "singapore": "SG", "indonesia": "ID", "thailand": "TH", "malaysia": "MY",
    "philippines": "PH", "vietnam": "VN", "australia": "AU", "new zealand": "NZ",
    "united kingdom": "GB", "great britain": "GB", "uk": "GB", "ireland": "IE",
    "netherlands": "NL", "the netherlands": "NL", "germany": "DE", "france": "FR",
    "italy": "IT", "spain": "ES", "portugal": "PT", "belgium": "BE", "luxembourg": "LU",
    "austria": "AT", "switzerland": "CH", "denmark": "DK", "sweden": "SE", "norway": "NO",
    "finland": "FI", "iceland": "IS", "poland": "PL", "greece": "GR", "czech republic": "CZ",
    "hungary": "HU", "turkey": "TR", "türkiye": "TR", "israel": "IL", "saudi arabia": "SA",
    "united arab emirates": "AE", "qatar": "QA", "south africa": "ZA", "egypt": "EG",
    "canada": "CA", "mexico": "MX", "brazil": "BR", "argentina": "AR", "chile": "CL",
    "colombia": "CO", "peru": "PE", "uruguay": "UY", "panama": "PA", "russia": "RU",
    "kazakhstan": "KZ", "cayman islands": "KY", "bermuda": "BM",
    "british virgin islands": "VG", "jersey": "JE", "guernsey": "GG", "isle of man": "IM",
    "monaco": "MC", "cyprus": "CY", "malta": "MT",
}


def country_iso2(country: str | None) -> str | None:
    """ISO 3166 alpha-2 for an ISO2 code or a common country name; ``None`` if neither."""
    if country is None:
        return None
    text = country.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _COUNTRY_NAMES.get(text.casefold())


def foreign_issuer_lags() -> tuple[int, int, str]:
    """(quarterly days, annual days, rule) for a foreign private issuer listed in the US."""
    return _FOREIGN_ISSUER_LAGS


def reporting_lags(symbol: str, country: str | None) -> tuple[int, int, str]:
    """(quarterly days, annual days, rule) by which ``symbol``'s results must be public.

    The listing venue's rules apply; a company of another country listed in the US (an
    ADR such as BABA, a 20-F/6-K filer) gets :func:`foreign_issuer_lags`. ``country`` is
    the company's ISO2 code or a common name (``'China'``, ``'United Kingdom'``); ``None``
    on a US listing is taken as a domestic filer. An unknown venue uses the country's row
    of the table, else the conservative default.
    """
    ex = for_symbol(symbol)
    iso = country_iso2(country)
    if ex is not None and ex.code in _US:
        if country is not None and country.strip() and iso != "US":
            return _FOREIGN_ISSUER_LAGS
        return _LAGS["US"]
    if ex is not None:
        return ex.lag_quarterly_days, ex.lag_annual_days, ex.lag_rule
    return _LAGS.get(iso or "", _DEFAULT_LAGS)
