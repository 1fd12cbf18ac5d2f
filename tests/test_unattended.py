"""The pieces of an unattended run, without a server: the env file, the verdict line, the
scrapyd.conf check, Scrapy's own settings, politeness against a real host, the site binding."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.arguments import ArgumentError
from crawler.dataset.card import hosts_lines
from crawler.runs.start import loosened_politeness, validate_settings
from crawler.scheduling import (
    EnvFileError,
    Outcome,
    job_state,
    read_env_file,
    scrapyd_conf_problem,
    verdict,
)
from crawler.scrapy_settings import one_edit_apart
from crawler.sitebinding import BINDING_NAME, bind_site

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
RUN = "20261204T120000.000Z"


def settings_with(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


def test_the_env_file_is_read_without_a_shell(tmp_path: Path) -> None:
    shipped = read_env_file(DEPLOY / "schedule.env.example")
    assert shlex.split(shipped["CRAWL_ARGS"]) == ["-a", "mode=incremental", "-a",
                                                  "lang=en,ru,hy"]
    path = tmp_path / "x.env"
    path.write_text("# comment\n\nSCRAPYD_URL = http://h:1\nSCRAPYD_PASSWORD='a $b `c`'\n"
                    'CRAWL_ARGS="-a lang=en -s ANALYTICS_SITE_MIRRORS=a.b"\n')
    assert read_env_file(path) == {"SCRAPYD_URL": "http://h:1", "SCRAPYD_PASSWORD": "a $b `c`",
                                   "CRAWL_ARGS": "-a lang=en -s ANALYTICS_SITE_MIRRORS=a.b"}
    path.write_text("SCRAPYD_URL=http://h:1\nCRAWL_ARG=-a lang=en\n")
    with pytest.raises(EnvFileError, match=r"x\.env:2: 'CRAWL_ARG=-a lang=en' is not KEY=VALUE"):
        read_env_file(path)


@pytest.mark.parametrize(("line", "expected"), [
    (f"... INFO: Run {RUN} OK: 24 records {{}}. Summary: /o/runs/{RUN}.json", 0),
    (f"... ERROR: Run {RUN} FAILED: 0 records; FAILED records: x. Summary: s", 3),
    (f"... ERROR: Run {RUN} REFUSED (exit 2): mode: 'x' is not one of incremental, full", 2),
    (f"... ERROR: Run {RUN} REFUSED (exit 4): the state s is in use by a running crawl", 4),
])
def test_the_verdict_is_the_crawls_line_and_exit_code(line: str, expected: int) -> None:
    found = verdict(f"banner\n{line}\nclosing\n", RUN)
    assert found == Outcome(expected, line.split("... INFO: ")[-1].split("... ERROR: ")[-1])
    assert verdict(line, "20261204T120000.001Z") is None


def test_a_job_is_found_in_any_of_scrapyds_lists() -> None:
    jobs = {"pending": [{"id": "a"}], "running": [{"id": "b"}], "finished": [{"id": "c"}]}
    assert [job_state(jobs, job) for job in "abc"] == [
        ("pending", {"id": "a"}), ("running", {"id": "b"}), ("finished", {"id": "c"})]
    assert job_state(jobs, "d") is None


def test_scrapyd_conf_needs_a_password_of_its_own(tmp_path: Path) -> None:
    problem = scrapyd_conf_problem(DEPLOY / "scrapyd.conf")
    assert problem is not None and "shipped placeholder 'change-me'" in problem
    shipped = (DEPLOY / "scrapyd.conf").read_text()
    for password, refused in (("", True), ("   ", True), ("Long-and-own-1", False)):
        conf = tmp_path / "scrapyd.conf"
        conf.write_text(shipped.replace("password     = change-me", f"password = {password}"))
        assert (scrapyd_conf_problem(conf) is not None) == refused
    assert "bind_address = 127.0.0.1" in shipped


@pytest.mark.parametrize(("given", "known", "typo"), [
    ("CONCURENT_REQUESTS", "CONCURRENT_REQUESTS", True),
    ("DOWNLAOD_DELAY", "DOWNLOAD_DELAY", True),
    ("DOWNLOAD_DELAYS", "DOWNLOAD_DELAY", True),
    ("RETRY_TIME", "RETRY_TIMES", True),
    ("LOG_FILE", "LOG_FILE", False),
    ("MY_OWN_SETTING", "MY_OWN_SETTINGS_X", False),
])
def test_one_edit_apart(given: str, known: str, typo: bool) -> None:
    assert one_edit_apart(given, known) is typo


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DOWNLOAD_DELAY", "abc", "a number of seconds, 0 or more"),
    ("RETRY_TIMES", "abc", "a whole number, 0 or more"),
    ("LOG_LEVEL", "BOGUS", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("DOWNLOAD_TIMEOUT", "-5", "a number of seconds above 0"),
    ("DOWNLOAD_TIMEOUT", "0", "a number of seconds above 0"),
    ("CONCURRENT_REQUESTS", "0", "a whole number, 1 or more"),
    ("ROBOTSTXT_OBEY", "maybe", "True or False"),
    ("RETRY_HTTP_CODES", "503,abc", "a list of HTTP status codes"),
    ("CONCURENT_REQUESTS", "4", "a known setting (CONCURRENT_REQUESTS?)"),
])
def test_scrapys_own_settings_are_refused_in_one_line(name: str, value: str,
                                                      expected: str) -> None:
    with pytest.raises(ArgumentError) as refused:
        validate_settings(settings_with(**{name: value}))
    assert str(refused.value).startswith(f"{name}: given {value!r}; expected {expected}")
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("name", "value"), [
    ("DOWNLOAD_DELAY", "0"), ("DOWNLOAD_DELAY", "0.5"),
    ("CONCURRENT_REQUESTS_PER_DOMAIN", "32"), ("CONCURRENT_REQUESTS_PER_IP", "4"),
    ("ROBOTSTXT_OBEY", "0"), ("AUTOTHROTTLE_ENABLED", "False"),
    ("USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64)"), ("ITEM_PIPELINES", "{}"),
    ("ITEM_PIPELINES", '{"crawler.pipelines.ValidatePipeline": null}'),
    ("DOWNLOADER_MIDDLEWARES", '{"crawler.middlewares.SitePauseMiddleware": null}'),
])
def test_politeness_is_lifted_on_loopback_only(name: str, value: str) -> None:
    settings = settings_with(**{name: value})
    validate_settings(settings)  # a valid value: only the host decides
    refused = loosened_politeness(settings, settings_with(), "https://caliber.az")
    assert refused is not None and str(refused).startswith(f"{name}: given ")
    assert "https://caliber.az is not loopback" in str(refused)
    assert loosened_politeness(settings, settings_with(), "http://127.0.0.1:8000") is None
    assert loosened_politeness(settings, settings_with(), "http://localhost:8000") is None


def test_the_projects_own_settings_and_stricter_ones_pass_anywhere() -> None:
    every_pipeline_and_one = json.dumps({**project_settings.ITEM_PIPELINES, "x.Extra": 600})
    for overrides in ({}, {"DOWNLOAD_DELAY": "2"}, {"USER_AGENT": settings_with()["USER_AGENT"]},
                      {"ITEM_PIPELINES": every_pipeline_and_one}):
        assert loosened_politeness(settings_with(**overrides), settings_with(),
                                   "https://caliber.az") is None


def test_the_first_run_binds_the_directory_to_its_host(tmp_path: Path) -> None:
    bind_site([tmp_path], "https://caliber.az", RUN, [])
    assert json.loads((tmp_path / BINDING_NAME).read_text()) == {"host": "caliber.az",
                                                                 "bound_by": RUN}
    bind_site([tmp_path], "http://caliber.az:8080", "r2", [])  # another port, the same host
    with pytest.raises(ArgumentError) as refused:
        bind_site([tmp_path], "http://127.0.0.1:8000", "r3", [])
    message = str(refused.value)
    assert message.startswith("base_url: 'http://127.0.0.1:8000' is host 127.0.0.1, but ")
    assert f"holds the runs of caliber.az (bound by run {RUN})" in message
    assert "-s ANALYTICS_SITE_MIRRORS=127.0.0.1" in message
    bind_site([tmp_path], "https://mirror.example", "r4", ["mirror.example"])
    assert json.loads((tmp_path / BINDING_NAME).read_text())["host"] == "caliber.az"


def test_a_state_elsewhere_is_bound_too_and_nothing_is_written_on_a_refusal(
        tmp_path: Path) -> None:
    output, state_dir, fresh = tmp_path / "out", tmp_path / "state", tmp_path / "fresh"
    for directory in (output, state_dir, fresh):
        directory.mkdir()
    bind_site([output, state_dir], "https://caliber.az", RUN, [])
    assert json.loads((state_dir / BINDING_NAME).read_text())["host"] == "caliber.az"
    with pytest.raises(ArgumentError, match=f"but {state_dir} holds the runs of caliber.az"):
        bind_site([fresh, state_dir], "http://127.0.0.1:8000", "r2", [])
    assert list(fresh.iterdir()) == []  # the new output directory was not bound


def test_the_dataset_card_says_which_host_each_run_crawled() -> None:
    lines = hosts_lines({"caliber.az": ["r1", "r2", "r3"], "mirror.example": ["r4"]})
    assert lines[1:] == ["## Hosts crawled", "", "| host | runs | first run | last run |",
                         "|---|---:|---|---|", "| caliber.az | 3 | r1 | r3 |",
                         "| mirror.example | 1 | r4 | r4 |"]
    assert hosts_lines({}) == []


def test_only_a_host_that_does_not_answer_at_all_fails_fast() -> None:
    from scrapy.exceptions import (
        CannotResolveHostError,
        DownloadConnectionRefusedError,
        DownloadTimeoutError,
    )

    from crawler.middlewares import nothing_answers

    assert nothing_answers(DownloadConnectionRefusedError("111")) == "connection refused"
    assert nothing_answers(CannotResolveHostError("x.invalid")) == \
        "no such host (DNS lookup failed)"
    assert nothing_answers(DownloadTimeoutError("slow")) is None  # it may answer: retried
