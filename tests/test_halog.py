"""The browser suite's log check reads both Home Assistant log formats."""

from __future__ import annotations

from demo.halog import log_problems, parse_log

TOKEN = "s3cr3t-plex-token"

# 2026.10 writes the time without an offset, 2026.11 with one.
OLD = "2026-11-05 10:00:52.247"
NEW = "2026-11-05 10:00:52.247+00:00"

DEPRECATION = (
    "WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom "
    "integration 'butler' returns a plain object from an LLM tool at "
    "custom_components/butler/voice.py, line 80: return {...}. This will stop "
    "working in Home Assistant 2027.11, please report it to the author of the "
    "'butler' custom integration"
)
STARTED = "INFO (MainThread) [custom_components.butler] Plex Server: connected"
NOTICE = (
    "WARNING (SyncWorker_0) [homeassistant.loader] We found a custom integration "
    "butler which has not been tested by Home Assistant. This component might "
    "cause stability problems, be sure to disable it if you experience issues "
    "with Home Assistant"
)
SOMEONE_ELSE = (
    "WARNING (MainThread) [homeassistant.components.http] The use of "
    "X-Forwarded-For is deprecated"
)


def test_both_time_forms_parse_into_the_same_record() -> None:
    (old,) = parse_log(f"{OLD} {DEPRECATION}")
    (new,) = parse_log(f"{NEW} {DEPRECATION}")
    assert (old.when, new.when) == (OLD, NEW)
    for record in (old, new):
        assert record.level == "WARNING"
        assert record.logger == "homeassistant.helpers.frame"
        assert record.text.startswith("Detected that custom integration 'butler'")
        assert record.about_us


def test_a_deprecation_after_an_info_line_is_found_in_either_form() -> None:
    """A parser blind to one form would glue the warning to the info line."""
    for when in (OLD, NEW):
        log = f"{when} {STARTED}\n{when} {DEPRECATION}\n"
        assert [record.level for record in parse_log(log)] == ["INFO", "WARNING"]
        (problem,) = log_problems(log)
        assert problem.startswith(f"deprecation about butler: {when} WARNING")


def test_what_is_not_ours_or_not_a_warning_passes() -> None:
    log = "\n".join(
        [
            "s6-rc: info: service legacy-services successfully started",
            f"{OLD} {NOTICE}",
            f"{OLD} {STARTED}",
            f"{NEW} {SOMEONE_ELSE}",
        ]
    )
    assert log_problems(log, [TOKEN]) == []


def test_a_traceback_through_our_code_counts_as_ours() -> None:
    log = (
        f"{NEW} ERROR (MainThread) [homeassistant.core] Error doing job: Task "
        "exception was never retrieved\n"
        "Traceback (most recent call last):\n"
        '  File "/config/custom_components/butler/coordinator.py", line 9, in x\n'
        "ValueError: boom\n"
        f"{NEW} {STARTED}\n"
    )
    records = parse_log(log)
    assert len(records) == 2
    assert records[0].text.endswith("ValueError: boom")
    (problem,) = log_problems(log)
    assert problem.startswith(f"warning or error about butler: {NEW} ERROR")
    assert "coordinator.py" in problem


def test_python_warnings_printed_to_stderr_are_records() -> None:
    log = (
        f"{OLD} {STARTED}\n"
        "/config/custom_components/butler/entity.py:12: DeprecationWarning: "
        "old_thing is deprecated\n"
    )
    assert [record.logger for record in parse_log(log)] == [
        "custom_components.butler",
        "py.warnings",
    ]
    (problem,) = log_problems(log)
    assert problem.startswith("deprecation about butler: WARNING [py.warnings]")


def test_a_token_anywhere_is_a_problem_and_is_not_repeated() -> None:
    log = (
        f"{OLD} DEBUG (MainThread) [aiohttp.client] GET "
        f"http://127.0.0.1:32400/?X-Plex-Token={TOKEN}\n"
    )
    (problem,) = log_problems(log, [TOKEN, ""])
    assert problem.startswith("a token in the log:")
    assert TOKEN not in problem
    assert log_problems(log) == []
