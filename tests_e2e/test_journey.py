"""A new user's path: onboard, add the server, use its device, call an action.

The tests run in file order and share one browser tab.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import re
from typing import Any

import aiohttp
from playwright.sync_api import Locator, Page, expect
import pytest
import yaml

from demo.halog import log_problems, parse_log
from demo.homeassistant import REPO, HomeAssistantApi

from .conftest import Stack, poll_until

pytestmark = pytest.mark.usefixtures("screenshot")

USER, PASSWORD = "demo", "butler-demo"
# The row reads "<state> Butler running": the state comes first in its text.
RUNNING = re.compile(r"^\s*Running\b")
NOT_RUNNING = re.compile(r"^\s*Not running\b")
DASHBOARD_DOC = REPO / "docs" / "dashboard.md"
DASHBOARD_URL = "plex-butler"


def test_01_onboard(page: Page, stack: Stack) -> None:
    page.goto(stack.ha_url)
    page.get_by_role("button", name="Create my smart home").click()
    page.locator('input[name="name"]').fill("Demo")
    page.locator('input[name="username"]').fill(USER)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password_confirm"]').fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("button", name="Next").click()  # home location
    page.get_by_role("button", name="Next").click()  # country
    page.get_by_role("button", name="Next").click()  # analytics
    page.get_by_role("button", name="Finish").click()
    expect(page).to_have_url(re.compile(r"/(home|lovelace)/"), timeout=30_000)


def _add_butler(page: Page, stack: Stack) -> None:
    """Settings → Devices & services → Add integration → Butler for Plex."""
    page.goto(f"{stack.ha_url}/config/integrations/dashboard")
    page.get_by_role("button", name="Add integration").click()
    # Typed only once the dialog's search field is there: keys typed into the
    # page itself open Home Assistant's quick bar instead.
    page.get_by_placeholder(re.compile("brand name", re.IGNORECASE)).fill("Butler")
    page.get_by_text("Butler for Plex", exact=True).click()
    expect(page.get_by_text("Add a Plex Media Server")).to_be_visible()


def _fill_form(page: Page, stack: Stack, token: str) -> None:
    page.locator('input[name="host"]').fill("127.0.0.1")
    page.locator('input[type="number"]').fill(str(stack.plex_port))
    page.locator('input[name="token"]').fill(token)
    page.get_by_role("button", name="Submit").click()


def test_02_pasting_a_wrong_token_shows_translated_error(
    page: Page, stack: Stack
) -> None:
    _add_butler(page, stack)
    # Signing in comes first; the address and token form is still there.
    page.get_by_text("Enter address and token", exact=True).click()
    expect(page.get_by_text("Connect to your Plex Media Server")).to_be_visible()
    _fill_form(page, stack, "not-the-token")
    expect(
        page.get_by_text("The Plex server did not accept this token.")
    ).to_be_visible()


def test_03_sign_in_with_plex_adds_the_server(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    """No token and no address: sign in, allow, pick the server."""
    _add_butler(page, stack)
    with page.expect_popup() as opened:
        page.get_by_text("Sign in with Plex", exact=True).click()
    sign_in = opened.value
    expect(sign_in.get_by_text("Allow", exact=True)).to_be_visible()
    sign_in.screenshot(path=artifacts / "test_03_plex_sign_in.png")
    # The page sends the window back to Home Assistant, which closes it: fast
    # enough that the close must be awaited from before the click.
    with sign_in.expect_event("close"):
        sign_in.get_by_text("Allow", exact=True).click()
    # The account owns two servers: it asks which.
    expect(page.get_by_text("Choose a server")).to_be_visible()
    page.screenshot(path=artifacts / "test_03_choose_a_server.png")
    page.get_by_role("radio", name="Plex Server").check()
    page.get_by_role("button", name="Submit").click()
    # Home Assistant offers to name the new device: the server's friendly name.
    expect(page.get_by_role("textbox", name="Device name")).to_have_value("Plex Server")
    page.screenshot(path=artifacts / "test_03_name_and_assign.png")
    page.get_by_role("button", name="Skip and finish").click()
    expect(page.get_by_text("Butler for Plex", exact=True).first).to_be_visible()


def _open_device(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.ha_url}/config/devices/dashboard")
    page.get_by_text("Plex Server", exact=True).click()
    expect(page.get_by_text("Plex Media Server").first).to_be_visible()


def test_04_device_page_lists_the_entities(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    _open_device(page, stack)
    for name in (
        "Back up database",
        "Start all tasks",
        "Stop all tasks",
        "Butler running",
    ):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    # The README's picture of the product is this page (docs/device-page.png).
    page.screenshot(path=artifacts / "device-page.png", full_page=True)


def _butler_running(page: Page) -> Locator:
    """The state shown in the device page's "Butler running" row."""
    return page.locator("hui-generic-entity-row").filter(has_text="Butler running")


def test_05_press_a_task_and_see_the_butler_run(page: Page, stack: Stack) -> None:
    expect(_butler_running(page)).to_have_text(NOT_RUNNING)
    page.locator("hui-button-entity-row", has_text="Back up database").get_by_role(
        "button", name="Press"
    ).click()
    expect(_butler_running(page)).to_have_text(RUNNING)
    assert stack.butler_activities()


def _progress(page: Page) -> int | None:
    row = page.locator("hui-sensor-entity-row").filter(has_text="Butler progress")
    if not row.count():
        return None
    # innerText stops at shadow roots; the value lives inside one.
    text = row.first.evaluate(
        """row => {
            const parts = [];
            const walk = node => {
                if (node.nodeType === Node.TEXT_NODE) parts.push(node.textContent);
                if (node.shadowRoot) walk(node.shadowRoot);
                node.childNodes.forEach(walk);
            };
            walk(row);
            return parts.join(" ");
        }"""
    )
    match = re.search(r"(\d+)\s*%", text)
    return int(match.group(1)) if match else None


def test_05b_progress_rises_and_the_event_is_in_the_logbook(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    poll_until(lambda: _progress(page) is not None)
    first = _progress(page) or 0
    poll_until(lambda: (_progress(page) or 0) > first, timeout=30)
    page.screenshot(path=artifacts / "test_05b_progress.png", full_page=True)
    page.goto(f"{stack.ha_url}/logbook")
    expect(page.get_by_text("Butler started").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Task started").first).to_be_visible()
    page.screenshot(path=artifacts / "test_05b_logbook.png", full_page=True)
    _open_device(page, stack)


def test_06_toggle_a_schedule_switch(page: Page, stack: Stack) -> None:
    assert stack.plex_settings()["ButlerTaskOptimizeDatabase"] in ("True", "1")
    page.locator(
        "hui-toggle-entity-row", has_text="Optimize database schedule"
    ).locator("ha-entity-toggle").click()
    poll_until(
        lambda: stack.plex_settings()["ButlerTaskOptimizeDatabase"] in ("False", "0")
    )


def test_07_stop_all_from_developer_tools(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    page.goto(f"{stack.ha_url}/developer-tools/action")
    page.get_by_text("YAML mode", exact=True).click()
    editor = page.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("action: butler.stop_all\n")
    expect(
        page.get_by_text("Stop all tasks").first
    ).to_be_visible()  # the action's translated name
    page.get_by_role("button", name="Perform action").click()
    poll_until(lambda: not stack.butler_activities())
    page.screenshot(path=artifacts / "test_07_action_performed.png")
    _open_device(page, stack)
    expect(_butler_running(page)).to_have_text(NOT_RUNNING)


def test_08_change_the_maintenance_window(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    assert stack.plex_settings()["ButlerStartHour"] == "2"
    _open_device(page, stack)
    row = page.locator("hui-select-entity-row", has_text="Maintenance window start")
    option = row.get_by_text("03:00", exact=True)
    # On a busy machine a click can land while the menu is still sliding
    # open and miss the hour, as a person's might: then they pick it again.
    for attempt in range(3):
        if not option.is_visible():
            row.locator("ha-select").click()
        expect(option).to_be_visible()
        option.click()
        try:
            poll_until(lambda: stack.plex_settings()["ButlerStartHour"] == "3", 5)
            break
        except AssertionError:
            if attempt == 2:
                raise
    page.screenshot(path=artifacts / "test_08_window.png", full_page=True)


def test_09_pick_a_task_for_start_task(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    page.goto(f"{stack.ha_url}/developer-tools/action")
    page.get_by_text("UI mode", exact=True).click()
    page.locator("ha-service-picker").click()
    page.get_by_placeholder(re.compile("search", re.IGNORECASE)).last.fill("Start task")
    page.get_by_text("Start task", exact=True).first.click()
    # The task is picked among the integration's task buttons.
    page.locator("ha-selector-entity").first.click()
    page.get_by_placeholder(re.compile("search", re.IGNORECASE)).last.fill(
        "Optimize database"
    )
    page.get_by_text("Optimize database", exact=True).first.click()
    page.screenshot(path=artifacts / "test_09_task_picker.png", full_page=True)
    page.get_by_role("button", name="Perform action").click()
    poll_until(lambda: any(stack.butler_activities()))


def test_10_ask_assist_what_plex_is_doing(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    page.goto(f"{stack.ha_url}/lovelace/0")
    expect(page.locator("hui-root")).to_be_visible()
    page.keyboard.press("a")  # Home Assistant's shortcut for the Assist dialog
    # The dialog opens with its request field focused.
    expect(page.get_by_text("How can I assist?")).to_be_visible()
    page.keyboard.type("what is Plex doing")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"The butler of Plex Server is"))).to_be_visible(
        timeout=20_000
    )
    page.screenshot(path=artifacts / "test_10_assist.png", full_page=True)


def test_10b_the_options_show_the_webhook_and_a_backup_sets_the_sensor(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    page.goto(f"{stack.ha_url}/config/integrations/integration/butler")
    page.get_by_role("button", name="Configure").first.click()
    # A message with the address to copy and only a Close button.
    expect(page.get_by_text("Plex Pass", exact=False).first).to_be_visible()
    shown = page.get_by_text(f"{stack.ha_url}/api/webhook/", exact=False).first
    expect(shown).to_be_visible()
    found = re.search(
        rf"{re.escape(stack.ha_url)}/api/webhook/[0-9a-f]+", shown.inner_text()
    )
    assert found is not None
    url = found.group(0)
    expect(page.get_by_role("button", name="Submit")).to_have_count(0)
    page.screenshot(path=artifacts / "test_10b_webhook_options.png")
    # The message's own Close (the dialog's corner has another).
    page.locator("ha-dialog-footer").get_by_role("button", name="Close").click()
    # The owner pastes it into Plex Web; here, into the simulated server.
    stack.add_webhook(url)
    _open_device(page, stack)
    row = page.locator("hui-generic-entity-row, hui-sensor-entity-row").filter(
        has_text="Last database backup"
    )
    expect(row.first).to_contain_text("Unknown")
    page.locator("hui-button-entity-row", has_text="Back up database").get_by_role(
        "button", name="Press"
    ).click()
    poll_until(lambda: any(stack.butler_activities()))
    stack.finish_tasks()
    expect(row.first).not_to_contain_text("Unknown")
    page.screenshot(path=artifacts / "test_10b_last_backup.png", full_page=True)
    page.goto(f"{stack.ha_url}/logbook")
    expect(page.get_by_text("Database backed up").first).to_be_visible(timeout=30_000)


def _dashboard_from_the_docs() -> dict[str, Any]:
    """The YAML docs/dashboard.md has people paste: the test adds what they read."""
    (block,) = re.findall(
        r"^```yaml\n(.*?)^```$", DASHBOARD_DOC.read_text(), re.MULTILINE | re.DOTALL
    )
    config: dict[str, Any] = yaml.safe_load(block)
    return config


async def _add_dashboard(stack: Stack, config: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, stack.ha_url)
        await api.login(USER, PASSWORD)
        await api.add_dashboard(
            DASHBOARD_URL, "Plex butler", "mdi:room-service", config
        )


def _run_beside_playwright[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine in a thread of its own: Playwright's loop runs in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def _tile(page: Page, name: str) -> Locator:
    """The dashboard's tile whose name is exactly `name`."""
    return page.locator("hui-tile-card").filter(has=page.get_by_text(name, exact=True))


def _tile_state(page: Page, name: str) -> Locator:
    return _tile(page, name).locator("state-display")


def _press_on_dashboard(page: Page, name: str) -> None:
    """Press the button under a tile (2026.11 labels the tile itself "Press <name>")."""
    _tile(page, name).get_by_role("button", name="Press", exact=True).click()


def test_10c_the_ready_dashboard_renders_and_its_buttons_work(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    """docs/dashboard.md's YAML, added as a dashboard, shows every card without an error."""
    _run_beside_playwright(_add_dashboard(stack, _dashboard_from_the_docs()))
    page.goto(f"{stack.ha_url}/{DASHBOARD_URL}")
    for heading in ("Right now", "Everyday tasks", "Database", "Butler events"):
        expect(page.locator("hui-heading-card", has_text=heading)).to_be_visible()
    for name in (
        "Butler running",
        "Butler activity",
        "Butler progress",
        "Start all tasks",
        "Stop all tasks",
        "Back up database",
        "Back up database: last run",
        "Optimize database",
        "Optimize database: last run",
        "Refresh libraries",
        "Refresh libraries: last run",
        "Last database backup",
        "Database backup",
        "Database",
    ):
        expect(_tile(page, name)).to_be_visible()
    expect(page.locator("hui-logbook-card")).to_contain_text("Database backed up")
    for problem in (
        page.locator("hui-error-card"),
        page.locator("hui-warning"),
        page.get_by_text("Configuration error"),
        page.get_by_text("Entity not available"),
        page.get_by_text("Entity not found"),
        page.get_by_text("Unavailable", exact=True),
    ):
        expect(problem).to_have_count(0)
    # The buttons work from here: a task runs, with its progress as a bar.
    expect(_tile_state(page, "Refresh libraries: last run")).to_have_text("Unknown")
    _press_on_dashboard(page, "Refresh libraries")
    expect(_tile_state(page, "Butler running")).to_have_text("Running")
    progress = _tile(page, "Butler progress")
    # Past the first few percent, so the picture shows a bar.
    expect(progress.locator("state-display")).to_have_text(
        re.compile(r"^\s*([5-9]|[1-9]\d)\s*%"), timeout=30_000
    )
    expect(
        progress.locator("hui-bar-gauge-card-feature .bar-gauge-background")
    ).to_be_visible()
    # The README's picture of the dashboard (docs/dashboard.png): the whole
    # view in the window, so the sidebar runs down beside all of it.
    size = page.viewport_size
    assert size is not None
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": height})
    page.screenshot(path=artifacts / "dashboard.png")
    page.set_viewport_size(size)
    _press_on_dashboard(page, "Stop all tasks")
    expect(_tile_state(page, "Butler running")).to_have_text("Not running")
    expect(_tile_state(page, "Refresh libraries: last run")).not_to_have_text("Unknown")


def test_11_the_second_server_is_discovered_and_added_with_its_token(
    page: Page, stack: Stack, artifacts: Path
) -> None:
    """GDM found Attic; the pasted-token path adds it."""
    page.goto(f"{stack.ha_url}/config/integrations/dashboard")
    expect(page.get_by_text("Discovered").first).to_be_visible(timeout=30_000)
    page.get_by_text("Attic", exact=True).first.click()
    page.screenshot(path=artifacts / "test_11_discovered.png", full_page=True)
    page.get_by_role("button", name="Add").first.click()
    expect(page.get_by_text("Plex Media Server found")).to_be_visible()
    page.get_by_text("Enter the owner's token", exact=True).click()
    page.locator('input[name="token"]').fill(stack.attic_token)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("textbox", name="Device name")).to_have_value("Attic")
    page.get_by_role("button", name="Skip and finish").click()


def test_12_home_assistant_stops_and_its_log_has_nothing_about_butler(
    stack: Stack,
) -> None:
    """Last: stop Home Assistant as a person would, then read everything it logged.

    A release that deprecates something the integration uses warns in the
    log long before it breaks it; unloading at shutdown is part of the run.
    """
    stack.home_assistant.terminate()
    assert stack.home_assistant.wait(60) == 0
    log = stack.ha_log.read_text(errors="replace")
    # The notice every start logs about a custom integration proves the
    # check reads this release's log format: a format it cannot read would
    # otherwise pass as a clean log.
    assert any(
        record.level == "WARNING"
        and record.logger == "homeassistant.loader"
        and record.about_us
        for record in parse_log(log)
    ), "the log check cannot read this Home Assistant's log format"
    problems = log_problems(log, secrets=[stack.plex_token, stack.attic_token])
    assert not problems, "\n".join(problems)
