"""'Did you mean ...?' suggestions for names typed by hand."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate `word` most likely meant: same letters in another case, else the
    closest spelling (difflib), else None."""
    names = [c for c in candidates if isinstance(c, str)]
    folded = word.casefold()
    for name in names:
        if name.casefold() == folded:
            return name
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str], *, list_all: bool = False) -> str:
    """` (did you mean 'x'?)`, or ` (known: a, b)` with list_all, or ``."""
    names = [c for c in candidates if isinstance(c, str)]
    if not isinstance(word, str) or not names:
        return ""
    match = closest(word, names)
    if match is not None:
        return f" (did you mean {match!r}?)"
    return f" (known: {', '.join(names)})" if list_all else ""
