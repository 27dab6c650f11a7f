"""The Brevo sync plan: what to create, update, leave alone or remove, and how to batch it.

Pure diffing of this run's payloads against the last pushed state; no HTTP.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

Action = Literal["create", "update", "unchanged", "remove", "skip"]

#: Every action, in the order reports show them.
ACTIONS: Final[tuple[Action, ...]] = ("create", "update", "unchanged", "remove", "skip")
#: Actions that send the contact to Brevo's import.
SENDING_ACTIONS: Final[tuple[Action, ...]] = ("create", "update")
#: Columns of the plan frame.
PLAN_COLUMNS: Final[list[str]] = ["email", "action", "attributes", "payload_hash"]
#: Brevo's /contacts/import jsonBody limit is 10 MB; 8 MB is the recommended size.
DEFAULT_MAX_BYTES: Final[int] = 8_000_000


def plan_brevo_sync(
    payloads: pd.DataFrame,
    last_pushed: pd.DataFrame,
    removable: Iterable[str] | pd.Series = (),
) -> pd.DataFrame:
    """Diff ``payloads`` (from :func:`audience.brevo_payload.build_brevo_payloads`) against
    ``last_pushed`` (``email``, ``payload_hash``, ``on_list``: the state after the last sync).

    One row per payload email, then one per ``last_pushed`` email that must be removed
    but has no payload this run. ``action``:

    * ``remove``: on the list (``on_list``) and either in ``removable`` or a
      ``removal_candidate`` (every ticket void, nothing else keeping them).
    * ``skip``: would be removed but is not on the list: nothing to send (we never
      create a contact only to take them off again).
    * ``create``: never pushed; ``update``: pushed with a different hash;
      ``unchanged``: same hash (even if ``on_list`` is false: a person taken off the
      list comes back only when something about them changes).

    ``attributes`` is ``{}`` for ``remove``/``skip``. ``payload_hash`` is this run's hash
    (the last pushed one for removals without a payload), i.e. what the sync state
    should hold afterwards. Emails are compared exactly: pass normalised emails.
    """
    removable_set = set(removable.dropna().astype(str) if isinstance(removable, pd.Series) else removable)
    emails = payloads["email"].astype("string").to_numpy(dtype=object)
    hashes = payloads["payload_hash"].astype("string").to_numpy(dtype=object)
    pushed = _Pushed.of(last_pushed)
    known, on_list, same_hash = pushed.match(emails, hashes)
    candidate = (
        payloads["removal_candidate"].fillna(False).to_numpy(dtype=np.bool_)
        if "removal_candidate" in payloads
        else np.zeros(len(emails), dtype=np.bool_)
    )
    if removable_set:
        candidate = candidate | pd.Index(emails).isin(list(removable_set))

    action = np.select(
        [candidate & on_list, candidate, ~known, same_hash],
        ["remove", "skip", "create", "unchanged"],
        default="update",
    ).astype(object)
    attributes = payloads["attributes"].to_numpy(dtype=object).copy()
    empty = np.isin(action, ["remove", "skip"])
    attributes[empty] = [{} for _ in range(int(empty.sum()))]
    plan = pd.DataFrame({"email": emails, "action": action, "attributes": attributes, "payload_hash": hashes})
    gone = pushed.gone(emails, removable_set)
    if not gone.empty:
        plan = pd.concat([plan, gone], ignore_index=True)
    return plan.astype({"email": "string", "action": "string", "payload_hash": "string"})


class _Pushed:
    """The state after the last sync as arrays: emails (unique), payload hashes, on-list flags."""

    def __init__(self, emails: pd.Index, hashes: npt.NDArray[Any], on_list: npt.NDArray[np.bool_]) -> None:
        self.emails = emails
        self.hashes = hashes
        self.on_list = on_list

    @classmethod
    def of(cls, last_pushed: pd.DataFrame) -> _Pushed:
        emails = pd.Index(last_pushed["email"].astype("string").to_numpy(dtype=object))
        if not emails.is_unique:
            raise ValueError("last_pushed has duplicate emails")
        return cls(
            emails,
            last_pushed["payload_hash"].astype("string").to_numpy(dtype=object),
            last_pushed["on_list"].fillna(False).to_numpy(dtype=np.bool_),
        )

    def match(
        self, emails: npt.NDArray[Any], hashes: npt.NDArray[Any]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Per payload: pushed before, on the list, and pushed with the same hash."""
        where = self.emails.get_indexer(pd.Index(emails))
        known = where >= 0
        on_list = np.zeros(len(emails), dtype=np.bool_)
        on_list[known] = self.on_list[where[known]]
        same_hash = np.zeros(len(emails), dtype=np.bool_)
        same_hash[known] = self.hashes[where[known]] == hashes[known]
        return known, on_list, same_hash

    def gone(self, emails: npt.NDArray[Any], removable: set[str]) -> pd.DataFrame:
        """``remove`` rows for people on the list, in ``removable``, with no payload this run.

        E.g. their only data was deleted; the row carries the last pushed hash.
        """
        extra = self.on_list & self.emails.isin(list(removable)) & ~self.emails.isin(pd.Index(emails))
        return pd.DataFrame(
            {
                "email": self.emails.to_numpy(dtype=object)[extra],
                "action": "remove",
                "attributes": [{} for _ in range(int(extra.sum()))],
                "payload_hash": self.hashes[extra],
            }
        )


def summarise_plan(plan: pd.DataFrame) -> dict[str, int]:
    """Rows per action, every action in :data:`ACTIONS` present (zero when none)."""
    counts = plan["action"].value_counts()
    return {action: int(counts.get(action, 0)) for action in ACTIONS}


def clears_values(attributes: Mapping[str, Any]) -> bool:
    """Whether a row empties an attribute (``""``), so it must go in an import that lets empty values erase.

    Brevo's import keeps the stored value of an empty field unless the import sets
    ``emptyContactsAttributes``, and that flag holds for the whole import: rows that clear
    something travel apart from the rest (:func:`import_rows` with ``clearing``).
    """
    return any(value == "" for value in attributes.values())


def import_rows(plan: pd.DataFrame, *, clearing: bool | None = None) -> Iterator[dict[str, Any]]:
    """The Brevo import rows (``{"email", "attributes"}``) for the plan's create/update rows.

    ``clearing=True`` yields only the rows that empty an attribute (:func:`clears_values`),
    ``False`` only the others, ``None`` all of them.
    """
    sending = plan.loc[plan["action"].isin(SENDING_ACTIONS).to_numpy(dtype=np.bool_)]
    for email, attributes in zip(sending["email"], sending["attributes"], strict=True):
        if clearing is None or clears_values(attributes) == clearing:
            yield {"email": str(email), "attributes": attributes}
