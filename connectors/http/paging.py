"""Pagination: a :class:`Paginator` protocol, one strategy per provider, one driver.

Page/length (EasyAppointments), continuation (Eventbrite), next_page_token (Zoom), all
walked by :func:`iter_pages`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.http.client import JSON, HttpClient
from connectors.http.errors import PaginationError, ResponseValidationError

Params = dict[str, Any]


class Paginator(Protocol):
    """Strategy for walking pages: the first request's params and the next, or None to stop."""

    def first(self, params: Params) -> Params:
        """Params for the first page."""
        ...

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        """Params for the page after ``body``, or None when ``body`` was the last one."""
        ...


@dataclass
class PageNumberPaginator:
    """``page``/``length`` paging that stops on a short page (EasyAppointments: bare arrays)."""

    size: int
    page_param: str = "page"
    size_param: str = "length"
    first_page: int = 1

    def first(self, params: Params) -> Params:
        return {**params, self.page_param: self.first_page, self.size_param: self.size}

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        if len(items) < self.size:
            return None
        return {**params, self.page_param: int(params[self.page_param]) + 1}


@dataclass
class _CursorPaginator:
    provider: str
    seen: set[str] = field(default_factory=set)

    def _advance(self, params: Params, name: str, token: str) -> Params:
        if token in self.seen:
            raise PaginationError(
                f"the same {name} came back twice; stopping instead of looping", provider=self.provider
            )
        self.seen.add(token)
        return {**params, name: token}


@dataclass
class ContinuationPaginator(_CursorPaginator):
    """Eventbrite: stop on ``pagination.has_more_items == false`` (a continuation still comes)."""

    def first(self, params: Params) -> Params:
        self.seen.clear()
        return dict(params)

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        pagination = body.get("pagination") or {}
        if not pagination.get("has_more_items"):
            return None
        token = pagination.get("continuation")
        if not token:
            raise PaginationError(
                "has_more_items is true but no continuation was given", provider=self.provider
            )
        return self._advance(params, "continuation", str(token))


@dataclass
class NextPageTokenPaginator(_CursorPaginator):
    """Zoom: ``next_page_token`` with the same ``page_size`` on every page; empty token = last."""

    page_size: int = 300

    def first(self, params: Params) -> Params:
        self.seen.clear()
        params = {k: v for k, v in params.items() if k != "next_page_token"}
        return {**params, "page_size": self.page_size}

    def next(self, params: Params, body: JSON, items: list[Any]) -> Params | None:
        token = body.get("next_page_token") or ""
        if not token:
            return None
        return self._advance(params, "next_page_token", str(token))


async def iter_pages(
    client: HttpClient,
    path: str,
    paginator: Paginator,
    *,
    items: Callable[[JSON], list[Any]],
    params: Params | None = None,
) -> AsyncIterator[list[Any]]:
    """Yield each page's items for a GET on ``path``, as ``paginator`` walks the pages.

    ``items`` extracts the list of records from a page body; a body of the wrong shape
    raises :class:`ResponseValidationError`.
    """
    current: Params | None = paginator.first(dict(params or {}))
    while current is not None:
        body = await client.get_json(path, params=current)
        try:
            page = items(body)
        except (AttributeError, KeyError, TypeError) as exc:
            raise ResponseValidationError(
                f"page body has an unexpected shape ({exc})",
                provider=client.provider,
                method="GET",
                path=path,
            ) from exc
        if not isinstance(page, list):
            raise ResponseValidationError(
                f"expected a list of records, got {type(page).__name__}",
                provider=client.provider,
                method="GET",
                path=path,
            )
        yield page
        current = paginator.next(current, body, page)
