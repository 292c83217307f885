"""Home Assistant's log after everything the other end-to-end tests made it do."""

from __future__ import annotations

import pytest

from .conftest import RunningStack
from .support import (
    REFUSED_KEYS,
    exception_templates,
    is_onboarding_extra,
    is_reported_command_failure,
    log_records,
    template_pattern,
)

OUR_LOGGERS = ("custom_components.nuki", "nukilocal")


@pytest.mark.last
def test_no_errors_and_no_tracebacks_in_the_log(running_stack: RunningStack) -> None:
    # The one failure a test causes on purpose (a jammed motor) is expected.
    templates = exception_templates()
    expected = [template_pattern(templates[key]) for key in REFUSED_KEYS if key in templates]
    records = [
        record
        for record in log_records(running_stack.log_path)
        if not is_onboarding_extra(record) and not is_reported_command_failure(record, expected)
    ]
    assert records, "the log is empty: wrong file?"
    ours = [
        r.text
        for r in records
        if r.logger.startswith(OUR_LOGGERS) and r.level in {"ERROR", "CRITICAL"}
    ]
    assert ours == []
    assert [r.text for r in records if r.level in {"ERROR", "CRITICAL"}] == []
    assert [r.text for r in records if "Error setting up" in r.text] == []
    assert [r.text for r in records if "Traceback" in r.text] == []
    # No deprecated Home Assistant API of ours (how Home Assistant words it).
    markers = ("Detected that custom integration", "which is deprecated", "will stop working")
    assert [r.text for r in records if "nuki" in r.text and any(m in r.text for m in markers)] == []
