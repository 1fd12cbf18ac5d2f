"""ReplicaHandle: run `python -m tests.replica` as a subprocess and talk to it.

Used by the pytest fixture and by plain scripts (demo, benchmarks) as a context manager;
the subprocess is always stopped, even when the caller fails.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]  # the repository: `tests` is importable from here
START_TIMEOUT = 30.0


def stop_process(proc: subprocess.Popen[Any], grace: float) -> None:
    """SIGTERM, then SIGKILL once ``grace`` seconds have passed; waits for the exit."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class ReplicaHandle:
    """A running replica: its base URL, request log, truth, and control endpoints."""

    def __init__(
        self,
        articles: int = 30,
        seed: int = 7,
        faults: str | None = None,
        publish_every: int | None = None,
        log_path: str | Path | None = None,
        port: int = 0,
        retry_after: int | None = None,
        slow_seconds: float | None = None,
        hang_seconds: float | None = None,
        log: bool = True,
        extra_args: tuple[str, ...] = (),
        pagination: str | None = None,
        lang_articles: dict[str, int] | None = None,
        rare_fields: tuple[str, ...] = (),
        markup: str | None = None,
    ) -> None:
        self._own_dir: Path | None = None  # a temporary directory we made, removed at stop
        if log_path is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="replica-"))
            log_path = self._own_dir / "requests.jsonl"
        self.log_path = Path(log_path)
        self.log = log
        self.articles, self.seed, self.faults = articles, seed, faults
        self.publish_every, self.port, self.extra_args = publish_every, port, extra_args
        self.options = {
            "--retry-after": retry_after,
            "--slow-seconds": slow_seconds,
            "--hang-seconds": hang_seconds,
            "--pagination": pagination,
            "--lang-articles": ",".join(f"{k}={v}" for k, v in lang_articles.items())
            if lang_articles else None,
            "--rare-fields": ",".join(rare_fields) or None,
            "--markup": markup,
        }
        self.base_url = ""
        self.proc: subprocess.Popen[str] | None = None

    def command(self) -> list[str]:
        """The command line of the subprocess."""
        cmd = [sys.executable, "-m", "tests.replica", "--articles", str(self.articles)]
        cmd += ["--seed", str(self.seed), "--port", str(self.port)]
        if self.log:
            cmd += ["--log", str(self.log_path)]
        if self.faults:
            cmd += ["--faults", self.faults]
        if self.publish_every:
            cmd += ["--publish-every", str(self.publish_every)]
        for flag, value in self.options.items():
            if value is not None:
                cmd += [flag, str(value)]
        return cmd + list(self.extra_args)

    def start(self) -> ReplicaHandle:
        """Start the server and wait for its base URL (first stdout line)."""
        if self.proc is not None:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.touch()
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                   os.environ.get("PYTHONPATH")])))  # fmt: skip
        stderr = self.log_path.with_suffix(".stderr")
        with stderr.open("w") as err:
            self.proc = subprocess.Popen(
                self.command(), cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True
            )
        line = self._first_line()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"replica did not start: {stderr.read_text()[-2000:]}")
        self.base_url = line.strip()
        return self

    def _first_line(self) -> str:
        """Read the first stdout line, giving up after START_TIMEOUT seconds."""
        assert self.proc is not None and self.proc.stdout is not None
        out: list[str] = []
        reader = threading.Thread(target=lambda: out.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
                                  daemon=True)  # fmt: skip
        reader.start()
        reader.join(START_TIMEOUT)
        return out[0] if out else ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice.

        Without an explicit `log_path` the log lived in a temporary directory: it goes too.
        """
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_process(proc, grace=5)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> ReplicaHandle:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    # --- talking to it --------------------------------------------------------------------
    def url(self, path: str) -> str:
        """Absolute URL of a path on the replica."""
        return self.base_url + path

    def _call(self, method: str, endpoint: str, **params: Any) -> bytes:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        req = urllib.request.Request(self.url(endpoint + (f"?{query}" if query else "")),
                                     method=method)  # fmt: skip
        with urllib.request.urlopen(req, timeout=10) as resp:
            body: bytes = resp.read()
        return body

    def requests(self) -> list[dict[str, Any]]:
        """The request log so far, parsed (control requests are not in it)."""
        text = self.log_path.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def api_origin(self) -> str:
        """`--pagination script-api`: the origin of its endpoint (another port); else ""."""
        origin: str = json.loads(self._call("GET", "/__replica__/api"))["origin"]
        return origin

    def truth(self) -> list[dict[str, Any]]:
        """Records the crawler must produce now (published articles and current views)."""
        lines = self._call("GET", "/__replica__/truth").decode().splitlines()
        return [json.loads(line) for line in lines if line]

    def broken_urls(self) -> list[str]:
        """Article URLs served broken (rejects, not records)."""
        urls: list[str] = json.loads(self._call("GET", "/__replica__/broken"))
        return urls

    def disallowed_urls(self) -> list[str]:
        """URLs robots.txt forbids that the site links to."""
        urls: list[str] = json.loads(self._call("GET", "/__replica__/disallowed"))
        return urls

    def set_defect(self, url: str, kind: str) -> None:
        """Serve the article at `url` (or path) with a defect: broken, nodate, gone, removed."""
        self._call("POST", "/__replica__/defect", path=urlsplit(url).path, kind=kind)

    def edit(self, url: str, kind: str) -> None:
        """The site edits the article at `url`: `content` (title and body) or `whitespace`."""
        self._call("POST", "/__replica__/edit", path=urlsplit(url).path, kind=kind)

    def fix(self, url: str) -> None:
        """The site fixes the article at `url` (or path): served whole again."""
        self._call("POST", "/__replica__/fix", path=urlsplit(url).path)

    def set_listing_defect(self, defect: str | None) -> None:
        """Serve every listing page 1 with a defect (`error200`, `renamed-cards`), or whole."""
        self._call("POST", "/__replica__/listing", defect=defect)

    def publish(self, count: int = 1, lang: str | None = None) -> list[str]:
        """Publish `count` new articles; returns their URLs."""
        urls: list[str] = json.loads(self._call("POST", "/__replica__/publish", count=count,
                                                lang=lang))["published"]  # fmt: skip
        return urls

    def raise_views(self, delta: int) -> int:
        """Raise every shown views counter by `delta`; returns how many articles changed."""
        raised: int = json.loads(self._call("POST", "/__replica__/views", delta=delta))["raised"]
        return raised
