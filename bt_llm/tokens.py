"""A model-independent token estimate, used for usage figures where miners report none.

Example:
    >>> count_tokens("Hello, world!")
    4
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def count_tokens(text: str) -> int:
    """The number of words and punctuation marks in ``text``.

    Miners' tokenizers differ and ``TextPrompting`` carries no counts, so bt-llm reports usage with
    this estimate, computed the same way for prompts and completions.
    """
    return len(_TOKEN.findall(text))


def truncate_tokens(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut after its ``limit``-th token (as :func:`count_tokens` counts them); True when cut.

    Example:
        >>> truncate_tokens("one, two three", 2)
        ('one,', True)
    """
    for index, match in enumerate(_TOKEN.finditer(text)):
        if index == limit:
            return text[:match.start()].rstrip(), True
    return text, False
