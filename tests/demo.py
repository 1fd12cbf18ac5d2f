"""``make demo``: crawl a local replica of about 60 articles and print what came out.

Runs the real ``scrapy crawl analytics`` with the project's own settings; the one change
is ``ANALYTICS_LOOPBACK_UNTHROTTLED``, which lifts politeness for the loopback replica only.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.ledger import LEDGER_COLUMNS, ledger_rows
from tests.crawl import PAST_LAST, ROOT, by_url, run_crawl, without_crawler_fields
from tests.replica.handle import ReplicaHandle

OUTPUT = ROOT / "output" / "demo"


def main() -> int:
    with ReplicaHandle(articles=60, seed=2026, log_path=OUTPUT / "replica-requests.jsonl") as site:
        print(f"Replica of the Analytics section at {site.base_url} (60 articles, en/ru/hy)")
        result = run_crawl(site.base_url, OUTPUT, "mode=full", endings=PAST_LAST)
        truth = by_url(site.truth())
    summary = result.summary
    got = by_url(result.records)
    exact = sum(1 for url, record in truth.items()
                if url in got and without_crawler_fields(got[url]) == record)
    print(f"Run {summary['run_id']}: {summary['status'].upper()} ({summary['finish_reason']}),"
          f" exit code {result.returncode}")
    print(f"  records  {summary['records']['total']} {summary['records']['by_lang']}")
    print(f"  rejects  {summary['rejects']['total']} {summary['rejects']['by_reason']}")
    print(f"  requests {summary['requests']['total']} by status "
          f"{summary['requests']['by_status']}")
    print(f"  coverage {summary['field_coverage']}")
    print(f"  equal to the replica's truth, field by field: {exact} of {len(truth)}")
    print("  ledger   " + " | ".join(LEDGER_COLUMNS))
    for row in ledger_rows(summary["ledger"]):
        print("           " + " | ".join(map(str, row)))
    for name, path in summary["files"].items():
        shown = Path(path).relative_to(ROOT) if Path(path).exists() else "(none written)"
        print(f"  {name:8} {shown}")
    print(f"  summary  {(OUTPUT / 'runs' / (summary['run_id'] + '.json')).relative_to(ROOT)}")
    return 0 if result.returncode == 0 and exact == len(truth) else 1


if __name__ == "__main__":
    sys.exit(main())
