"""Email normalisation: the identity key that joins one person across all sources.

A person is their normalised email. Normalising is deliberately simple and
predictable: every whitespace character is removed (an unquoted address cannot
contain any, and sources do hand us ``" Ana @Example.org "``), the rest is
lower-cased, and anything that does not look like ``local@domain.tld`` becomes
``<NA>``. Plus-addressing and dots are kept: ``ana+x@`` and ``ana@`` stay two
people, because only the mailbox owner knows whether they are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

#: A plausible address: a local part without quotes, spaces or ``@``, an ``@``, and a
#: dotted domain whose labels are letters, digits and inner hyphens, ending in a 2+ letter
#: (or punycode) TLD. Internationalised (non-ASCII) addresses are rejected on purpose.
EMAIL_PATTERN: Final[str] = (
    r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
)
_EMAIL_RE: Final[re.Pattern[str]] = re.compile(EMAIL_PATTERN)


@dataclass(frozen=True, slots=True)
class EmailQuality:
    """How many raw emails were usable.

    ``total == valid + missing + invalid``. *missing* means absent or blank;
    *invalid* means something was given but it is not a plausible address.
    """

    total: int
    valid: int
    missing: int
    invalid: int


def normalise_email(value: str | None) -> str | None:
    """The identity form of one email (the rule of :func:`normalise_emails`), or None when it is
    missing or not a plausible address. Every source's email meets every other's in this form."""
    if value is None:
        return None
    cleaned = "".join(value.split()).lower()
    if len(cleaned) > 254 or _EMAIL_RE.fullmatch(cleaned) is None:
        return None
    return cleaned


def normalise_emails(emails: pd.Series) -> pd.Series:
    """Return the normalised form of every email in ``emails`` (same index, dtype ``string``).

    Contract: all whitespace is removed (around and inside), letters are lower-cased,
    and the result is ``<NA>`` when the input is missing, blank or not a plausible
    ``local@domain.tld`` address (see :data:`EMAIL_PATTERN`). Idempotent:
    ``normalise_emails(normalise_emails(s))`` equals ``normalise_emails(s)``.

    Work is done once per distinct raw value, so repeated addresses cost nothing extra.
    """
    codes, uniques = pd.factorize(emails, use_na_sentinel=True)
    normalised = [normalise_email(str(value)) for value in np.asarray(uniques, dtype=object)]
    # Code -1 (missing) must map to NA, so NA is the last slot of the lookup.
    lookup = np.array([*normalised, None], dtype=object)
    values = lookup[np.where(codes < 0, len(lookup) - 1, codes)]
    return pd.Series(pd.array(values, dtype="string"), index=emails.index, name=emails.name)


def is_missing_email(emails: pd.Series) -> pd.Series:
    """Boolean mask: the raw email is absent or blank (whitespace only)."""
    text = emails.astype("string")
    return (text.isna() | (text.str.strip() == "")).fillna(True).astype(bool)


def email_quality(emails: pd.Series) -> EmailQuality:
    """Count valid, missing and invalid raw emails (see :class:`EmailQuality`)."""
    missing = is_missing_email(emails)
    valid = normalise_emails(emails).notna()
    n_missing = int(missing.sum())
    n_valid = int(valid.sum())
    return EmailQuality(
        total=len(emails),
        valid=n_valid,
        missing=n_missing,
        invalid=len(emails) - n_valid - n_missing,
    )


def count_invalid_emails(emails: pd.Series) -> int:
    """Number of raw emails that were given (not blank) but are not plausible addresses."""
    return email_quality(emails).invalid


def count_missing_emails(emails: pd.Series) -> int:
    """Number of raw emails that are absent or blank."""
    return int(is_missing_email(emails).sum())
