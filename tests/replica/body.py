"""Article bodies: every markup variant of the `body` rule (docs/record.md), with true paragraphs.

A Block pairs the HTML served inside `.post_body` with the paragraphs a correct extractor must
take from it, so the truth comes from the generator's data, never from parsing its HTML.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .lang import LANG, LIST_ITEMS, SENTENCES, SUBHEADS
from .markup import escape, jitter

ZOOM_ICON = "/templates/Default/api/zoom.png"

# Blocks that are not article text (docs/site.md): they must never reach the body.
NOISE: tuple[str, ...] = (
    '<div class="banner"><a href="https://ads.example/click?id=77">'
    '<img src="/media/banners/b77.webp" alt="ad"></a></div>',
    '<ins class="adsbygoogle" style="display:block" data-ad-slot="5521"></ins>',
    '<div class="reklam_block"><span>Реклама</span>'
    '<iframe src="https://ads.example/frame/9"></iframe></div>',
    '<div class="advert-inline"><span>Advertisement</span>'
    '<a href="https://ads.example/go/3">Partner offer: fly to Baku</a></div>',
    '<div class="top_banner_wrap"><a href="https://ads.example/click?id=12">Sponsored</a></div>',
    '<script>window.__ads=(window.__ads||0)+1;document.write("")</script>',
    "<style>.post_body .inline_note{display:none;color:#999}</style>",
    '<iframe src="https://www.youtube.com/embed/x7Qe2b" width="560" height="315"></iframe>',
    '<p><img src="https://caliber.az/media/photos/original/9f2c1e0b7a.webp" alt="">'
    f'<img class="zoom" src="{ZOOM_ICON}"></p>',
    f'<img class="zoom" src="{ZOOM_ICON}" alt="zoom">',
)
AD_BLOCKS: tuple[str, ...] = NOISE[:5]  # real ad blocks: they separate the text around them
EMPTY_PARAGRAPHS: tuple[str, ...] = ("<p></p>", "<p> </p>", "<p>&nbsp;</p>", "<p><br></p>")
_LINKS = ("https://report.az/en/news/", "https://apa.az/en/news/", "https://en.trend.az/news/")


@dataclass(frozen=True)
class Block:
    """One piece of `.post_body`: its markup and the paragraphs it contributes (maybe none)."""

    html: str
    paragraphs: tuple[str, ...]
    bare: bool = False  # text standing directly in .post_body: two such blocks must not touch


class BodyWriter:
    """Draws a body for one article from a seeded RNG."""

    def __init__(self, lang: str, rng: random.Random) -> None:
        self.lang = lang
        self.rng = rng

    # --- text -----------------------------------------------------------------------------
    def sentence(self) -> str:
        """One sentence of the language's corpus."""
        return self.rng.choice(SENTENCES[self.lang])

    def paragraph_text(self) -> str:
        """One to three sentences."""
        return " ".join(self.rng.sample(SENTENCES[self.lang], self.rng.randint(1, 3)))

    def plain(self, text: str) -> str:
        """Escaped text with a little stray whitespace."""
        return jitter(escape(text, self.rng), self.rng, 0.04)

    def rich(self, text: str) -> str:
        """Escaped text, sometimes with a `<strong>`, `<em>` or `<a>` around a few words."""
        words = text.split(" ")
        if len(words) < 4 or self.rng.random() > 0.4:
            return self.plain(text)
        i = self.rng.randrange(0, len(words) - 2)
        j = self.rng.randint(i + 1, min(len(words), i + 4))
        before, mid, after = " ".join(words[:i]), " ".join(words[i:j]), " ".join(words[j:])
        punct = ""
        if len(mid) > 1 and mid[-1] in ".,;:!?\u0589":  # \u0589: Armenian full stop
            mid, punct = mid[:-1], mid[-1]
        kind = self.rng.choice(("strong", "em", "a"))
        opening = f"<{kind}>"
        if kind == "a":
            opening = f'<a href="{self.rng.choice(_LINKS)}{self.rng.randint(1000, 99999)}">'
        html = f"{opening}{self.plain(mid)}</{kind}>{punct}"
        if before:
            html = f"{self.plain(before)} {html}"
        if after:
            html = f"{html} {self.plain(after)}"
        return html

    # --- blocks ---------------------------------------------------------------------------
    def p(self, text: str | None = None) -> Block:
        """A `<p>` paragraph."""
        text = text or self.paragraph_text()
        return Block(f"<p>{self.rich(text)}</p>", (text,))

    def reported(self) -> Block:
        """«Как передает Caliber.Az, ...»: boilerplate-looking, but article text."""
        first = self.sentence()
        return self.p(f"{LANG[self.lang].reported} {first[0].lower()}{first[1:]}")

    def div(self) -> Block:
        """A `<div>` block, sometimes two lines broken by `<br>`."""
        if self.rng.random() < 0.5:
            text = self.paragraph_text()
            return Block(f"<div>{self.rich(text)}</div>", (text,))
        a, b = self.sentence(), self.sentence()
        return Block(f"<div>{self.rich(a)}<br>\n{self.plain(b)}</div>", (a, b))

    def div_p(self) -> Block:
        """Paragraphs nested in a `<div>`: the innermost block is the paragraph."""
        texts = (self.paragraph_text(), self.paragraph_text())
        inner = "\n".join(f"<p>{self.rich(t)}</p>" for t in texts)
        return Block(f'<div class="text_block">\n{inner}\n</div>', texts)

    def bare(self) -> Block:
        """Text standing directly in `.post_body`, lines broken by `<br>`."""
        lines = tuple(self.sentence() for _ in range(self.rng.randint(2, 4)))
        html = "<br>\n".join(self.rich(t) for t in lines)
        return Block(html + "<br>" * self.rng.randint(0, 2), lines, bare=True)

    def bare_with_ad(self) -> Block:
        """Two `<br>` runs with an ad between: the ad separates the last and first lines."""
        first, second = (tuple(self.sentence() for _ in range(2)) for _ in range(2))
        ad = self.rng.choice(AD_BLOCKS)
        html = "<br>\n".join(self.plain(t) for t in first) + ad
        html += "<br>\n".join(self.plain(t) for t in second) + "<br>"
        return Block(html, first + second, bare=True)

    def subhead(self) -> Block:
        """An `<h2>`/`<h3>` subhead."""
        text = self.rng.choice(SUBHEADS[self.lang])
        tag = self.rng.choice(("h2", "h3"))
        return Block(f"<{tag}>{self.plain(text)}</{tag}>", (text,))

    def listing(self) -> Block:
        """A `<ul>`/`<ol>` list: one paragraph per item."""
        items = tuple(self.rng.sample(LIST_ITEMS[self.lang], self.rng.randint(2, 3)))
        tag = self.rng.choice(("ul", "ol"))
        lis = "".join(f"<li>{self.plain(t)}</li>" for t in items)
        return Block(f"<{tag}>{lis}</{tag}>", items)

    def quote(self) -> Block:
        """A `<blockquote>` holding one or two `<p>`."""
        texts = tuple(self.sentence() for _ in range(self.rng.randint(1, 2)))
        inner = "".join(f"<p>{self.rich(t)}</p>" for t in texts)
        return Block(f"<blockquote>{inner}</blockquote>", texts)

    def empty(self) -> Block:
        """An empty paragraph: dropped."""
        return Block(self.rng.choice(EMPTY_PARAGRAPHS), ())

    def noise(self) -> Block:
        """An ad, script, style, iframe or image: not article text."""
        return Block(self.rng.choice(NOISE), ())

    def write(self) -> tuple[Block, ...]:
        """A whole body: 5 to 12 blocks, at least two paragraphs of text."""
        kinds = (
            (self.p, 6), (self.div, 2), (self.div_p, 1), (self.bare, 1), (self.bare_with_ad, 1),
            (self.subhead, 1), (self.listing, 1), (self.quote, 1), (self.empty, 1),
            (self.noise, 4),
        )  # fmt: skip
        makers = [k for k, _ in kinds]
        weights = [w for _, w in kinds]
        first = self.rng.random()
        blocks = [self.reported() if first < 0.25 else self.bare() if first < 0.4 else self.p()]
        for _ in range(self.rng.randint(4, 11)):
            block = self.rng.choices(makers, weights)[0]()
            while block.bare and blocks[-1].bare:
                block = self.p()
            blocks.append(block)
        if sum(len(b.paragraphs) for b in blocks) < 2:
            blocks.append(self.p())
        return tuple(blocks)


def body_html(blocks: tuple[Block, ...]) -> str:
    """The inside of `.post_body`."""
    return "\n" + "\n".join(b.html for b in blocks) + "\n"


def body_text(blocks: tuple[Block, ...]) -> str:
    """The true `body` field: paragraphs joined by a blank line."""
    return "\n\n".join(p for b in blocks for p in b.paragraphs)
