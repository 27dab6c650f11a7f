"""Check that every number an insight states comes from the facts it cites.

What counts as grounded, for a number written in an insight's title, text or suggested action:

- it equals (in absolute value, since "down 12" states a change of -12) the value, previous value,
  change, relative change or share of a cited fact, after rounding that fact to the number of
  decimals written (``12.46`` grounds ``12.5`` and ``12``; ``1,234.50`` grounds ``€1,234.5``); an
  integer with trailing zeros may also be a rounding to that many zeros within 5% (``1,200`` for
  ``1,234``), except for percents and multipliers (``50%`` does not ground ``47.8%``);
- percents (``12.5%``, ``12.5 percent``, ``3.2 pp``) must match a percent-like fact number (a
  ``percent`` unit fact, a ``change_pct`` or a ``share``) or 100 x a ratio; a bare ``0.125`` may
  state a ``12.5%`` fact;
- multipliers (``3x``, ``2.5×``) must match value / previous of a cited fact or the ratio of two
  cited facts' values;
- ``1.2k`` / ``3 million`` are scaled before matching;
- number words are numbers too: cardinals (``twelve``, ``twenty-five``; not ``one``, which is
  mostly not a count) like digits, multiples (``doubled``, ``twice``, ``tripled``, ``three
  times as many``, ``4-fold``) like multipliers and fractions (``half``, ``halved``, ``a third``,
  ``a quarter``) like a ratio or a percent over 100; words are loose, so they match within 10%
  (``doubled`` grounds a change of +90% to +110%, not +40%);
- numbers that appear in a cited fact's label (bucket bounds such as "1-3 days", hours such as
  "09:00") are grounded.

Not checked, deliberately:

- ordinals up to 10th (``2nd busiest``) and, in titles only, bare integers up to 10 ("Top 3
  services"): they count list positions, not data;
- year-like integers (1900-2100) that are a year of the window or the previous window, and ISO dates
  that are a window boundary; any other year or date is reported;
- in the suggested action, durations ("24 hours before", "2 weeks") are advice, not claims;
- fact ids quoted in the text (``patterns.hour.09``) and provider aliases (``P1``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from insights.models import Fact, FactSheet, Insight

Kind = Literal["plain", "percent", "multiplier"]

_FACT_ID = re.compile(r"\b[a-z_]+(?:\.[a-z0-9_]+)+\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"(?<![\w.])"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<suffix>\s*(?:%|percent\b|per\s+cent\b|pp\b|percentage\s+points?\b|p\.p\.)"
    r"|\s*(?:x|×)(?![A-Za-z])|-?fold\b|\s+times(?=\s+(?:as|more|higher|larger|greater|bigger|the|over)\b)"
    r"|\s*(?:k|K)(?![A-Za-z])|\s+(?:thousand|million)\b|\s*(?:m|M)(?![A-Za-z]))?"
)
_DURATION = re.compile(r"^\s*(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\b", re.IGNORECASE)
_LABEL_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


@dataclass(frozen=True)
class NumberToken:
    """A number as written: its text, value (after k/million scaling), kind and precision."""

    raw: str
    value: float
    kind: Kind
    decimals: int
    trailing_zeros: int
    start: int
    end: int
    rel_tol: float = 0.0


_UNITS = ("zero", "", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen")
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_CARDINALS: dict[str, int] = {
    **{w: i for i, w in enumerate(_UNITS) if w},
    **{w: 10 + i for i, w in enumerate(_TEENS)},
    "eighteen": 18,
    "nineteen": 19,
    **_TENS,
    "ninety": 90,
}
_MULTIPLES: dict[str, float] = {
    "double": 2,
    "doubled": 2,
    "doubling": 2,
    "doubles": 2,
    "twice": 2,
    "triple": 3,
    "tripled": 3,
    "tripling": 3,
    "triples": 3,
    "quadrupled": 4,
    "quadruple": 4,
    "half": 0.5,
    "halved": 0.5,
    "halving": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "a quarter": 0.25,
    "one quarter": 0.25,
}
_TENS_OR_UNIT = "|".join(sorted(_CARDINALS, key=len, reverse=True))
_WORD_NUMBER = re.compile(
    rf"\b(?P<card>(?:{'|'.join(_TENS)}|ninety)-(?:{'|'.join(w for w in _UNITS if w and w != 'zero')}|one)"
    rf"|{_TENS_OR_UNIT})(?P<times>\s+times(?=\s+(?:as|more|higher|larger|greater|bigger|the|over)\b)|-fold\b)?\b"
    rf"|\b(?P<multiple>{'|'.join(sorted(_MULTIPLES, key=len, reverse=True))})\b",
    re.IGNORECASE,
)
#: How loosely a number word matches: "doubled" for 1.9x to 2.1x.
WORD_TOLERANCE = 0.10


def _cardinal(text: str) -> int:
    tens, _, unit = text.lower().partition("-")
    return _CARDINALS.get(tens, 0) + (1 if unit == "one" else _CARDINALS.get(unit, 0))


def extract_number_words(text: str) -> list[NumberToken]:
    """Numbers written as words: cardinals (``twelve``), multiples (``doubled``, ``three times
    more``) and fractions (``half``). Cardinals are plain numbers; the rest are multipliers that
    match within :data:`WORD_TOLERANCE`."""
    tokens: list[NumberToken] = []
    for m in _WORD_NUMBER.finditer(text):
        raw = m.group(0)
        if m.group("multiple"):
            value, kind = _MULTIPLES[m.group("multiple").lower()], "multiplier"
        elif m.group("times"):
            value, kind = float(_cardinal(m.group("card"))), "multiplier"
        else:
            value, kind = float(_cardinal(m.group("card"))), "plain"
        tol = WORD_TOLERANCE if kind == "multiplier" else 0.0
        shown = f"{raw} (x{value:.2g})" if kind == "multiplier" else raw
        tokens.append(NumberToken(shown, value, kind, 0, 0, m.start(), m.end(), rel_tol=tol))  # type: ignore[arg-type]
    return tokens


def extract_numbers(text: str) -> list[NumberToken]:
    """Every number in ``text`` except those inside fact ids, dates, times and ordinals.

    Handles ``1,234``, ``1,234.50``, ``12.5%``, ``12.5 percent``, ``3.2 pp``, ``0.125``, ``3x``,
    ``1.2k``, ``3 million``; currency symbols and signs are ignored (values are compared unsigned).
    """
    masked = _mask(text, (_FACT_ID, _ISO_DATE, _TIME, _ORDINAL))
    tokens: list[NumberToken] = []
    for m in _NUMBER.finditer(masked):
        digits = m.group("num").replace(",", "")
        suffix = (m.group("suffix") or "").strip().lower()
        value = float(digits)
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        kind: Kind = "plain"
        if suffix in {"k", "thousand"}:
            value, decimals = value * 1_000, decimals - 3
        elif suffix in {"m", "million"}:
            value, decimals = value * 1_000_000, decimals - 6
        elif suffix in {"x", "×"} or suffix.endswith(("times", "fold")):
            kind = "multiplier"
        elif suffix:
            kind = "percent"
        whole = digits.split(".")[0]
        zeros = len(whole) - len(whole.rstrip("0")) if decimals == 0 and whole.strip("0") else 0
        tokens.append(
            NumberToken(
                raw=text[m.start() : m.end()].strip(),
                value=value,
                kind=kind,
                decimals=decimals,
                trailing_zeros=zeros,
                start=m.start(),
                end=m.end(),
            )
        )
    return tokens


def _mask(text: str, patterns: Iterable[re.Pattern[str]]) -> str:
    """Blank out matches (keeping offsets) so the number pattern skips them."""
    for pattern in patterns:
        text = pattern.sub(lambda m: " " * (m.end() - m.start()), text)
    return text


def _close(target: float, token: NumberToken) -> bool:
    target = abs(target)
    if token.rel_tol:
        return abs(target - token.value) <= token.rel_tol * token.value
    tolerance = 0.5 * 10.0 ** (-token.decimals) + 1e-9
    if abs(target - token.value) <= tolerance:
        return True
    if token.trailing_zeros and token.value and token.kind == "plain":
        coarse = 0.5 * 10.0**token.trailing_zeros
        return abs(target - token.value) <= coarse and abs(target - token.value) <= 0.05 * token.value
    return False


@dataclass(frozen=True)
class _Grounds:
    plain: list[float]
    percent: list[float]
    ratios: list[float]
    labels: list[float]
    label_text: str


def _grounds(facts: list[Fact]) -> _Grounds:
    plain: list[float] = []
    percent: list[float] = []
    ratios: list[float] = []
    values: list[float] = []
    labels: list[float] = []
    texts: list[str] = []
    for f in facts:
        plain += f.numbers()
        if f.unit == "percent":
            percent += [float(x) for x in (f.value, f.previous, f.change) if isinstance(x, int | float)]
        percent += [x for x in (f.change_pct, f.share) if x is not None]
        if isinstance(f.value, int | float):
            values.append(float(f.value))
            if isinstance(f.previous, int | float) and f.previous:
                ratios.append(float(f.value) / float(f.previous))
        labels += [float(x) for x in _LABEL_NUMBER.findall(f.label)]
        texts.append(f.label)
        for item in (f.value, f.previous):
            if isinstance(item, str):
                texts.append(item)
                labels += [float(x) for x in _LABEL_NUMBER.findall(item)]
    ratios += [a / b for a in values for b in values if b and a != b]
    return _Grounds(plain, percent, ratios, labels, " ".join(texts))


def _grounded(token: NumberToken, g: _Grounds) -> bool:
    if token.kind == "multiplier":
        # "half of the people", "up by half": a share or a relative change
        if token.rel_tol and token.value < 1 and any(_close(p / 100.0, token) for p in g.percent):
            return True
        return any(_close(r, token) for r in g.ratios) or (
            not token.rel_tol and any(_close(n, token) for n in g.labels)
        )
    if token.kind == "percent":
        return any(_close(p, token) for p in g.percent) or any(_close(100.0 * n, token) for n in g.plain)
    return (
        any(_close(n, token) for n in g.plain)
        or any(_close(p / 100.0, token) for p in g.percent)
        or any(_close(n, token) for n in g.labels)
    )


def _window_years(sheet: FactSheet) -> set[int]:
    w, p = sheet.window, sheet.previous_window
    return set(range(p.date_from.year, w.date_to.year + 1))


def _window_dates(sheet: FactSheet) -> set[str]:
    w, p = sheet.window, sheet.previous_window
    return {d.isoformat() for d in (w.date_from, w.date_to, p.date_from, p.date_to)}


def _check_field(field: str, text: str, g: _Grounds, sheet: FactSheet, cited: str) -> list[str]:
    """Reasons why one field's dates, times, ordinals and numbers are not grounded (empty: grounded)."""
    return [*_check_shapes(field, text, g, sheet, cited), *_check_numbers(field, text, g, sheet, cited)]


def _check_shapes(field: str, text: str, g: _Grounds, sheet: FactSheet, cited: str) -> list[str]:
    """Dates must be window boundaries or in cited labels; times in cited labels; big ordinals cited numbers."""
    reasons: list[str] = []
    for m in _ISO_DATE.finditer(text):
        if m.group(0) not in _window_dates(sheet) and m.group(0) not in g.label_text:
            reasons.append(f"{field}: date {m.group(0)!r} is not a window boundary or a cited fact's date")
    for m in _TIME.finditer(text):
        if m.group(0) not in g.label_text and f"{int(m.group(1)):02d}:{m.group(2)}" not in g.label_text:
            reasons.append(f"{field}: time {m.group(0)!r} is not in the labels of cited facts {cited}")
    for m in _ORDINAL.finditer(text):
        n = int(m.group(1))
        if n > 10 and not any(_close(x, _int_token(n)) for x in g.plain):
            reasons.append(f"{field}: ordinal {m.group(0)!r} is not a number of cited facts {cited}")
    return reasons


def _check_numbers(field: str, text: str, g: _Grounds, sheet: FactSheet, cited: str) -> list[str]:
    """Every other number (digits or words) must be grounded in the cited facts, bar the allowed ones."""
    years = _window_years(sheet)
    masked = _mask(text, (_FACT_ID, _ISO_DATE, _TIME, _ORDINAL))
    return [
        f"{field}: {token.raw!r} is not among the numbers of cited facts {cited}"
        for token in [*extract_numbers(text), *extract_number_words(masked)]
        if not _allowed(field, text, token, years) and not _grounded(token, g)
    ]


def _allowed(field: str, text: str, token: NumberToken, years: set[int]) -> bool:
    """Numbers that need no fact: a window's year, a small count in a title, a duration in an action."""
    is_int = token.kind == "plain" and token.decimals == 0 and "," not in token.raw
    if is_int and int(token.value) in years and 1900 <= token.value <= 2100:
        return True
    if field == "title" and is_int and token.value <= 10:
        return True
    return field == "suggested_action" and bool(_DURATION.match(text[token.end :]))


def _int_token(n: int) -> NumberToken:
    return NumberToken(str(n), float(n), "plain", 0, 0, 0, 0)


def check_insight(insight: Insight, sheet: FactSheet) -> list[str]:
    """Reasons why ``insight`` is not grounded in ``sheet`` (empty list: grounded)."""
    facts = sheet.by_id()
    reasons: list[str] = []
    if not insight.fact_ids:
        reasons.append("cites no fact ids")
    unknown = [i for i in insight.fact_ids if i not in facts]
    if unknown:
        reasons.append(f"cites unknown fact ids {unknown}")
    cited_facts = [facts[i] for i in insight.fact_ids if i in facts]
    g = _grounds(cited_facts)
    cited = "[" + ", ".join(f.id for f in cited_facts) + "]"
    for field in ("title", "text", "suggested_action"):
        reasons += _check_field(field, getattr(insight, field), g, sheet, cited)
    return reasons


def validate_insights(
    insights: list[Insight], sheet: FactSheet
) -> tuple[list[Insight], list[tuple[Insight, list[str]]]]:
    """Split ``insights`` into grounded ones and (ungrounded insight, reasons) pairs, order kept."""
    good: list[Insight] = []
    bad: list[tuple[Insight, list[str]]] = []
    for insight in insights:
        reasons = check_insight(insight, sheet)
        if reasons:
            bad.append((insight, reasons))
        else:
            good.append(insight)
    return good, bad
