"""In headless Chromium: a pasted sequence explained by every attribution method with its
known-motif hits track, and the Audit tab's table and bars. Skips like the other browser test
when Chromium, chromedriver or Selenium is missing. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest

from deepmotif.dashboard import ids
from tests.test_dashboard_audit import PLANTED, bench, handmade  # noqa: F401 (fixtures)
from tests.test_dashboard_browser import ARTIFACTS, _css, _tab, _text, _wait, browser  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(bench):  # noqa: F811
    from deepmotif.dashboard import create_app, start_background

    srv = start_background(create_app([bench]))
    yield srv
    srv.stop()


def _texts(drv, selector) -> str:
    """The joined texts of ``selector``'s elements; "" while the figure is being redrawn."""
    from selenium.common.exceptions import StaleElementReferenceException

    try:
        return " ".join(e.text for e in _css(drv, selector))
    except StaleElementReferenceException:
        return ""


def _heatmaps(drv):
    return len(_css(drv, f"#{ids.EX_FIGURE} g.heatmaplayer image"))


def test_every_method_hits_track_and_audit_tab(browser, server):  # noqa: F811
    drv = browser
    drv.get(server.url)
    _wait(drv, lambda d: "TOY" in _text(d, f"#{ids.OV_TABLE}"), what="overview table")
    _tab(drv, "Sequence explorer")
    _wait(drv, lambda d: _heatmaps(d) >= 2, what="saliency and temporal heatmaps")
    # paste a sequence holding the planted motif: every method, then the hits track
    drv.find_element("css selector", f"#{ids.EX_SOURCE} input[value='paste']").click()
    box = _css(drv, f"#{ids.EX_PASTE}")[0]
    _wait(drv, lambda d: box.is_displayed(), what="paste box")
    box.send_keys("A" * 20 + PLANTED + "T" * 32)
    _css(drv, f"#{ids.EX_EXPLAIN}")[0].click()
    # saliency, handmade, hits and temporal panels
    _wait(drv, lambda d: _heatmaps(d) >= 4, what="one panel per method, hits and temporal")
    # the figure may still be redrawn: read its texts until they settle (stale nodes are retried)
    _wait(
        drv,
        lambda d: "planted" in _texts(d, f"#{ids.EX_FIGURE} .yaxislayer-above text"),
        what="the hits track's row",
    )
    _wait(
        drv,
        lambda d: all(
            t in _texts(d, f"#{ids.EX_FIGURE} .annotation-text")
            for t in ("handmade", "Known-motif hits")
        ),
        what="the method and hits panel titles",
    )
    drv.save_screenshot(str(ARTIFACTS / "dashboard_explorer_all_methods.png"))
    # the Audit tab: the cnn run's audit, both methods, bars drawn
    _tab(drv, "Audit")
    _wait(drv, lambda d: "handmade" in _text(d, f"#{ids.AU_TABLE}"), what="audit table")
    _wait(drv, lambda d: len(_css(d, f"#{ids.AU_FIGURE} .barlayer .trace")) >= 1, what="audit bars")
    assert "chance 0.500" in _text(drv, f"#{ids.AU_TABLE}")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_audit.png"))
