"""The body's paragraph rules of docs/record.md, one rule per test."""

from __future__ import annotations

import pytest
from lxml import html

from crawler.normalize import join_paragraphs
from crawler.pages.body import body_paragraphs


def body_of(inner: str) -> str:
    element = html.fromstring(f'<div class="post_body">{inner}</div>')
    return join_paragraphs(body_paragraphs(element))


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>One</div><div>Two</div>", "One\n\nTwo"),
        ("One<br>Two<br/>Three", "One\n\nTwo\n\nThree"),
        ("<div>One<br>\nTwo</div>", "One\n\nTwo"),
        ("<h2>Head</h2><p>Text</p><h3>Sub</h3>", "Head\n\nText\n\nSub"),
        ("<ul><li>a</li><li>b</li></ul><ol><li>c</li></ol>", "a\n\nb\n\nc"),
        ("<blockquote><p>quoted</p></blockquote>", "quoted"),
        ("<blockquote>bare quote</blockquote>", "bare quote"),
        ("<div><p>inner</p></div>", "inner"),
        ("Lead text<p>Para</p>tail text", "Lead text\n\nPara\n\ntail text"),
        ("<p>a <strong>b</strong> <em>c</em> <a href='x'>d</a></p>", "a b c d"),
        ("<p>  lots \n of\t space  </p>", "lots of space"),
        ("<p></p><p> </p><p>kept</p><div>\n</div>", "kept"),
        ("<p>&quot;q&quot; &amp; &#39;s&#39;</p>", "\"q\" & 's'"),
    ],
)
def test_paragraph_rules(inner: str, expected: str) -> None:
    assert body_of(inner) == expected


@pytest.mark.parametrize(
    "junk",
    [
        "<script>var a = 1;</script>",
        "<style>p { color: red }</style>",
        "<iframe src='https://ads.example/frame'></iframe>",
        "<ins class='adsbygoogle'>ad</ins>",
        "<div class='banner'><p>Buy now</p></div>",
        "<div class='advert-box'>Buy now</div>",
        "<div class='reklam_block'><span>Реклама</span></div>",
        "<div class='top-banner-wide'>Buy</div>",
        "<p><img src='/media/x.webp'><img src='/templates/Default/api/zoom.png'></p>",
        "<noscript>enable js</noscript>",
    ],
)
def test_non_article_blocks_are_removed(junk: str) -> None:
    assert body_of(f"<p>Before</p>{junk}<p>After</p>") == "Before\n\nAfter"


def test_a_removed_block_separates_two_runs_of_text() -> None:
    assert body_of("run one<div class='banner'>ad</div>run two") == "run one\n\nrun two"
    assert body_of("run one<script>x()</script>run two") == "run one\n\nrun two"


def test_an_image_between_two_runs_of_text_separates_them() -> None:
    """The zoom icon (or a photo) standing between bare text is a removed block too."""
    zoom = "<img class='zoom' src='/templates/Default/api/zoom.png'>"
    assert body_of(f"run one<br>run two{zoom}run three") == "run one\n\nrun two\n\nrun three"


def test_caliber_attribution_is_article_text() -> None:
    assert body_of("<p>Как передает Caliber.Az, раунд завершился.</p>") == (
        "Как передает Caliber.Az, раунд завершился."
    )


def test_deep_nesting_is_walked_without_recursion() -> None:
    inner = "<div>" * 200 + "deep" + "</div>" * 200
    assert body_of(inner) == "deep"


def test_nesting_past_the_parser_limit_loses_text_but_does_not_raise() -> None:
    """libxml2 stops at 256 levels: such a page becomes a reject (no body), never a crash."""
    assert body_of("<div>" * 5000 + "deep" + "</div>" * 5000) == ""
