"""``make bench``: extraction, unthrottled crawl, memory and the request floor, as ratios.

The machines are noisy, so every figure is a ratio against a baseline measured in the same
run, and every figure is the median of several repetitions. Results go to
``bench/results.json``; the table between the markers in ``docs/benchmarks.md`` is rewritten.

    .venv/bin/python -m bench.run                 # everything (about 8 minutes on 2 cores)
    .venv/bin/python -m bench.run --only extract  # one measurement (extract, crawl, rss, ...)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
SEED = 7

#: Settings of the unthrottled crawl: each one is documented in docs/benchmarks.md.
CRAWL_SETTINGS = {
    "ANALYTICS_LOOPBACK_UNTHROTTLED": "1",  # politeness off (loopback replica only)
    "LOG_LEVEL": "INFO",  # the default; the stats dump at the end gives elapsed_time_seconds
}
#: Targets: key -> (comparison, bound).
TARGETS: dict[str, tuple[str, float]] = {
    "extract_ratio_vs_parsel": ("<=", 1.3),
    "extract_speedup_vs_trafilatura": (">=", 5.0),
    "crawl_ratio_vs_scrapy_bench": (">=", 2.5),
    "cpu_ms_per_item": ("<=", 4.0),
    "rss_ratio_20k_vs_2k": ("<=", 1.15),
    "incremental_requests_over_floor": ("<=", 1.0),
    "rebuild_cpu_ratio_vs_crawl": ("<=", 0.1),
    "reextract_ratio_vs_extract": ("<=", 2.0),
    "archive_cpu_ratio_on_vs_off": ("<=", 1.25),
    "layers_ratio_compared_vs_selectors": ("<=", 1.25),
    "layers_ratio_finder_vs_parsel": ("<=", 8.0),
}


def median(values: list[float]) -> float:
    return float(statistics.median(values))


# --- extraction ---------------------------------------------------------------------------
def article_pages(count: int) -> list[tuple[str, bytes]]:
    """(URL, HTML) of ``count`` replica article pages, rendered in this process."""
    from tests.replica.generator import build_site
    from tests.replica.render import render_article

    site = build_site(SEED, count)
    return [("http://127.0.0.1:8000" + article.path, render_article(site, article))
            for article in site.articles[:count]]


def project_parse(pages: list[tuple[str, bytes]], site: Any = None) -> int:
    """The crawler's own work per article page: response, every field, normalised record
    (with the run's default ``SiteProfile``, or ``site``)."""
    from scrapy.http import HtmlResponse

    from crawler.normalize import normalize_article
    from crawler.pages import ArticlePage
    from crawler.site import SiteProfile
    from crawler.urls import canonical_url

    if hasattr(canonical_url, "cache_clear"):  # a page's URL is worked out once, not cached
        canonical_url.cache_clear()
    site = site or SiteProfile()
    records = 0
    for url, body in pages:
        response = HtmlResponse(url, body=body, encoding="utf-8")
        raw = ArticlePage(response, site).to_raw("http://127.0.0.1:8000", "2026-11-28T06:00:00Z")
        article, _ = normalize_article(raw)
        records += bool(article.to_record())
    return records


BASELINE_CSS = (".post_title ::text", ".post_subtitle ::text", ".post_time::text",
                ".post_hits::text", ".post_body")


def parsel_parse(pages: list[tuple[str, bytes]]) -> int:
    """The bare baseline: a parsel ``Selector`` on the same bytes and five CSS ``get()``s."""
    from parsel import Selector

    found = 0
    for _, body in pages:
        selector = Selector(text=body.decode("utf-8"))
        found += sum(selector.css(query).get() is not None for query in BASELINE_CSS)
    return found


def trafilatura_parse(pages: list[tuple[str, bytes]]) -> int:
    """``trafilatura.extract`` (its defaults) on the same pages."""
    import trafilatura

    return sum(bool(trafilatura.extract(body.decode("utf-8"), url=url)) for url, body in pages)


def measure_extract(reps: int, pages_count: int = 200, chunk: int = 20) -> dict[str, Any]:
    """Milliseconds per page of the three parsers on the same pages, and their ratios.

    The parsers take turns on chunks of ``chunk`` pages (the order rotating), so a burst
    of load from other processes hits all three alike; each ratio is the median over
    every chunk of every repetition.
    """
    pages = article_pages(pages_count)
    parsers: dict[str, Callable[[list[tuple[str, bytes]]], int]] = {
        "project": project_parse, "parsel": parsel_parse, "trafilatura": trafilatura_parse}
    for parse in parsers.values():  # warm up: imports, selector caches
        parse(pages[:20])
    times: dict[str, list[float]] = {name: [] for name in parsers}
    ratios_parsel, ratios_traf = [], []
    turn = 0
    for _ in range(reps):
        for start in range(0, len(pages), chunk):
            part = pages[start:start + chunk]
            this: dict[str, float] = {}
            names = list(parsers)
            turn += 1
            for name in names[turn % 3:] + names[:turn % 3]:
                began = time.perf_counter()
                parsers[name](part)
                this[name] = (time.perf_counter() - began) / len(part)
                times[name].append(this[name])
            ratios_parsel.append(this["project"] / this["parsel"])
            ratios_traf.append(this["trafilatura"] / this["project"])
    return {
        "extract_pages": len(pages),
        "extract_ms_per_page": {name: round(median(v) * 1000, 3) for name, v in times.items()},
        "extract_ratio_vs_parsel": round(median(ratios_parsel), 3),
        "extract_speedup_vs_trafilatura": round(median(ratios_traf), 2),
        "extract_samples": len(ratios_parsel),
    }


def layer_profiles() -> dict[str, Any]:
    """The site profiles the layers are timed with (``measure_layers``)."""
    from dataclasses import replace

    from crawler.site import SiteProfile

    default = SiteProfile()
    nothing = {key: f".gone-{key}" for key in ("title", "title_fallback", "subtitle", "category",
                                               "date", "author", "cover", "views", "body")}
    return {
        # Today's extraction: the selectors alone, nothing compared.
        "selectors": replace(default, layers=("selector",), compare_layers=False),
        "chain": replace(default, compare_layers=False),
        "chain_compared": default,
        # Every field from the finder: no selector matches, no structured data asked.
        "finder": replace(default, selectors={**default.selectors, **nothing},
                          layers=("selector", "finder"), compare_layers=False),
    }


def measure_layers(reps: int, pages_count: int = 200, chunk: int = 20) -> dict[str, Any]:
    """The fallback chain's cost (docs/benchmarks.md, *Fallback layers*), in turns on the same
    chunks of today's pages as ``measure_extract``: extraction with the chain and with the
    comparison of the selectors and the structured data, over the selectors alone (today's
    extraction); every field from the finder over a bare parsel parse; and the default chain
    on the replica's redesign (``--markup redesign``) over a bare parse."""
    from tests.replica.generator import build_site
    from tests.replica.render import render_article

    pages = article_pages(pages_count)
    redesign = build_site(SEED, pages_count, markup="redesign")
    redesigned = [("http://127.0.0.1:8000" + article.path, render_article(redesign, article))
                  for article in redesign.articles[:pages_count]]
    profiles = layer_profiles()
    parsers: dict[str, Callable[[list[tuple[str, bytes]]], int]] = {
        name: partial(project_parse, site=site) for name, site in profiles.items()}
    parsers["parsel"] = parsel_parse
    for parse in parsers.values():
        parse(pages[:20])
    ratios: dict[str, list[float]] = {"compared": [], "chain": [], "finder": [], "redesign": []}
    times: dict[str, list[float]] = {name: [] for name in [*parsers, "redesign"]}
    turn = 0
    for _ in range(reps):
        for start in range(0, len(pages), chunk):
            part, other = pages[start:start + chunk], redesigned[start:start + chunk]
            jobs = [(name, parse, part) for name, parse in parsers.items()]
            jobs.append(("redesign", parsers["chain_compared"], other))
            turn += 1
            this: dict[str, float] = {}
            for name, parse, chunk_pages in jobs[turn % len(jobs):] + jobs[:turn % len(jobs)]:
                began = time.perf_counter()
                parse(chunk_pages)
                this[name] = (time.perf_counter() - began) / len(chunk_pages)
                times[name].append(this[name])
            ratios["compared"].append(this["chain_compared"] / this["selectors"])
            ratios["chain"].append(this["chain"] / this["selectors"])
            ratios["finder"].append(this["finder"] / this["parsel"])
            ratios["redesign"].append(this["redesign"] / this["parsel"])
    return {
        "layers_ms_per_page": {name: round(median(v) * 1000, 3) for name, v in times.items()},
        "layers_ratio_compared_vs_selectors": round(median(ratios["compared"]), 3),
        "layers_ratio_chain_vs_selectors": round(median(ratios["chain"]), 3),
        "layers_ratio_finder_vs_parsel": round(median(ratios["finder"]), 3),
        "layers_ratio_redesign_vs_parsel": round(median(ratios["redesign"]), 3),
        "layers_samples": len(ratios["compared"]),
    }


# --- processes ----------------------------------------------------------------------------
def run_measured(command: list[str], cwd: Path, log: Path,
                 timeout: float = 900) -> tuple[int, float, float, float]:
    """Run ``command``; (exit status, wall s, CPU s, peak RSS MB) of that process alone."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as err:
        began = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=err, stderr=subprocess.STDOUT)
        deadline = began + timeout
        while True:  # os.wait4: the rusage of this child only (not of the replica)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
            time.sleep(0.05)
        wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    return (proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def stat_from_log(text: str, name: str) -> float:
    """A number of Scrapy's stats dump at the end of a log (``'name': value``)."""
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", text)
    if match is None:
        raise RuntimeError(f"no {name} in the log:\n{text[-3000:]}")
    return float(match.group(1))


# --- scrapy bench -------------------------------------------------------------------------
SCRAPY_BENCH_SECONDS = 10


def scrapy_bench_once(workdir: Path) -> float:
    """Pages/s of ``scrapy bench`` (its own local server), run outside the project.

    Run from an empty directory, so that Scrapy's defaults apply, not this project's polite
    settings. Pages/s = responses received / elapsed time, both from its final stats dump.
    """
    log = workdir / "scrapy-bench.log"
    status, *_ = run_measured(
        [sys.executable, "-m", "scrapy", "bench",
         "-s", f"CLOSESPIDER_TIMEOUT={SCRAPY_BENCH_SECONDS}", "-s", "LOGSTATS_INTERVAL=1"],
        cwd=workdir, log=log)
    text = log.read_text()
    if status != 0:
        raise RuntimeError(f"scrapy bench failed:\n{text[-3000:]}")
    return (stat_from_log(text, "response_received_count")
            / stat_from_log(text, "elapsed_time_seconds"))


# --- the crawl ----------------------------------------------------------------------------
def crawl_once(base_url: str, workdir: Path, *arguments: str,
               settings: dict[str, str] | None = None, out: Path | None = None) -> dict[str, Any]:
    """One ``scrapy crawl analytics`` against the replica with its own output (``out``, else
    a new directory) and state."""
    out = out or Path(tempfile.mkdtemp(prefix="crawl-", dir=workdir))
    command = [sys.executable, "-m", "scrapy", "crawl", "analytics",
               "-a", f"base_url={base_url}", "-s", f"ANALYTICS_OUTPUT_DIR={out}",
               "-s", f"ANALYTICS_STATE_PATH={workdir / 'state' / out.name}.sqlite3"]
    for name, value in {**CRAWL_SETTINGS, **(settings or {})}.items():
        command += ["-s", f"{name}={value}"]
    for argument in arguments:
        command += ["-a", argument]
    status, wall, cpu, rss = run_measured(command, cwd=ROOT, log=out / "crawl.log")
    text = (out / "crawl.log").read_text()
    if status != 0:
        raise RuntimeError(f"crawl exited {status}:\n{text[-3000:]}")
    items = sum(1 for path in (out / "articles").glob("*.jsonl")
                for _ in path.open(encoding="utf-8"))
    elapsed = stat_from_log(text, "elapsed_time_seconds")
    archive_bytes = sum(path.stat().st_size for path in (out / "archive").glob("*.warc.gz"))
    return {"items": items, "elapsed_s": elapsed, "wall_s": wall, "cpu_s": cpu, "rss_mb": rss,
            "items_per_s": items / elapsed, "cpu_ms_per_item": cpu * 1000 / items,
            "archive_bytes": archive_bytes}


def floor_once(base_url: str, urls: list[str], workdir: Path) -> dict[str, Any]:
    """``bench/floor_spider.py`` over the article URLs: Scrapy's own CPU per page."""
    listing = workdir / "floor-urls.txt"
    listing.write_text("\n".join(base_url + url[len("https://caliber.az"):] for url in urls))
    log = workdir / "floor.log"
    status, _, cpu, _ = run_measured(
        [sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "floor_spider.py"),
         "-a", f"urls={listing}"], cwd=workdir, log=log)
    text = log.read_text()
    if status != 0:
        raise RuntimeError(f"floor spider failed:\n{text[-3000:]}")
    pages = stat_from_log(text, "response_received_count")
    return {"pages_per_s": pages / stat_from_log(text, "elapsed_time_seconds"),
            "cpu_ms_per_page": cpu * 1000 / pages}


def replica(articles: int, **options: Any) -> Any:
    from tests.replica.handle import ReplicaHandle

    return ReplicaHandle(articles=articles, seed=SEED, **options)


def measure_crawl(reps: int, articles: int, workdir: Path) -> dict[str, Any]:
    """Unthrottled full crawls of ``articles`` interleaved with ``scrapy bench`` runs."""
    (workdir / "state").mkdir(exist_ok=True)
    runs, bench, ratios, floors = [], [], [], []
    began = time.perf_counter()
    with replica(articles, log=False) as site:
        start_s = time.perf_counter() - began
        urls = [record["url"] for record in site.truth()]
        for _ in range(reps):
            bench.append(scrapy_bench_once(workdir))
            floors.append(floor_once(site.base_url, urls, workdir))
            runs.append(crawl_once(site.base_url, workdir, "mode=full"))
            if runs[-1]["items"] != len(site.truth()):
                raise RuntimeError(f"crawl delivered {runs[-1]['items']} of {len(site.truth())}")
            ratios.append(runs[-1]["items_per_s"] / bench[-1])
    return {
        "crawl_articles": articles,
        "crawl_replica_start_s": round(start_s, 2),
        "crawl_items_per_s": round(median([r["items_per_s"] for r in runs]), 1),
        "scrapy_bench_pages_per_s": round(median(bench), 1),
        "crawl_ratio_vs_scrapy_bench": round(median(ratios), 2),
        "cpu_ms_per_item": round(median([r["cpu_ms_per_item"] for r in runs]), 2),
        "crawl_rss_mb": round(median([r["rss_mb"] for r in runs]), 1),
        "floor_cpu_ms_per_page": round(median([f["cpu_ms_per_page"] for f in floors]), 2),
        "floor_pages_per_s": round(median([f["pages_per_s"] for f in floors]), 1),
        "crawl_runs": [{k: round(v, 3) for k, v in r.items()} for r in runs],
        "scrapy_bench_runs": [round(b, 1) for b in bench],
    }


def measure_rss(reps: int, small: int, large: int, workdir: Path,
                small_runs: list[float] | None = None) -> dict[str, Any]:
    """Peak RSS of the same crawl at ``small`` and at ``large`` articles.

    ``small_runs``: peak RSS of the crawls of ``measure_crawl`` (the same crawl), reused.
    """
    (workdir / "state").mkdir(exist_ok=True)
    result: dict[str, Any] = {}
    for articles in (small, large):
        if articles == small and small_runs:
            rss = small_runs
        else:
            began = time.perf_counter()
            with replica(articles, log=False) as site:
                result[f"rss_replica_start_s_{articles}"] = round(time.perf_counter() - began, 2)
                runs = [crawl_once(site.base_url, workdir, "mode=full") for _ in range(reps)]
            rss = [r["rss_mb"] for r in runs]
            result[f"rss_items_per_s_{articles}"] = round(
                median([r["items_per_s"] for r in runs]), 1)
            result[f"rss_cpu_ms_per_item_{articles}"] = round(
                median([r["cpu_ms_per_item"] for r in runs]), 2)
        result[f"rss_mb_{articles}"] = round(median(rss), 1)
        result[f"rss_runs_{articles}"] = [round(value, 1) for value in rss]
    result["rss_ratio_20k_vs_2k"] = round(result[f"rss_mb_{large}"] / result[f"rss_mb_{small}"], 3)
    return result


#: The refresh window of the incremental benchmark (days): a few of the replica's articles.
BENCH_REFRESH_DAYS = 30


def measure_incremental(days: int, new_per_day: int, workdir: Path) -> dict[str, Any]:
    """Requests of incremental days with ``new_per_day`` new articles, over the floor.

    Floor = robots.txt + one listing page per language + the new articles + the refreshes
    due + the rejects due, each counted from the replica's truth, not from what the crawl
    says: the known articles inside a ``refresh_days`` window of ``BENCH_REFRESH_DAYS``
    (the ages of ``ANALYTICS_REFRESH_AGES`` fall due after days, not within a benchmark),
    and one page served without its date (a permanent reject) on day 0, due for its retry on
    day 1 only (then after ``ANALYTICS_REJECT_RETRY_DAYS``).
    """
    from crawler.site import LANGUAGES

    (workdir / "state").mkdir(exist_ok=True)
    log = workdir / "incremental-requests.jsonl"
    state = workdir / "state" / "incremental.sqlite3"
    settings = {"ANALYTICS_STATE_PATH": str(state)}
    window = f"refresh_days={BENCH_REFRESH_DAYS}"
    made: list[int] = []
    floors: list[int] = []
    with replica(300, log_path=log) as site:
        site.set_defect(site.truth()[-1]["url"], "nodate")
        crawl_once(site.base_url, workdir, window, settings=settings)  # day 0: all
        for day in range(days):
            due_refreshes = len(in_refresh_window(site.truth(), BENCH_REFRESH_DAYS))
            site.publish(new_per_day)
            floors.append(1 + len(LANGUAGES) + new_per_day + due_refreshes + (day == 0))
            before = len(site.requests())
            run = crawl_once(site.base_url, workdir, window, settings=settings)
            if run["items"] != new_per_day + due_refreshes:
                raise RuntimeError(f"incremental day delivered {run['items']} records, not "
                                   f"{new_per_day} new and {due_refreshes} refreshed")
            made.append(len(site.requests()) - before)
    return {
        "incremental_new_articles": new_per_day,
        "incremental_floor": floors,
        "incremental_requests": made,
        "incremental_requests_over_floor": round(median([m / floor for m, floor
                                                         in zip(made, floors, strict=True)]), 3),
    }


def in_refresh_window(truth: list[dict[str, Any]], refresh_days: int) -> list[str]:
    """The URLs of the articles a ``refresh_days`` window holds today (Baku days)."""
    from zoneinfo import ZoneInfo

    first_day = datetime.now(ZoneInfo("Asia/Baku")).date() - timedelta(days=refresh_days)
    return [record["url"] for record in truth if record["date"][:10] >= first_day.isoformat()]


def measure_rebuild(reps: int, articles: int, workdir: Path) -> dict[str, Any]:
    """``scrapy state --rebuild`` from the run files of an unthrottled full crawl of
    ``articles``: wall time, CPU and peak RSS, and its CPU over that of the crawl."""
    out = workdir / "rebuild"
    out.mkdir()
    settings = {"ANALYTICS_OUTPUT_DIR": str(out),
                "ANALYTICS_STATE_PATH": str(out / "state.sqlite3")}
    with replica(articles, log=False) as site:
        crawl = crawl_once(site.base_url, workdir, "mode=full", settings=settings, out=out)
    runs = []
    for _ in range(reps):
        status, wall, cpu, rss = run_measured(
            [sys.executable, "-m", "scrapy", "state", "--rebuild",
             *(f"-s{name}={value}" for name, value in settings.items())],
            cwd=ROOT, log=workdir / "rebuild.log")
        if status != 0:
            raise RuntimeError(f"rebuild failed:\n{(workdir / 'rebuild.log').read_text()}")
        runs.append({"wall_s": wall, "cpu_s": cpu, "rss_mb": rss})
    return {
        "rebuild_articles": crawl["items"],
        "rebuild_wall_s": round(median([r["wall_s"] for r in runs]), 2),
        "rebuild_rss_mb": round(median([r["rss_mb"] for r in runs]), 1),
        "rebuild_cpu_ratio_vs_crawl": round(median([r["cpu_s"] for r in runs]) / crawl["cpu_s"],
                                            3),
        "rebuild_runs": [{k: round(v, 2) for k, v in r.items()} for r in runs],
    }


# --- report -------------------------------------------------------------------------------
def project_cpu_ms_per_page(pages: list[tuple[str, bytes]], chunk: int = 20) -> list[float]:
    """CPU ms per page of ``project_parse`` (what ``extract_ms_per_page.project`` times), by
    chunk: CPU time, like the re-extraction's, so load from other processes counts in neither."""
    times = []
    for start in range(0, len(pages), chunk):
        began = time.process_time()
        project_parse(pages[start:start + chunk])
        times.append((time.process_time() - began) * 1000 / len(pages[start:start + chunk]))
    return times


def reextract_once(out: Path) -> dict[str, float]:
    """``scrapy reextract --all`` of a crawl's output: pages, CPU s and wall s of the process."""
    from crawler import statkeys

    log = out / "reextract.log"
    status, wall, cpu, _ = run_measured(
        [sys.executable, "-m", "scrapy", "reextract", "--all",
         "-s", f"ANALYTICS_OUTPUT_DIR={out}", "-s", "LOG_LEVEL=INFO"], cwd=ROOT, log=log)
    text = log.read_text()
    if status != 0:
        raise RuntimeError(f"reextract exited {status}:\n{text[-3000:]}")
    return {"pages": stat_from_log(text, statkeys.REEXTRACT_ARTICLE_PAGES), "cpu_s": cpu,
            "wall_s": wall}


#: Articles of the small archive whose re-extraction gives the fixed cost (start-up).
REEXTRACT_SMALL = 20


def measure_archive(reps: int, articles: int, workdir: Path) -> dict[str, Any]:
    """The archive's cost and ``scrapy reextract``'s speed.

    Crawls with the archive on and off take turns (default gzip level): CPU per record, on
    over off, and the archive's bytes per article. Each archive is re-extracted, and so is
    the archive of a ``REEXTRACT_SMALL``-article crawl (the fixed cost: interpreter, Scrapy,
    settings); ``reextract_ms_per_page`` is the CPU per page over that fixed cost, compared
    with the CPU of ``project_parse`` (``extract_ms_per_page.project``) on replica pages,
    timed between the re-extractions.
    """
    (workdir / "state").mkdir(exist_ok=True)
    on, off, reextracts, small, baseline = [], [], [], [], []
    pages = article_pages(200)
    project_parse(pages[:20])  # warm up
    with replica(REEXTRACT_SMALL, log=False) as site:
        small_out = Path(tempfile.mkdtemp(prefix="archive-small-", dir=workdir))
        crawl_once(site.base_url, workdir, "mode=full", out=small_out)
    with replica(articles, log=False) as site:
        for _ in range(reps):
            off.append(crawl_once(site.base_url, workdir, "mode=full",
                                  settings={"ANALYTICS_ARCHIVE": "0"}))
            out = Path(tempfile.mkdtemp(prefix="archive-", dir=workdir))
            on.append(crawl_once(site.base_url, workdir, "mode=full", out=out))
            small.append(reextract_once(small_out))
            baseline += project_cpu_ms_per_page(pages)
            reextracts.append(reextract_once(out))
    fixed_s = median([r["cpu_s"] for r in small])
    per_page = [(r["cpu_s"] - fixed_s) * 1000 / (r["pages"] - REEXTRACT_SMALL)
                for r in reextracts]
    extract_ms = median(baseline)
    return {
        "archive_articles": articles,
        "archive_cpu_ms_per_item": {"on": round(median([r["cpu_ms_per_item"] for r in on]), 2),
                                    "off": round(median([r["cpu_ms_per_item"] for r in off]), 2)},
        "archive_cpu_ratio_on_vs_off": round(median(
            [a["cpu_ms_per_item"] / b["cpu_ms_per_item"] for a, b in zip(on, off, strict=True)]),
            3),
        "archive_items_per_s": {"on": round(median([r["items_per_s"] for r in on]), 1),
                                "off": round(median([r["items_per_s"] for r in off]), 1)},
        "archive_bytes_per_article": round(median([r["archive_bytes"] / r["items"]
                                                   for r in on])),
        "reextract_pages": int(reextracts[0]["pages"]),
        "reextract_ms_per_page": round(median(per_page), 3),
        "reextract_total_cpu_ms_per_page": round(median(
            [r["cpu_s"] * 1000 / r["pages"] for r in reextracts]), 3),
        "reextract_fixed_cpu_s": round(fixed_s, 2),
        "reextract_pages_per_s": round(median([r["pages"] / r["wall_s"] for r in reextracts]),
                                       1),
        "reextract_extract_cpu_ms_per_page": round(extract_ms, 3),
        "reextract_ratio_vs_extract": round(median(per_page) / extract_ms, 3),
        "archive_runs": {"on": [round(r["cpu_ms_per_item"], 3) for r in on],
                         "off": [round(r["cpu_ms_per_item"], 3) for r in off],
                         "reextract_ms_per_page": [round(value, 3) for value in per_page]},
    }


def versions() -> dict[str, str]:
    names = ("scrapy", "parsel", "lxml", "twisted", "warcio", "trafilatura", "py-spy")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return {"python": platform.python_version(), **found}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    pages = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(pages / 2**30, 1),
            "os": platform.platform(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def verdict(key: str, value: float) -> str:
    op, bound = TARGETS[key]
    ok = value <= bound if op == "<=" else value >= bound
    return "met" if ok else "**not met**"


def markdown(results: dict[str, Any]) -> str:
    rows = ["| key | target | measured (median) | |", "|---|---|---|---|"]
    for key, (op, bound) in TARGETS.items():
        if key in results:
            value = results[key]
            rows.append(f"| `{key}` | {op} {bound} | {value} | {verdict(key, value)} |")
    info = [f"| `{key}` | {results[key]} |" for key in (
        "extract_ms_per_page", "crawl_items_per_s", "floor_cpu_ms_per_page",
        "floor_pages_per_s", "scrapy_bench_pages_per_s", "crawl_rss_mb",
        "rss_mb_2000", "rss_mb_20000", "rss_items_per_s_20000", "rss_cpu_ms_per_item_20000",
        "rss_replica_start_s_20000",
        "incremental_requests", "incremental_floor", "rebuild_articles", "rebuild_wall_s",
        "rebuild_rss_mb", "archive_cpu_ms_per_item",
        "archive_items_per_s", "archive_bytes_per_article", "reextract_ms_per_page",
        "reextract_total_cpu_ms_per_page", "reextract_fixed_cpu_s", "reextract_pages_per_s",
        "reextract_extract_cpu_ms_per_page", "layers_ms_per_page",
        "layers_ratio_chain_vs_selectors", "layers_ratio_redesign_vs_parsel")
        if key in results]
    m, v = results["machine"], results["versions"]
    return "\n".join([
        BEGIN,
        f"Measured {results['measured_at']} with `{results['command']}` "
        f"({results['reps']} repetitions; bench took {results['bench_seconds']} s).",
        "",
        f"Machine: {m['cpus']} x {m['cpu']}, {m['memory_gb']} GB, {m['os']}, "
        f"load average at start {m['load_avg_at_start']}.",
        "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "", *rows, "", "| other figure | value |", "|---|---|", *info, "", END,
    ])


def write_doc(results: dict[str, Any]) -> None:
    table = markdown(results)
    text = DOC.read_text("utf-8") if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(head + table + tail, "utf-8")


MEASUREMENTS = ("extract", "layers", "crawl", "rss", "incremental", "rebuild", "archive")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each measurement")
    parser.add_argument("--rss-reps", type=int, default=2, help="repetitions of each RSS crawl")
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--large", type=int, default=20000, help="articles of the RSS crawl")
    parser.add_argument("--only", choices=MEASUREMENTS, action="append")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    chosen = args.only or list(MEASUREMENTS)
    began = time.perf_counter()
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "make bench" if not argv and not args.only
        else " ".join([".venv/bin/python -m bench.run", *sys.argv[1:]]),
        "reps": args.reps, "machine": machine(), "versions": versions(),
        "crawl_settings": CRAWL_SETTINGS,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        if "extract" in chosen:
            results.update(measure_extract(args.reps * 2 + 1))
        if "layers" in chosen:
            results.update(measure_layers(args.reps * 2 + 1))
        if "crawl" in chosen:
            results.update(measure_crawl(args.reps, args.articles, workdir))
        if "rss" in chosen:
            small_runs = [run["rss_mb"] for run in results.get("crawl_runs", [])]
            results.update(measure_rss(args.rss_reps, args.articles, args.large, workdir,
                                       small_runs))
        if "incremental" in chosen:
            results.update(measure_incremental(args.reps, 5, workdir))
        if "rebuild" in chosen:
            results.update(measure_rebuild(args.reps, args.large, workdir))
        if "archive" in chosen:
            results.update(measure_archive(args.reps, args.articles, workdir))
    results["bench_seconds"] = round(time.perf_counter() - began)
    print(json.dumps(results, indent=1, ensure_ascii=False))
    if not args.no_write:
        if RESULTS.exists() and args.only:  # a partial run updates the last full one
            results = {**json.loads(RESULTS.read_text("utf-8")), **results}
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
        write_doc(results)
    failed = [key for key in TARGETS if key in results
              and verdict(key, results[key]) != "met"]
    print("targets not met: " + (", ".join(failed) if failed else "none"), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
