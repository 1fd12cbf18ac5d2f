"""``scrapy state``: rebuild the incremental state from the run files, compare the two, or
copy the state to and from a file (moving a node). See ``crawler.state.tools``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.commands import check_settings_or_exit
from crawler.commands.exitcodes import ExitCode
from crawler.state.identity import StateUnusable
from crawler.state.retries import RetrySchedule
from crawler.state.store import StateLocked
from crawler.state.tools import check, export_state, import_state, rebuild


class Command(ScrapyCommand):
    requires_project = True
    # No crawl: without a crawler process, Scrapy's start-up banner stays out of the output.
    requires_crawler_process = False

    def syntax(self) -> str:
        return "--rebuild | --check | --export FILE | --import FILE"

    def short_desc(self) -> str:
        return "Rebuild the incremental state from the run files, check it, export or import it"

    def long_desc(self) -> str:
        return (
            "The state (ANALYTICS_STATE_PATH) is a cache of the run files under "
            "ANALYTICS_OUTPUT_DIR. --rebuild builds it anew from them and swaps it in (the "
            "replaced file is kept as <state>.previous); --check runs SQLite's integrity check "
            "and compares the state with the run files (exit 0 agree, 3 differences listed); "
            "--export FILE and --import FILE copy it with SQLite's online backup. Every one "
            "but --export is refused (exit 4) while a crawl holds the state."
        )

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        actions = parser.add_mutually_exclusive_group()
        actions.add_argument("--rebuild", action="store_true",
                             help="build the state anew from the run files")
        actions.add_argument("--check", action="store_true",
                             help="integrity check and comparison with the run files")
        actions.add_argument("--export", metavar="FILE", type=Path,
                             help="copy the state to FILE (an earlier export is overwritten)")
        actions.add_argument("--import", dest="import_file", metavar="FILE", type=Path,
                             help="replace the state with FILE, a state exported by --export")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("scrapy state takes no arguments", print_help=True)
        if not (opts.rebuild or opts.check or opts.export or opts.import_file):
            raise UsageError("say what to do: --rebuild, --check, --export FILE or --import FILE",
                             print_help=True)
        assert self.settings is not None
        check_settings_or_exit(self.settings)
        state_path = Path(self.settings["ANALYTICS_STATE_PATH"])
        output_dir = Path(self.settings["ANALYTICS_OUTPUT_DIR"])
        try:
            self.exitcode = self.act(opts, state_path, output_dir)
        except StateLocked as error:
            self.refuse(str(error), ExitCode.STATE_LOCKED)
        except StateUnusable as error:
            self.refuse(str(error), ExitCode.STATE_DIFFERS if opts.check else ExitCode.REFUSED)
        except (FileNotFoundError, FileExistsError) as error:
            self.refuse(str(error), ExitCode.STATE_DIFFERS if opts.check else ExitCode.REFUSED)

    def refuse(self, message: str, exitcode: int) -> None:
        print(f"scrapy state: refused: {message}", file=sys.stderr)
        self.exitcode = exitcode

    def act(self, opts: argparse.Namespace, state_path: Path, output_dir: Path) -> int:
        """Does what the options say, prints what it did; the exit code."""
        began = time.perf_counter()
        if opts.rebuild:
            counts, built = rebuild(state_path, output_dir, RetrySchedule.from_settings(
                self.settings))
            print(counts.describe())
            print(built.describe())
            print(f"Rebuilt {state_path} from {output_dir} in "
                  f"{time.perf_counter() - began:.1f} s")
        elif opts.check:
            counts, differences = check(state_path, output_dir)
            print(counts.describe())
            if differences:
                print(f"The state {state_path} and the run files differ:")
                print("\n".join(f"  {line}" for line in differences))
                return ExitCode.STATE_DIFFERS
            print(f"The state {state_path} is intact and agrees with the run files")
        elif opts.export:
            export_state(state_path, opts.export)
            print(f"Exported {state_path} to {opts.export}")
        else:
            import_state(state_path, opts.import_file)
            print(f"Imported {opts.import_file} into {state_path} (the replaced state is kept "
                  f"as {state_path.name}.previous)")
        return ExitCode.OK
