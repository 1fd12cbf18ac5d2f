"""The exit codes of every project command, in one table (the README's shows the same)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a command's exit status says, whichever command it is."""

    #: Done: the run's monitors passed, the dataset or report is written, the check is clean.
    OK = 0
    #: Scrapy could not start, a dataset, report or export could not be written,
    #: ``scrapy sitecheck`` found what the crawl relies on missing, or scrapyd gave
    #: ``deploy/schedule.py`` no verdict of the crawl (crashed, vanished, not answering).
    FAILED = 1
    #: Refused before any work: a wrong argument, setting or option, or an unusable state.
    REFUSED = 2
    #: A run finished but its monitors failed (or it wrote no verdict).
    RUN_FAILED = 3
    #: ``scrapy state --check``: the state differs from the run files, or cannot be read.
    STATE_DIFFERS = 3
    #: Another run holds the state (``<state>.lock``).
    STATE_LOCKED = 4
