"""The article body's paragraph rules (docs/record.md), on an lxml tree.

The body is flattened to a stream of text runs and breaks: a block element's start and
end, a ``<br>`` and a removed (non-article) element each break the stream; inline
elements do not. The runs between breaks are the paragraphs, so the innermost block is
the paragraph, text standing directly in the body is a paragraph, and an ad between two
runs of text separates them.
"""

from __future__ import annotations

from lxml import etree

from crawler.site import BLOCK_TAGS, NON_ARTICLE_CLASS_FRAGMENTS, NON_ARTICLE_TAGS


def _is_ad_class(classes: str | None) -> bool:
    """True for a ``class`` attribute that names an ad block (not article text, like the
    ``NON_ARTICLE_TAGS``: scripts, frames, images)."""
    if not classes:
        return False
    lowered = classes.lower()
    return any(fragment in lowered for fragment in NON_ARTICLE_CLASS_FRAGMENTS)


def body_paragraphs(body: etree._Element) -> list[str]:
    """Raw text of each paragraph of ``body``, in document order (not yet collapsed)."""
    paragraphs: list[str] = []
    run: list[str] = []
    block_tags, skipped_tags = BLOCK_TAGS, NON_ARTICLE_TAGS  # locals: read per element

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        tag = tag.lower() if isinstance(tag, str) else ""
        if event == "start":
            if not tag:  # a comment or processing instruction: no text of its own
                continue
            if tag in skipped_tags or _is_ad_class(element.get("class")):
                walker.skip_subtree()  # an ad, a script, an image: it separates two runs
                if run:
                    paragraphs.append("".join(run))
                    run.clear()
                continue
            if (tag == "br" or tag in block_tags) and run:
                paragraphs.append("".join(run))
                run.clear()
            if tag != "br":
                text = element.text
                if text:
                    run.append(text)
        else:
            if tag in block_tags and run:
                paragraphs.append("".join(run))
                run.clear()
            tail = element.tail
            if tail and element is not body:
                run.append(tail)
    if run:
        paragraphs.append("".join(run))
    return paragraphs
