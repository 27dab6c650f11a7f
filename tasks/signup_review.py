"""The review form of ``review-signup-queue`` (the Prefect UI renders it), and what a review decided.

:func:`review_form` pre-fills the form with the pending people; :func:`apply_review` records the
admin's decisions (who, when, why) and says what changed.
"""

from __future__ import annotations

from typing import Any, Literal

from prefect.input import RunInput
from pydantic import BaseModel, Field, field_validator

from signups.candidates import services_list
from tasks.signups import Decision, record_signup_decisions

Choice = Literal["leave pending", "approve", "reject"]


class PersonReview(BaseModel):
    """One pending person in the review form; only ``decision`` and ``note`` are for the admin to change."""

    email: str
    name: str = ""
    bookings: int = 0
    services: str = ""
    phone: str = ""
    decision: Choice = "leave pending"
    note: str = Field(default="", description="why (optional; the form's note is used when empty)")


class SignupReview(RunInput):
    """The admin's decisions on the pending sign-up queue."""

    reviewer: str = Field(
        min_length=1, pattern=r"\S", description="your name or email: recorded with every decision"
    )
    apply_to_all: Literal["decide each person", "approve all", "reject all"] = "decide each person"
    people: list[PersonReview] = Field(default_factory=list)
    note: str = Field(default="", description="why: recorded with every decision")

    @field_validator("reviewer")
    @classmethod
    def _someone(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("reviewer is required")
        return value.strip()

    def decisions(self) -> dict[str, tuple[Decision, str | None]]:
        """email -> (approved | rejected, note) for every person decided (``leave pending`` omitted)."""
        out: dict[str, tuple[Decision, str | None]] = {}
        for person in self.people:
            choice: Choice = person.decision
            if self.apply_to_all == "approve all":
                choice = "approve"
            elif self.apply_to_all == "reject all":
                choice = "reject"
            if choice == "leave pending":
                continue
            note = person.note.strip() or self.note.strip() or None
            out[person.email] = ("approved" if choice == "approve" else "rejected", note)
        return out


class ReviewSummary(BaseModel):
    """What ``review-signup-queue`` did."""

    reviewer: str | None = None
    shown: int = 0
    approved: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    left_pending: int = 0
    invitations: dict[str, int] = Field(default_factory=dict)
    master_list: dict[str, Any] = Field(default_factory=dict)

    def render(self) -> str:
        """A few lines for a terminal."""
        if not self.shown:
            return "The sign-up queue is empty: nothing to review."
        lines = [
            f"Reviewed by {self.reviewer}: {len(self.approved)} approved, {len(self.rejected)} rejected, "
            f"{self.left_pending} left pending (of {self.shown})",
        ]
        if self.invitations:
            lines.append("invitations: " + ", ".join(f"{k} {v}" for k, v in sorted(self.invitations.items())))
        return "\n".join(lines)


def review_form(pending: list[dict[str, Any]]) -> type[SignupReview]:
    """The form class for ``pending`` people, pre-filled (the Prefect UI renders it)."""
    people = [
        PersonReview(
            email=p["email"],
            name=" ".join(x for x in (p.get("first_name"), p.get("last_name")) if x),
            bookings=int(p.get("total_bookings") or 0),
            services=", ".join(services_list(p.get("services_used"))),
            phone=p.get("phone") or "",
        )
        for p in pending
    ]
    description = (
        f"**{len(people)} people** are waiting for a platform invitation. For each, choose approve, "
        "reject or leave pending (or use *apply to all*), add a note saying why, enter your name, then submit."
    )
    return SignupReview.with_initial_data(description=description, people=people)


def apply_review(
    review: SignupReview, pending: list[dict[str, Any]]
) -> tuple[ReviewSummary, dict[str, tuple[Decision, str | None]]]:
    """Record the review's decisions on the people it was shown, grouped by (decision, note).

    Returns the summary (approved, rejected, left pending) and each decided email's (decision, note).
    """
    shown = {p["email"] for p in pending}
    decided = {e: d for e, d in review.decisions().items() if e in shown}
    summary = ReviewSummary(reviewer=review.reviewer, shown=len(pending))
    groups: dict[tuple[Decision, str | None], list[str]] = {}
    for email, key in decided.items():
        groups.setdefault(key, []).append(email)
    for (decision, note), emails in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        result = record_signup_decisions(
            emails=emails, decision=decision, decided_by=review.reviewer, note=note
        )
        (summary.approved if decision == "approved" else summary.rejected).extend(result.decided)
    summary.approved.sort()
    summary.rejected.sort()
    summary.left_pending = len(pending) - len(summary.approved) - len(summary.rejected)
    return summary, decided
