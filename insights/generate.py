"""Ask -> validate -> re-ask once with the validator's feedback -> drop what is still ungrounded.

Pure orchestration: the call to the model is injected as an async ``Ask`` function, so this module
does no I/O itself (``tasks.insights`` binds it to the Claude connector).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from insights.models import DroppedInsight, FactSheet, Insight
from insights.prompt import feedback_message, user_message
from insights.validator import validate_insights


class NarratorReply(BaseModel):
    """What one model call returned: the insights plus accounting."""

    insights: list[Insight]
    model: str
    input_tokens: int = 0
    output_tokens: int = 0


class Narration(BaseModel):
    """The outcome of :func:`narrate`: grounded insights, dropped ones with reasons, totals."""

    insights: list[Insight]
    dropped: list[DroppedInsight]
    model: str
    requests: int
    input_tokens: int
    output_tokens: int
    notes: list[str] = []


Ask = Callable[[str], Awaitable[NarratorReply]]


class InvalidReplyError(ValueError):
    """The model's tool input did not match the insights schema."""


def parse_tool_input(
    payload: dict[str, Any], *, model: str, input_tokens: int, output_tokens: int
) -> NarratorReply:
    """Turn the ``report_insights`` tool input into a :class:`NarratorReply`.

    Raises :class:`InvalidReplyError` when ``payload`` does not match the schema.
    """
    try:
        insights = [Insight.model_validate(item) for item in payload["insights"]]
    except (KeyError, TypeError, ValidationError) as exc:
        raise InvalidReplyError(f"report_insights input does not match the schema: {exc}") from exc
    return NarratorReply(
        insights=insights, model=model, input_tokens=input_tokens, output_tokens=output_tokens
    )


async def narrate(sheet: FactSheet, ask: Ask) -> Narration:
    """Ask for insights on ``sheet``; re-ask once for ungrounded ones; drop those still ungrounded."""
    first = await ask(user_message(sheet))
    good, bad = validate_insights(first.insights, sheet)
    replies = [first]
    dropped: list[DroppedInsight] = []
    if bad:
        second = await ask(feedback_message(sheet, bad))
        replies.append(second)
        fixed, still_bad = validate_insights(second.insights, sheet)
        good += fixed[: len(bad)]
        dropped += [DroppedInsight(insight=i, reasons=r) for i, r in still_bad]
        answered = len(fixed) + len(still_bad)
        dropped += [
            DroppedInsight(insight=i, reasons=[*r, "not returned by the re-ask"]) for i, r in bad[answered:]
        ]
    return Narration(
        insights=good,
        dropped=dropped,
        model=replies[-1].model,
        requests=len(replies),
        input_tokens=sum(r.input_tokens for r in replies),
        output_tokens=sum(r.output_tokens for r in replies),
    )
