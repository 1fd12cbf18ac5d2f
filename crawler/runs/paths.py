"""Where a run's files are: ``articles/``, ``rejects/``, ``runs/``, ``archive/`` under
``ANALYTICS_OUTPUT_DIR``, each named by the run id, and the one way the output directory is
enumerated (only names that are run ids count)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.runs.instants import RUN_ID_PATTERN, validate_run_id

#: The folder of each kind of run file, and its files' suffix.
SUFFIXES = {"articles": ".jsonl", "rejects": ".jsonl", "runs": ".json", "archive": ".warc.gz"}


@dataclass(frozen=True)
class RunPaths:
    """Where one run writes: ``articles/``, ``rejects/``, ``runs/``, ``archive/``, by run id."""

    output_dir: Path
    run_id: str

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)

    @classmethod
    def of(cls, settings: Any) -> RunPaths:
        """The files of the run a crawler's settings name (its id fixed as the run starts)."""
        return cls(Path(settings["ANALYTICS_OUTPUT_DIR"]), settings["ANALYTICS_RUN_ID"])

    @property
    def articles(self) -> Path:
        return self.output_dir / "articles" / f"{self.run_id}.jsonl"

    @property
    def rejects(self) -> Path:
        return self.output_dir / "rejects" / f"{self.run_id}.jsonl"

    @property
    def summary(self) -> Path:
        return self.output_dir / "runs" / f"{self.run_id}.json"

    @property
    def archive(self) -> Path:
        return self.output_dir / "archive" / f"{self.run_id}.warc.gz"


def run_files(output_dir: Path, kind: str) -> dict[str, Path]:
    """Run id -> its file of ``kind`` (``articles``, ``rejects``, ``runs``, ``archive``)
    under ``output_dir``, oldest run first; names that are not run ids are passed over."""
    suffix = SUFFIXES[kind]
    found = {}
    for path in sorted((output_dir / kind).glob(f"*{suffix}")):
        run_id = path.name[: -len(suffix)]
        if RUN_ID_PATTERN.match(run_id):
            found[run_id] = path
    return found


def run_ids(output_dir: Path) -> list[str]:
    """Ids of every run with a records, rejects or summary file under ``output_dir``, oldest
    first."""
    return sorted({run_id for kind in ("articles", "rejects", "runs")
                   for run_id in run_files(output_dir, kind)})


def has_run_files(output_dir: Path) -> bool:
    """True when ``output_dir`` holds the records or summary of any run."""
    return any(run_files(output_dir, kind) for kind in ("articles", "runs"))
