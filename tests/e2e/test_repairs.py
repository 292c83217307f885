"""What a newcomer sees in Settings > Repairs of the demo: nothing that is not about Nuki."""

from __future__ import annotations

from demo.hass import HassWebSocket


async def test_no_repair_or_notification_that_is_not_about_nuki(ws: HassWebSocket) -> None:
    issues = (await ws.call("repairs/list_issues"))["issues"]
    shown = [i for i in issues if not i.get("ignored") and i.get("domain") != "nuki"]
    assert shown == [], [f"{i['domain']}: {i['issue_id']}" for i in shown]
    notifications = await ws.call("persistent_notification/get")
    assert [n.get("title") for n in notifications if "nuki" not in str(n).lower()] == []
