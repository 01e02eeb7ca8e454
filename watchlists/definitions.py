"""Watchlist definitions: TOML files naming companies, a benchmark and model assumptions.

A watchlist is a small TOML file (format reference: ``docs/watchlist-format.md``)::

    name = "china-ai-compute"
    benchmark = "000300.SS"
    base_currency = "CNY"

    [assumptions]            # watchlist-wide model defaults
    discount_rate = 0.10

    [[members]]
    company = "cambricon"    # slug or name; or symbol = "688256.SS" to pick a listing
    note = "AI accelerator designer"
    [members.assumptions]    # per-member overrides
    revenue_growth = 0.6

Conventions (shared with :mod:`valuation`): rates and growths are decimals per year
(``0.10`` is 10 %), years are integers, ``net_cash`` is an amount in the company's
reporting currency, symbols are Yahoo Finance symbols.

Every problem with a watchlist file raises :class:`~watchlists.errors.DefinitionError`
naming the file, the line (when it can be located), the member (``#index`` from 1 and
its key) and the field. Assumption records built directly in Python raise plain
``TypeError``/``ValueError`` naming the field and the value.

Provenance: :class:`Assumptions` carries, for every key, where its value came from:
``'default'`` (the class default), ``'watchlist'`` (the file's ``[assumptions]`` table)
or ``'member'`` (a ``[members.assumptions]`` override); ask with
:meth:`Assumptions.source_of` or read :attr:`Assumptions.provenance`.

>>> safe_filename("China AI compute (v2)")
'china-ai-compute-v2-a3c6d7e220'
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, NamedTuple

from watchlists.errors import DataFileError, DefinitionError
from watchlists.records import (
    _show,
    check_currency,
    check_symbol,
    check_text,
    toml_shape_problem,
)

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from watchlists._toml_lines import _Context

# ``tomllib``, ``importlib.resources``, ``difflib`` and :mod:`watchlists._toml_lines` are
# imported by the functions that parse or find a file or suggest a name, so importing
# this module (``import watchlists`` plus any watchlist name) does not pay for them.

__all__ = [
    "ASSUMPTION_KEYS",
    "MAX_FILE_BYTES",
    "Assumptions",
    "Member",
    "Watchlist",
    "bundled_watchlists",
    "load_watchlist",
    "parse_watchlist",
    "safe_filename",
]

MAX_FILE_BYTES = 1 << 20
"""Largest accepted watchlist file (1 MiB); a real watchlist is a few kilobytes."""
MAX_MEMBERS = 2_000
"""Most members one watchlist may list; a larger universe belongs in a screen."""

Source = Literal["default", "watchlist", "member"]
_SOURCES: tuple[str, ...] = ("default", "watchlist", "member")
_BUNDLED_PREFIX = "bundled:"
_TOP_LEVEL_KEYS = ("name", "description", "benchmark", "base_currency", "assumptions", "members")
_MEMBER_KEYS = ("company", "symbol", "note", "assumptions")
_NAME_RE = r"[A-Za-z0-9 _.-]{1,100}"  # patterns: compiled on first use (by re)
_WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)]
)


def _type_name(value: object) -> str:
    return type(value).__name__


def _suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest valid choice, or ``''``."""
    import difflib  # error paths only

    close = difflib.get_close_matches(word[:100], list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- assumptions


class _Rule(NamedTuple):
    """Type and closed/open range of one assumption."""

    kind: Literal["float", "int"]
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    optional: bool = False  # None allowed (= unknown)
    allow_inf: bool = False  # +inf allowed (sales_to_capital)

    def describe(self) -> str:
        lo = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        if math.isinf(self.hi):
            return lo
        hi = f"< {self.hi:g}" if self.hi_open else f"<= {self.hi:g}"
        return f"{lo} and {hi}"


_INF = math.inf
_RULES: dict[str, _Rule] = {
    "discount_rate": _Rule("float", 0.0, 0.5, lo_open=True, hi_open=True),
    "terminal_growth": _Rule("float", -0.05, 0.08),
    "revenue_growth": _Rule("float", -0.9, 5.0, optional=True),
    "high_years": _Rule("int", 1, 30),
    "fade_years": _Rule("int", 0, 30),
    "operating_margin": _Rule("float", -1.0, 1.0, optional=True),
    "target_margin": _Rule("float", -1.0, 1.0),
    "margin_years": _Rule("int", 1, 30),
    "tax_rate": _Rule("float", 0.0, 0.6),
    "sales_to_capital": _Rule("float", 0.0, _INF, lo_open=True, allow_inf=True),
    "terminal_roic": _Rule("float", -_INF, _INF, lo_open=True, optional=True),
    "net_cash": _Rule("float", -_INF, _INF, lo_open=True, optional=True),
    "upside_alert": _Rule("float", 0.0, 10.0),
}
_MEMBER_ONLY = frozenset({"net_cash"})


def _checked(name: str, value: object, rule: _Rule) -> float | int | None:
    """Validate one assumption value; return it normalised (int -> float for rates)."""
    if value is None:
        if rule.optional:
            return None
        raise TypeError(f"{name} is required and cannot be None")
    if rule.allow_inf and isinstance(value, str) and value.strip().lower() in ("inf", "+inf"):
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "an integer" if rule.kind == "int" else "a number"
        if rule.allow_inf:
            expected += ' or the string "inf"'
        raise TypeError(f"{name} must be {expected}, got {_type_name(value)} {_show(value)}")
    if rule.kind == "int" and not isinstance(value, int):
        raise TypeError(f"{name} must be an integer number of years, got {_show(value)}")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError(f"{name} {value!r} is not a number")
    if isinstance(value, float) and math.isinf(value) and not (rule.allow_inf and value > 0):
        raise ValueError(f"{name} {value!r} must be finite")
    below = value <= rule.lo if rule.lo_open else value < rule.lo
    above = value >= rule.hi if rule.hi_open else value > rule.hi
    if (below or above) and not (rule.allow_inf and value == math.inf):
        raise ValueError(f"{name} {_show(value)} is out of range: must be {rule.describe()}")
    return int(value) if rule.kind == "int" else float(value)


@dataclass(frozen=True)
class Assumptions:
    """Model inputs of the DCF and the alerts, with documented defaults.

    Defaults are our modelling assumptions, not data. ``None`` means *unknown*: with
    ``revenue_growth=None`` a snapshot computes no DCF value but still computes the
    market-implied growth; ``operating_margin=None`` means the bundled data holds no
    operating margin, so a snapshot uses ``target_margin`` from year one and says so;
    ``terminal_roic=None`` means equal to ``discount_rate`` (growth creates no value in
    the terminal phase); ``net_cash=None`` means unknown, taken as 0 with a warning.

    Ranges: ``0 < discount_rate < 0.5``; ``-0.05 <= terminal_growth <= 0.08`` and
    ``terminal_growth < discount_rate``; ``-0.9 <= revenue_growth <= 5``;
    ``1 <= high_years <= 30``; ``0 <= fade_years <= 30``; ``-1 <= operating_margin,
    target_margin <= 1``; ``1 <= margin_years <= 30``; ``0 <= tax_rate <= 0.6``;
    ``sales_to_capital > 0`` (``math.inf`` or the string ``"inf"`` for a business
    that needs no reinvestment); ``terminal_roic > terminal_growth``;
    ``0 <= upside_alert <= 10``. Booleans are rejected where numbers are expected.

    ``provenance`` maps every key to ``'default'``, ``'watchlist'`` or ``'member'``.
    It is filled by :meth:`merged`; when built directly (``provenance=None``), keys
    whose value differs from the default count as ``'watchlist'`` (caller-chosen).
    It takes no part in equality or hashing.
    """

    discount_rate: float = 0.10
    terminal_growth: float = 0.03
    revenue_growth: float | None = None
    high_years: int = 5
    fade_years: int = 5
    operating_margin: float | None = None
    target_margin: float = 0.25
    margin_years: int = 5
    tax_rate: float = 0.25
    sales_to_capital: float = 1.5
    terminal_roic: float | None = None
    net_cash: float | None = None
    upside_alert: float = 0.10
    provenance: Mapping[str, str] | None = field(
        default=None, compare=False, hash=False, repr=False, kw_only=True
    )

    def __post_init__(self) -> None:
        for name, rule in _RULES.items():
            object.__setattr__(self, name, _checked(name, getattr(self, name), rule))
        if not self.terminal_growth < self.discount_rate:
            raise ValueError(
                f"discount_rate {self.discount_rate!r} must exceed "
                f"terminal_growth {self.terminal_growth!r}"
            )
        if self.terminal_roic is not None and not self.terminal_roic > self.terminal_growth:
            raise ValueError(
                f"terminal_roic {self.terminal_roic!r} must exceed "
                f"terminal_growth {self.terminal_growth!r}"
            )
        object.__setattr__(self, "provenance", MappingProxyType(self._provenance()))

    def _provenance(self) -> dict[str, str]:
        given = self.provenance
        if given is None:
            defaults = _DEFAULTS
            return {
                k: "default" if getattr(self, k) == defaults.get(k) else "watchlist"
                for k in ASSUMPTION_KEYS
            }
        if not isinstance(given, Mapping):
            raise TypeError(f"provenance must be a mapping, got {_type_name(given)}")
        out = dict.fromkeys(ASSUMPTION_KEYS, "default")
        for key, src in given.items():
            if key not in out:
                raise ValueError(f"provenance has unknown assumption key {_show(key)}")
            if src not in _SOURCES:
                raise ValueError(
                    f"provenance[{key!r}] {_show(src)} is not one of {', '.join(_SOURCES)}"
                )
            out[key] = src
        return out

    def merged(
        self, overrides: Mapping[str, object], *, source: Literal["watchlist", "member"] = "member"
    ) -> Assumptions:
        """A new, validated record with ``overrides`` applied on top of this one.

        ``source`` labels the provenance of the overridden keys. ``net_cash`` is a
        per-company amount and is accepted only with ``source='member'``. Unknown keys
        raise ``ValueError`` suggesting the closest valid key; the result is validated
        as a whole (e.g. a member's ``terminal_growth`` against the watchlist's
        ``discount_rate``). ``overrides`` is not modified.
        """
        if source not in ("watchlist", "member"):
            raise ValueError(f"source {_show(source)} must be 'watchlist' or 'member'")
        if not isinstance(overrides, Mapping):
            raise TypeError(f"overrides must be a mapping, got {_type_name(overrides)}")
        changes: dict[str, object] = {}
        for key, value in overrides.items():
            if not isinstance(key, str) or key not in _RULES:
                raise ValueError(
                    f"unknown assumption {_show(key)}"
                    f"{_suggest(key, ASSUMPTION_KEYS) if isinstance(key, str) else ''}; "
                    f"valid keys: {', '.join(ASSUMPTION_KEYS)}"
                )
            if key in _MEMBER_ONLY and source != "member":
                raise ValueError(
                    f"{key} {_show(value)} is a per-company amount: "
                    "set it only in a member's [members.assumptions] table"
                )
            changes[key] = value
        provenance = dict(self.provenance or {})
        provenance.update(dict.fromkeys(changes, source))
        return replace(self, **changes, provenance=provenance)  # type: ignore[arg-type]

    def source_of(self, key: str) -> Source:
        """Where the value of ``key`` came from: ``'default'``, ``'watchlist'`` or ``'member'``."""
        if key not in _RULES:
            raise ValueError(
                f"unknown assumption {_show(key)}{_suggest(str(key), ASSUMPTION_KEYS)}"
            )
        assert self.provenance is not None  # filled in __post_init__
        return self.provenance[key]  # type: ignore[return-value]

    def as_dict(self) -> dict[str, float | int | None]:
        """The values as a plain dict in field order (without provenance)."""
        return {key: getattr(self, key) for key in ASSUMPTION_KEYS}

    @property
    def effective_terminal_roic(self) -> float:
        """``terminal_roic``, or ``discount_rate`` when it is unset."""
        return self.discount_rate if self.terminal_roic is None else self.terminal_roic


ASSUMPTION_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Assumptions) if f.name in _RULES)
"""Valid keys of an ``[assumptions]`` table, in field order."""
_DEFAULTS: dict[str, object] = {f.name: f.default for f in fields(Assumptions) if f.name in _RULES}


# --------------------------------------------------------------------------- records


def _require(name: str, value: object, kind: type | tuple[type, ...], what: str) -> None:
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {what}, got {_type_name(value)} {_show(value)}")


def _nonempty_str(name: str, value: object) -> str:
    _require(name, value, str, "a string")
    if not value.strip():
        raise DefinitionError(f"{name} {value!r} must not be empty")
    return value


def _text(name: str, value: str) -> str:
    """:func:`~watchlists.records.check_text` (no control characters) as a DefinitionError."""
    try:
        return check_text(name, value)
    except ValueError as exc:
        raise DefinitionError(str(exc)) from exc


def _by_rule(check: Callable[[str, object], str], name: str, value: object) -> str:
    """A non-empty string passing ``check`` (:func:`~watchlists.records.check_symbol` or
    :func:`~watchlists.records.check_currency`), its ``ValueError`` a DefinitionError."""
    value = _nonempty_str(name, value)
    try:
        return check(name, value)
    except ValueError as exc:
        raise DefinitionError(str(exc)) from exc


def _check_name(value: object) -> str:
    value = _nonempty_str("name", value)
    if not re.fullmatch(_NAME_RE, value) or value.startswith(".") or ".." in value:
        raise DefinitionError(
            f"name {_show(value)} must be 1-100 characters from A-Z a-z 0-9 space _ . - "
            "(no path separators, no '..', not starting with '.'): it becomes a file name"
        )
    return value


@dataclass(frozen=True)
class Member:
    """One watchlist entry.

    ``key`` is the entry as written (the ``symbol`` when given, else the ``company``);
    ``company`` is the slug of its bundled or user profile, or ``None`` for a *bare*
    Yahoo symbol (any ticker on any exchange: its profile comes from the provider on
    refresh); ``symbol`` the Yahoo symbol watched (the primary listing for a company
    key; ``None`` only for an unlisted company); ``overrides`` the member's own
    assumption table as written (read-only); ``assumptions`` the merged, validated
    record (defaults < watchlist < member).
    """

    key: str
    company: str | None
    symbol: str | None
    note: str = ""
    overrides: Mapping[str, object] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    assumptions: Assumptions = field(default_factory=Assumptions)

    def __post_init__(self) -> None:
        _nonempty_str("key", self.key)
        if self.company is not None:
            _nonempty_str("company", self.company)
        elif self.symbol is None:
            raise DefinitionError("a member needs a company or a symbol")
        if self.symbol is not None:
            _by_rule(check_symbol, "symbol", self.symbol)
        _require("note", self.note, str, "a string")
        _text("note", self.note)
        _require("overrides", self.overrides, Mapping, "a mapping")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        _require("assumptions", self.assumptions, Assumptions, "an Assumptions record")

    @property
    def listed(self) -> bool:
        """``False`` for an unlisted company (no symbol, no price)."""
        return self.symbol is not None

    @property
    def bare(self) -> bool:
        """``True`` for a Yahoo symbol without a bundled or user profile."""
        return self.company is None

    @property
    def identity(self) -> str:
        """What makes a member unique: its symbol, or ``company:<slug>`` when unlisted."""
        return self.symbol if self.symbol is not None else f"company:{self.company}"


def _first_duplicate(members: tuple[Member, ...]) -> tuple[int, int] | None:
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        identity = member.identity.upper() if member.listed else member.identity
        if identity in seen:
            return seen[identity], index
        seen[identity] = index
    return None


def _duplicate_message(members: tuple[Member, ...], first: int, second: int) -> str:
    m = members[second]
    what = f"symbol {m.symbol!r}" if m.listed else f"unlisted company {m.company!r}"
    return f"duplicate member: {what} is already member #{first + 1} {members[first].key!r}"


@dataclass(frozen=True)
class Watchlist:
    """A validated watchlist: what to watch, against which benchmark, with which assumptions.

    ``source`` is the file path, or ``'bundled:<name>'`` for a watchlist shipped with
    the package. ``benchmark`` is a Yahoo symbol (an index such as ``^GSPC`` need not
    be a company listing) or ``None``.
    """

    name: str
    description: str
    benchmark: str | None
    base_currency: str
    assumptions: Assumptions
    members: tuple[Member, ...]
    source: str

    def __post_init__(self) -> None:
        _check_name(self.name)
        _require("description", self.description, str, "a string")
        _text("description", self.description)
        if self.benchmark is not None:
            _by_rule(check_symbol, "benchmark", self.benchmark)
        _by_rule(check_currency, "base_currency", self.base_currency)
        _require("assumptions", self.assumptions, Assumptions, "an Assumptions record")
        _require("members", self.members, (tuple, list), "a sequence of Member")
        members = tuple(self.members)
        if not members:
            raise DefinitionError("members must list at least one company")
        if len(members) > MAX_MEMBERS:
            raise DefinitionError(
                f"members lists {len(members)} companies; a watchlist may have at most "
                f"{MAX_MEMBERS}"
            )
        for index, member in enumerate(members):
            _require(f"members[{index}]", member, Member, "a Member")
        duplicate = _first_duplicate(members)
        if duplicate is not None:
            raise DefinitionError(_duplicate_message(members, *duplicate))
        object.__setattr__(self, "members", members)
        _nonempty_str("source", self.source)

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols of the listed members, in file order (benchmark excluded)."""
        return tuple(m.symbol for m in self.members if m.symbol is not None)

    @property
    def price_symbols(self) -> tuple[str, ...]:
        """Everything a price provider must fetch: member symbols, then the benchmark."""
        extra = (self.benchmark,) if self.benchmark and self.benchmark not in self.symbols else ()
        return self.symbols + extra

    @property
    def unlisted(self) -> tuple[Member, ...]:
        """Members without a listing (shown in reports, never priced)."""
        return tuple(m for m in self.members if not m.listed)


# --------------------------------------------------------------------------- resolution


def _resolve_member(key: str, *, kind: Literal["company", "symbol"]
                    ) -> tuple[str | None, str | None]:
    """Resolve a member key through :mod:`watchlists.profiles` to ``(slug, symbol)``.

    ``kind='company'``: slug, name, alias or symbol -> the company's primary listing
    (``None`` when unlisted); an unknown key raises ``KeyError`` (message with close
    matches). ``kind='symbol'``: a Yahoo symbol -> that listing, or ``(None, SYMBOL)``
    (upper-cased) for a symbol without a profile of ours: a bare member. This is the
    one seam tests replace with a fake resolver.
    """
    from watchlists import profiles  # imported lazily: data loads only when needed

    if kind == "symbol":
        try:
            company, listing = profiles.listing(key)
        except KeyError:
            # Any Yahoo symbol is a member; without a profile of ours it is bare.
            return None, check_symbol("symbol", key).upper()
        return company.slug, listing.symbol
    company = profiles.company(key)
    primary = company.primary_listing
    return company.slug, (primary.symbol if primary is not None else None)


def _shorthand_kind(item: str) -> Literal["company", "symbol"]:
    """How a string in ``members = [...]`` is read: one of our listings' symbols means
    that listing (``BABA``, not Alibaba's primary line); else a company key of ours
    (slug, name or alias: its primary listing); else a Yahoo symbol."""
    from watchlists import profiles

    try:
        profiles.listing(item.strip())
    except KeyError:
        pass
    else:
        return "symbol"
    try:
        profiles.company(item.strip())
    except KeyError:
        return "symbol"
    return "company"


def _lookup_message(kind: str, key: str, exc: BaseException) -> str:
    """``unknown <kind> '<key>'`` plus the resolver's hint (close matches), said once."""
    detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    detail = str(detail)[:300]
    head = f"unknown {kind} {_show(key)}"
    return detail if detail.startswith(head) else f"{head}: {detail}"


# --------------------------------------------------------------------------- parsing


class _Parser:
    """Turns one TOML document into a :class:`Watchlist`, or one :class:`DefinitionError`."""

    def __init__(self, text: str, source: str) -> None:
        from watchlists._toml_lines import _Locator

        self.text = text
        self.source = source
        self.locator = _Locator(text)
        self.members_located = False

    def error(
        self,
        message: str,
        *,
        context: _Context = (),
        key: str | None = None,
        member: tuple[int, str | None] | None = None,
    ) -> DefinitionError:
        where = [self.source]
        trust = not (context[:1] == ("members",) and not self.members_located)
        line = self.locator.line(context, key) if trust else None
        if line is not None:
            where.append(f"line {line}")
        if member is not None:
            index, member_key = member
            where.append(
                f"member #{index + 1}" + (f" {_show(member_key)}" if member_key is not None else "")
            )
        return DefinitionError(f"{', '.join(where)}: {message}")

    def parse(self) -> Watchlist:
        import tomllib

        from watchlists._toml_lines import _syntax_error

        try:
            data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            lineno, reason = _syntax_error(exc)
            where = f"{self.source}, line {lineno}" if lineno else self.source
            raise DefinitionError(f"{where}: TOML syntax error: {reason}") from exc
        except RecursionError as exc:
            raise DefinitionError(f"{self.source}: TOML syntax error: nested too deeply") from exc

        for key in data:
            if key not in _TOP_LEVEL_KEYS:
                raise self.error(
                    f"unknown key {_show(key)}{_suggest(key, _TOP_LEVEL_KEYS)}; "
                    f"valid keys: {', '.join(_TOP_LEVEL_KEYS)}",
                    key=key,
                )
        for key in ("name", "members"):
            if key not in data:
                raise self.error(f"missing required field {key!r}")

        name = self.string(data, "name", None)
        description = self.string(data, "description", "")
        benchmark = self.string(data, "benchmark", None)
        currency = self.string(data, "base_currency", "USD")

        table = data.get("assumptions", {})
        if not isinstance(table, dict):
            raise self.error(
                f"assumptions must be a table, got {_type_name(table)} {_show(table)}",
                key="assumptions",
            )
        try:
            assumptions = Assumptions().merged(table, source="watchlist")
        except (TypeError, ValueError) as exc:
            raise self.error(
                f"[assumptions] {exc}", context=("assumptions",), key=self.culprit(table, exc)
            ) from exc

        raw_members = data["members"]
        if not isinstance(raw_members, list):
            raise self.error(
                f"members must be an array of tables ([[members]]) or of strings "
                f"(members = [\"MSFT\", \"cambricon\"]), got "
                f"{_type_name(raw_members)} {_show(raw_members)}",
                key="members",
            )
        if not raw_members:
            raise self.error("members is empty: list at least one company", key="members")
        if len(raw_members) > MAX_MEMBERS:
            raise self.error(
                f"members lists {len(raw_members)} companies; a watchlist may have at most "
                f"{MAX_MEMBERS} (split it, or screen a universe file instead)",
                key="members",
            )
        self.members_located = self.locator.member_headers == len(raw_members)
        members = tuple(
            self.member(index, raw, assumptions) for index, raw in enumerate(raw_members)
        )
        duplicate = _first_duplicate(members)
        if duplicate is not None:
            first, second = duplicate
            raise self.error(
                _duplicate_message(members, first, second),
                context=("members", second),
                key="symbol" if isinstance(raw_members[second], str)
                or "symbol" in raw_members[second] else "company",
                member=(second, members[second].key),
            )
        try:
            return Watchlist(
                name=name,
                description=description,
                benchmark=benchmark,
                base_currency=currency,
                assumptions=assumptions,
                members=members,
                source=self.source,
            )
        except (TypeError, ValueError) as exc:
            bad = next((k for k in _TOP_LEVEL_KEYS if str(exc).startswith(k)), None)
            raise self.error(str(exc), key=bad) from exc

    @staticmethod
    def culprit(table: Mapping[str, object], exc: BaseException) -> str | None:
        """The key an assumption error is about (the first key named in its message)."""
        message = str(exc)
        named = [k for k in table if isinstance(k, str) and k in message]
        return min(named, key=message.index) if named else None

    def string(self, data: Mapping[str, object], key: str, default: str | None) -> str | None:
        """``data[key]`` checked to be a string, or ``default`` when the key is absent."""
        if key not in data:
            return default
        value = data[key]
        if not isinstance(value, str):
            raise self.error(
                f"{key} must be a string, got {_type_name(value)} {_show(value)}", key=key
            )
        return value

    def member(self, index: int, raw: object, base: Assumptions) -> Member:
        context: _Context = ("members", index)
        if isinstance(raw, str):
            raw = {_shorthand_kind(raw): raw}
        if not isinstance(raw, dict):
            raise self.error(
                f"must be a table with company or symbol, or a string (a company or a Yahoo "
                f"symbol), got {_type_name(raw)} {_show(raw)}",
                context=context,
                member=(index, None),
            )
        company_key, symbol_key = raw.get("company"), raw.get("symbol")
        written = symbol_key if isinstance(symbol_key, str) else company_key
        where = (index, written if isinstance(written, str) else None)

        def fail(message: str, key: str | None = None, sub: _Context = ()) -> DefinitionError:
            return self.error(message, context=context + sub, key=key, member=where)

        for key in raw:
            if key not in _MEMBER_KEYS:
                raise fail(
                    f"unknown member key {_show(key)}{_suggest(key, _MEMBER_KEYS)}; "
                    f"valid keys: {', '.join(_MEMBER_KEYS)}",
                    key,
                )
        for key in ("company", "symbol", "note"):
            value = raw.get(key)
            if value is None or (isinstance(value, str) and (value.strip() or key == "note")):
                continue
            raise fail(
                f"{key} must be a non-empty string, got {_type_name(value)} {_show(value)}", key
            )
        if company_key is None and symbol_key is None:
            raise fail("missing field: give company (slug or name) or symbol (Yahoo symbol)")

        def resolve(kind: Literal["company", "symbol"], key: str) -> tuple[str, str | None]:
            try:
                return _resolve_member(key.strip(), kind=kind)
            except DataFileError:
                raise  # a broken data file is its own error, not an unknown member
            except (KeyError, ValueError) as exc:
                raise fail(_lookup_message(kind, key, exc), kind) from exc

        slug: str | None = None
        symbol: str | None = None
        if symbol_key is not None:
            slug, symbol = resolve("symbol", symbol_key)
        if company_key is not None:
            company_slug, primary = resolve("company", company_key)
            if slug is None and symbol is not None:
                raise fail(
                    f"symbol {_show(symbol_key)} is not a listing of company "
                    f"{_show(company_key)} ({company_slug!r}); drop company to watch it as a "
                    "bare Yahoo symbol", "symbol")
            if slug is not None and company_slug != slug:
                raise fail(
                    f"company {_show(company_key)} and symbol {_show(symbol_key)} disagree: "
                    f"{symbol_key} is a listing of {slug!r}, not of {company_slug!r}",
                    "symbol",
                )
            if slug is None:
                slug, symbol = company_slug, primary

        overrides = raw.get("assumptions", {})
        if not isinstance(overrides, dict):
            raise fail(
                f"assumptions must be a table ([members.assumptions]), got "
                f"{_type_name(overrides)} {_show(overrides)}",
                "assumptions",
            )
        try:
            merged = base.merged(overrides, source="member")
        except (TypeError, ValueError) as exc:
            raise fail(
                f"[members.assumptions] {exc}", self.culprit(overrides, exc), ("assumptions",)
            ) from exc
        assert (slug is not None or symbol is not None) and isinstance(written, str)
        try:
            return Member(
                key=written,
                company=slug,
                symbol=symbol,
                note=(raw.get("note") or "").strip(),
                overrides=overrides,
                assumptions=merged,
            )
        except (TypeError, ValueError) as exc:  # a resolver returning a malformed record
            raise fail(str(exc)) from exc


def parse_watchlist(text: str, *, source: str) -> Watchlist:
    """Parse and validate the TOML text of a watchlist (pure: no file access).

    ``source`` names the text in error messages and becomes :attr:`Watchlist.source`.
    Every problem in the text raises :class:`DefinitionError`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {_type_name(text)}")
    if not isinstance(source, str) or not source:
        raise TypeError(f"source must be a non-empty str, got {_show(source)}")
    size = len(text) if len(text) > MAX_FILE_BYTES else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise DefinitionError(
            f"{source}: file too large ({size} bytes; a watchlist may be at most "
            f"{MAX_FILE_BYTES} bytes)"
        )
    problem = toml_shape_problem(text)
    if problem is not None:
        raise DefinitionError(f"{source}: {problem}")
    return _Parser(text, source).parse()


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise DefinitionError(
            f"{source}: file too large (more than {MAX_FILE_BYTES} bytes; "
            "a watchlist is a few kilobytes)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            f"{source}, line {line}: not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from exc


# --------------------------------------------------------------------------- loading


def _bundled_dir() -> Traversable:
    import importlib.resources

    return importlib.resources.files("watchlists").joinpath("data", "watchlists")


def bundled_watchlists() -> list[str]:
    """Names of the watchlists shipped with the package, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _bundled_dir().iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    )


def _is_path(name_or_path: str) -> bool:
    seps = {os.sep, "/"} | ({os.altsep} if os.altsep else set())
    return name_or_path.endswith(".toml") or any(sep in name_or_path for sep in seps)


def load_watchlist(name_or_path: str | os.PathLike[str]) -> Watchlist:
    """Load a bundled watchlist by name (``'china-ai-compute'``) or a user's TOML file.

    A string containing a path separator or ending in ``.toml``, and any ``PathLike``,
    is a path (a leading ``~`` in a string is expanded); anything else is a bundled
    name (see :func:`bundled_watchlists`).
    Every problem - missing file, unknown bundled name, not UTF-8, larger than
    :data:`MAX_FILE_BYTES`, invalid content - raises :class:`DefinitionError`.
    """
    if isinstance(name_or_path, os.PathLike):
        return _load_path(Path(name_or_path))
    if not isinstance(name_or_path, str):
        raise TypeError(
            f"name_or_path must be a str or os.PathLike, got {_type_name(name_or_path)}"
        )
    if not name_or_path.strip():
        raise DefinitionError("watchlist name or path is empty")
    if _is_path(name_or_path):
        return _load_path(Path(name_or_path).expanduser())
    return _load_bundled(name_or_path)


def _load_bundled(name: str) -> Watchlist:
    names = bundled_watchlists()
    if name not in names:
        import difflib  # error path only

        close = difflib.get_close_matches(name[:100], names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise DefinitionError(
            f"no bundled watchlist named {_show(name)}{hint} (available: {', '.join(names)}; "
            "a path to your own file must contain a path separator or end in .toml)"
        )
    data = _bundled_dir().joinpath(f"{name}.toml").read_bytes()
    source = f"{_BUNDLED_PREFIX}{name}"
    return parse_watchlist(_decode(data, source), source=source)


def _load_path(path: Path) -> Watchlist:
    source = str(path)
    try:
        if not path.exists():
            raise DefinitionError(f"{source}: watchlist file does not exist")
        if not path.is_file():
            raise DefinitionError(f"{source}: not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DefinitionError(
                f"{source}: file too large ({size} bytes; a watchlist may be at most "
                f"{MAX_FILE_BYTES} bytes)"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DefinitionError(
            f"{source}: cannot read watchlist file: {exc.strerror or exc}"
        ) from exc
    return parse_watchlist(_decode(data, source), source=source)


# --------------------------------------------------------------------------- file names


def safe_filename(name: str) -> str:
    """A file-name stem for reports: ``[a-z0-9-]``, never empty, no separators, no dot.

    The mapping is injective, so two watchlists never write the same report files: a
    name that already is a plain slug (``china-ai-compute``: lowercase ``[a-z0-9]`` words
    joined by ``-``, at most 80 characters, not a Windows device name) is its own stem;
    any other name becomes a readable slug (accents folded to ASCII, other characters
    ``-``) plus ``-`` and the first 10 hex digits of the SHA-256 of the exact name, at
    most 80 characters in all (``My List`` and ``my_list`` differ).

    >>> safe_filename("china-ai-compute")
    'china-ai-compute'
    >>> safe_filename("../../etc/passwd")
    'etc-passwd-3754d6cb3a'
    >>> safe_filename("...")
    'watchlist-ab5df625bc'
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {_type_name(name)}")
    if (
        len(name) <= _STEM_MAX
        and re.fullmatch(_PLAIN_STEM, name)
        and name not in _WINDOWS_RESERVED
        and not re.search(_HASHED_STEM, name)
    ):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[: _STEM_MAX - _HASH_DIGITS - 1].rstrip("-") or "watchlist"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{slug}-{digest[:_HASH_DIGITS]}"


_STEM_MAX = 80
_HASH_DIGITS = 10
_PLAIN_STEM = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_HASHED_STEM = rf"-[0-9a-f]{{{_HASH_DIGITS}}}$"
