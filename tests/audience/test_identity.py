import pandas as pd
import pytest

from audience.identity import (
    EmailQuality,
    count_invalid_emails,
    count_missing_emails,
    email_quality,
    normalise_emails,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ana@Example.org", "ana@example.org"),
        ("  ana@example.ORG \t", "ana@example.org"),
        ("ana @ example.org", "ana@example.org"),
        ("ANA+fencing@Sub.Example.Co.UK", "ana+fencing@sub.example.co.uk"),
        ("o'neil@example.ie", "o'neil@example.ie"),
        ("Ivan@Example.XN--P1AI", "ivan@example.xn--p1ai"),
        ("josé@example.pt", None),
        ("not-an-email", None),
        ("ana@example", None),
        ("ana@@example.org", None),
        ("@example.org", None),
        ("ana@-example.org", None),
        ('"ana"@example.org', None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_emails(raw: str | None, expected: str | None) -> None:
    result = normalise_emails(pd.Series([raw], dtype="string"))
    assert result.dtype == "string"
    if expected is None:
        assert pd.isna(result.iloc[0])
    else:
        assert result.iloc[0] == expected


def test_normalise_keeps_index_name_and_is_idempotent() -> None:
    raw = pd.Series([" B@X.io", None, "b@x.io", "junk"], index=[10, 11, 12, 13], name="email_raw")
    once = normalise_emails(raw)
    assert list(once.index) == [10, 11, 12, 13]
    assert once.name == "email_raw"
    assert once.tolist() == ["b@x.io", pd.NA, "b@x.io", pd.NA]
    pd.testing.assert_series_equal(normalise_emails(once), once)


def test_rejects_overlong_addresses() -> None:
    long_local = "a" * 65 + "@example.org"
    assert normalise_emails(pd.Series([long_local])).isna().all()


def test_email_quality_counts() -> None:
    raw = pd.Series(["a@x.io", "A@X.IO ", None, " ", "bad", "also bad@", "c@y.org"])
    assert email_quality(raw) == EmailQuality(total=7, valid=3, missing=2, invalid=2)
    assert count_missing_emails(raw) == 2
    assert count_invalid_emails(raw) == 2
