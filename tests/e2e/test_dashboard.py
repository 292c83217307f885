"""Home Assistant's web UI in headless Chromium, logged in, showing the Nuki entities."""

from __future__ import annotations

import json

import aiohttp
import pytest

from demo.hass import PASSWORD, USERNAME, HassClient, HassWebSocket
from demo.stack import DASHBOARD_PATH

from .cdp import Chromium, chromium_path
from .conftest import ARTIFACTS, RunningStack
from .support import Entities, states

SCREENSHOT = ARTIFACTS / "dashboard.png"

# Every text node of the page, shadow roots included (the frontend is all web
# components), checked in the page until the names show up or time runs out.
WAIT_FOR_TEXTS = """
(names, timeoutMs) => new Promise((resolve, reject) => {
  const deadline = Date.now() + timeoutMs;
  const collect = (root, out) => {
    for (const node of root.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        out.push(node.textContent);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.shadowRoot) collect(node.shadowRoot, out);
        collect(node, out);
      }
    }
    return out;
  };
  const check = () => {
    const text = collect(document, []).join(" ").replace(/\\s+/g, " ");
    const missing = names.filter((name) => !text.includes(name));
    if (missing.length === 0) {
      resolve(text);
    } else if (Date.now() > deadline) {
      reject(new Error("missing " + missing.join(", ") + " in: " + text.slice(0, 3000)));
    } else {
      setTimeout(check, 250);
    }
  };
  check();
})
"""


@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed (scripts/setup.sh)")
async def test_dashboard_shows_the_nuki_entities(
    running_stack: RunningStack,
    http: aiohttp.ClientSession,
    ws: HassWebSocket,
    entities: Entities,
) -> None:
    current = await states(ws)
    names = sorted(
        {
            current[entities.entity_id(uid)]["attributes"]["friendly_name"]
            for uid in entities.of_domain("lock")
        }
    )
    assert names == ["Back door", "Building entrance", "Front door"]
    # Tokens of a real login, as the login page would store them.
    tokens = await HassClient(http, running_stack.hass_url).login(USERNAME, PASSWORD)
    url = running_stack.hass_url

    executable = chromium_path()
    assert executable is not None
    browser = Chromium(executable)
    try:
        await browser.start()
        async with browser.page(http) as page:
            # Any page of the same origin, to reach its localStorage.
            await page.navigate(f"{url}/auth/providers")
            await page.evaluate(
                "localStorage.setItem('hassTokens', "
                f"JSON.stringify({json.dumps(tokens.frontend_storage())}))"
            )
            await page.navigate(f"{url}/{DASHBOARD_PATH}/nuki")
            text = await page.evaluate(f"({WAIT_FOR_TEXTS})({json.dumps(names)}, 60000)")
            size = await page.screenshot(SCREENSHOT)
            location = await page.evaluate("location.pathname")
    finally:
        left = await browser.stop(http)
    assert left == [], f"Chromium processes left behind: {left}"
    assert location.startswith(f"/{DASHBOARD_PATH}")
    assert "Log in" not in text
    for name in names:
        assert name in text
    # A blank or spinner-only page compresses to a few kilobytes.
    assert size > 20_000
