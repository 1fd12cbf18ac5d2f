#!/usr/bin/env python3
"""Schedule one crawl on scrapyd and, with ``--wait``, report its verdict.

What the systemd timer and the cron line call (``crawler.scheduling`` has the rest):
    .venv/bin/python deploy/schedule.py --env-file /etc/caliber-analytics/all.env --wait
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's crawler package

from crawler.scheduling import main

if __name__ == "__main__":
    sys.exit(main())
