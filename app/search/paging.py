"""The results of a search page by page: 20 a page, every result reachable, a page past the end shows the last."""
from __future__ import annotations

from dataclasses import dataclass

from app.search.engine import SearchResult
from app.search.service import help_search

SEARCH_PAGE_SIZE = 20
# Page links around the current page; the first and the last page are always linked.
_NEIGHBOURS = 2


@dataclass(frozen=True)
class SearchPage:
    result: SearchResult
    number: int   # the page shown (1 = first)
    count: int    # how many pages the results fill
    asked: int    # the page the link asked for: greater than `number` when it lay past the end
    size: int = SEARCH_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def past_the_end(self) -> bool:
        return self.asked > self.number

    def links(self) -> list[int | None]:
        """Page numbers to link, None where pages are left out: 1 … 4 5 [6] 7 8 … 12."""
        shown = {1, self.count, *range(self.number - _NEIGHBOURS, self.number + _NEIGHBOURS + 1)}
        pages: list[int | None] = []
        for number in sorted(n for n in shown if 1 <= n <= self.count):
            if pages and number - (pages[-1] or 0) > 1:
                pages.append(None)
            pages.append(number)
        return pages


def page_count(total: int, size: int = SEARCH_PAGE_SIZE) -> int:
    return max(1, -(-total // size))


def search_page(query: str, lang: str, asked: int, size: int = SEARCH_PAGE_SIZE) -> SearchPage:
    """The asked page of the results; past the last page, the last page (the count says so to the customer)."""
    search = help_search()
    result = search.search(query, lang=lang, limit=size, offset=(asked - 1) * size)
    count = page_count(result.total, size)
    if asked > count and result.total:
        result = search.search(query, lang=lang, limit=size, offset=(count - 1) * size)
    return SearchPage(result=result, number=min(asked, count), count=count, asked=asked, size=size)
