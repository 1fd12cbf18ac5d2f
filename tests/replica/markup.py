"""Text-to-markup helpers: entity escaping and stray whitespace, decided by a seeded RNG.

Truth is always the plain text; these functions produce the messy HTML the live site serves
for it, so what the crawler must undo (entities, line breaks, double spaces) is explicit.
"""

from __future__ import annotations

import random

# Characters the site writes either raw or as an entity; '&' is always escaped.
_OPTIONAL_ENTITIES = {'"': "&quot;", "'": "&#39;", "«": "&laquo;", "»": "&raquo;", "—": "&mdash;"}
_ALWAYS = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str, rng: random.Random) -> str:
    """HTML-escape `text`, writing optional entities (`&quot;`, `&#39;`, ...) at random."""
    out: list[str] = []
    for ch in text:
        if ch in _ALWAYS:
            out.append(_ALWAYS[ch])
        elif ch in _OPTIONAL_ENTITIES and rng.random() < 0.6:
            out.append(_OPTIONAL_ENTITIES[ch])
        else:
            out.append(ch)
    return "".join(out)


def attr(text: str) -> str:
    """Escape for an attribute value (deterministic, like a template engine would)."""
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#x27;")
        .replace("<", "&lt;").replace(">", "&gt;")
    )  # fmt: skip


def jitter(html_text: str, rng: random.Random, rate: float = 0.15) -> str:
    """Replace some spaces of escaped text by runs of whitespace and line breaks."""
    if rate <= 0:
        return html_text
    words = html_text.split(" ")
    out = [words[0]]
    for word in words[1:]:
        out.append(rng.choice(("  ", "\n", "\n    ", " \t")) if rng.random() < rate else " ")
        out.append(word)
    return "".join(out)


def messy(text: str, rng: random.Random, rate: float = 0.15) -> str:
    """Escape, jitter and sometimes pad with newlines: the way titles reach the page."""
    html = jitter(escape(text, rng), rng, rate)
    if rng.random() < rate:
        html = f"\n    {html}\n"
    return html
