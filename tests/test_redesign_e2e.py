"""End to end on the replica's redesign (`--markup redesign`): every article is delivered
with every field equal to the truth from a second source, the run says which layer gave
what and is flagged with the selectors to fix, and ``scrapy reextract`` with the corrected
selectors gives ``selector`` everywhere with the same values."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.crawl import PAST_LAST, by_url, run_crawl, run_reextract, without_crawler_fields
from tests.receivers import WebhookReceiver
from tests.replica.generator import Article, build_site
from tests.replica.handle import ReplicaHandle
from tests.replica.redesign import SELECTORS, structured_kind

ARTICLES, SEED = 60, 7
#: Fields the redesign's structured data carry, by kind (tests/replica/redesign.py).
STRUCTURED = {"json-ld": {"subtitle", "date", "category", "views", "author", "image"},
              "opengraph": {"date", "category", "image"}, "none": set()}
#: The selector keys the redesign broke (those that read a record field or a card).
BROKEN_KEYS = ("subtitle", "date", "category", "views", "author", "cover", "body", "card")


def expected_provenance(articles: list[Article]) -> dict[str, dict[str, int]]:
    """field -> layer -> records, from the replica's data: the h1 is still a selector
    (``title_fallback``); a field in the page's structured data comes from there; the rest
    from the finder."""
    counts: dict[str, Counter[str]] = {}
    for article in articles:
        record = article.record()
        for name in ("title", "subtitle", "date", "category", "views", "author", "image",
                     "body"):
            if record[name] is None:
                continue
            layer = ("selector" if name == "title" else "structured"
                     if name in STRUCTURED[structured_kind(article)] else "finder")
            counts.setdefault(name, Counter())[layer] += 1
    return {name: dict(layers) for name, layers in counts.items()}


def summaries(output_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text("utf-8"))
            for path in sorted((output_dir / "runs").glob("*.json"))]


@pytest.mark.e2e
def test_a_redesign_loses_nothing_and_names_the_selectors_to_fix(tmp_path: Path) -> None:
    with ReplicaHandle(articles=ARTICLES, seed=SEED, markup="redesign") as site, \
            WebhookReceiver() as hook:
        crawl = run_crawl(site.base_url, tmp_path, "mode=full",
                          settings={"ANALYTICS_NOTIFY_WEBHOOK_URL": hook.url}, endings=PAST_LAST)
        truth = by_url(site.truth())
        notified = [message["text"] for message in hook.messages]
    assert crawl.returncode == 0, crawl.log[-3000:]
    summary = crawl.summary
    assert summary["status"] == "ok" and summary["failed_checks"] == {}
    # Every article, every field equal to the truth (the body's normalised text included).
    assert len(crawl.records) == len(truth) == ARTICLES
    assert by_url([without_crawler_fields(record) for record in crawl.records]) == truth
    # Provenance: which layer gave each field, counted per field (and per language).
    articles = build_site(SEED, ARTICLES, markup="redesign").articles
    provenance = summary["provenance"]
    fields = {name: layers for name, layers in provenance["by_field"].items()
              if name != "cards"}
    assert fields == expected_provenance(articles)
    for lang in ("en", "ru", "hy"):
        mine = [article for article in articles if article.lang == lang]
        assert {name: layers for name, layers in provenance["by_lang"][lang].items()
                if name != "cards"} == expected_provenance(mine)
    assert set(provenance["by_field"]["cards"]) == {"finder"}
    # Flagged, with the selectors to correct and the layer that replaced them.
    flag = summary["warnings"]["fallback_layers"]
    for key in BROKEN_KEYS:
        assert f"{key} (" in flag, (key, flag)
    assert "replaced by finder on 60 pages" in flag  # the body, from the finder everywhere
    assert "flagged (fallback_layers)" in crawl.log
    # The operator is told: a new problem, though the run is ok.
    assert len(notified) == 1 and "fallback_layers (warning): " in notified[0], notified

    reextract = run_reextract("--all", "-s", f"ANALYTICS_SELECTORS={json.dumps(SELECTORS)}",
                       output_dir=tmp_path)
    assert reextract.returncode == 0, reextract.stderr[-3000:]
    rebuilt = [s for s in summaries(tmp_path) if s.get("source") == "archive"][-1]
    assert rebuilt["status"] == "ok" and rebuilt["warnings"] == {}
    layers = {layer for counts in rebuilt["provenance"]["by_field"].values() for layer in counts}
    assert layers == {"selector"}
    assert {name: sum(counts.values()) for name, counts in rebuilt["provenance"]["by_field"].items()
            } == {name: sum(counts.values()) for name, counts in fields.items()}
    # Where both gave a field, the corrected selectors agree with the structured data.
    compared = rebuilt["provenance"]["compared"]
    assert compared and all(entry["disagreed"] == 0 for entry in compared.values())
    path = Path(rebuilt["files"]["articles"])
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert by_url([without_crawler_fields(record) for record in records]) == truth
