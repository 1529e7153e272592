"""End to end in a real headless Chromium: load the dashboard, pick sequences, see the heatmaps,
paste a valid and an invalid sequence, open the other views, and open the report offline.

Screenshots go to ``test-artifacts/``. Skips (with the reason) when Chromium, chromedriver or
Selenium is missing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

import tests.test_dashboard_helpers as H
from deepmotif.dashboard import ids

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
DRIVER = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]


def _first(paths, name):
    for p in paths:
        if Path(p).exists():
            return p
    return shutil.which(name)


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    chrome = _first(CHROMIUM, "chromium")
    driver_path = _first(DRIVER, "chromedriver")
    if not chrome or not driver_path:
        pytest.skip(
            "no Chromium/chromedriver found (apt-get install chromium chromium-driver); "
            "the end-to-end browser test did not run"
        )
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chrome
    profile = tempfile.mkdtemp(prefix="dm-chromium-")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,1300",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(driver_path), options=opts)
    drv.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from deepmotif.dashboard import create_app, start_background

    bench = H.trained_runs(tmp_path_factory.mktemp("dash"))
    # The real saliency and temporal scores; the stand-in's class optimization (the real one
    # takes tens of seconds on two busy cores).
    mp = pytest.MonkeyPatch()
    H.install_fake_explain(mp, only=("optimize",))
    srv = start_background(create_app([bench]))
    yield srv, bench
    srv.stop()
    mp.undo()


def _wait(drv, condition, timeout=30, what=""):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout, poll_frequency=0.1).until(condition, message=what)


def _css(drv, selector):
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, selector)


def _text(drv, selector):
    els = _css(drv, selector)
    return els[0].text if els else ""


def _tab(drv, label):
    tab = next(e for e in _css(drv, ".tab") if e.text.strip() == label)
    tab.click()


def _heatmaps(drv):
    return len(_css(drv, f"#{ids.EX_FIGURE} g.heatmaplayer image"))


def test_dashboard_end_to_end(browser, server):
    drv = browser
    srv, _ = server
    t0 = time.perf_counter()
    drv.get(srv.url)
    _wait(drv, lambda d: "TOY" in _text(d, f"#{ids.OV_TABLE}"), what="overview table")
    _wait(
        drv, lambda d: len(_css(d, f"#{ids.OV_ROC} .scatterlayer .trace")) >= 3, what="ROC curves"
    )
    print(f"page load to curves: {time.perf_counter() - t0:.2f} s")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_overview.png"))

    # Sequence explorer: the first test sequence, with all heatmaps drawn
    _tab(drv, "Sequence explorer")
    _wait(drv, lambda d: _heatmaps(d) >= 2, what="saliency and temporal heatmaps")
    first = _text(drv, f"#{ids.EX_PREDICTIONS}")
    assert "cnn" in first and "rnn" in first and "cnn-rnn" in first
    drv.save_screenshot(str(ARTIFACTS / "dashboard_explorer.png"))

    # downloads: the figure as SVG and PNG (drawn by the browser) and the values as CSV
    downloads = Path(tempfile.mkdtemp(prefix="dm-downloads-"))
    drv.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    for button, suffix in (
        (ids.EX_SVG_BUTTON, ".svg"),
        (ids.EX_PNG_BUTTON, ".png"),
        (ids.EX_CSV_BUTTON, ".csv"),
    ):
        _css(drv, f"#{button}")[0].click()
        _wait(
            drv,
            lambda d, s=suffix: any(f.suffix == s for f in downloads.iterdir()),
            what=f"{suffix} download",
        )
    files = {f.suffix: f for f in downloads.iterdir()}
    svg = files[".svg"].read_text()
    assert svg.lstrip().startswith("<svg") and "Saliency" in svg
    assert files[".png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files[".csv"].read_text().splitlines()[0].startswith("position,base,")
    shutil.rmtree(downloads, ignore_errors=True)

    # pick another sequence with "next", then by number
    _css(drv, f"#{ids.EX_NEXT}")[0].click()
    _wait(
        drv, lambda d: _text(d, f"#{ids.EX_PREDICTIONS}") not in ("", first), what="next sequence"
    )
    second = _text(drv, f"#{ids.EX_PREDICTIONS}").splitlines()[0]
    box = _css(drv, f"#{ids.EX_INDEX}")[0]
    box.send_keys("5\n")
    _wait(
        drv,
        lambda d: _text(d, f"#{ids.EX_PREDICTIONS}").splitlines()[0] != second,
        what="sequence #5",
    )
    _wait(drv, lambda d: _heatmaps(d) >= 2, what="heatmaps for #5")
    # gradient view: one heatmap per architecture plus the temporal one
    drv.find_element("css selector", f"#{ids.EX_MODE} input[value='gradient']").click()
    _wait(drv, lambda d: _heatmaps(d) >= 4, what="gradient heatmaps")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_explorer_gradient.png"))
    drv.find_element("css selector", f"#{ids.EX_MODE} input[value='saliency']").click()

    # paste: invalid, then valid
    drv.find_element("css selector", f"#{ids.EX_SOURCE} input[value='paste']").click()
    area = _css(drv, f"#{ids.EX_PASTE}")[0]
    _wait(drv, lambda d: area.is_displayed(), what="paste box")
    area.send_keys(">bad\nACGTACGTXXACGT")
    _css(drv, f"#{ids.EX_EXPLAIN}")[0].click()
    _wait(
        drv,
        lambda d: "is not a DNA letter" in _text(d, f"#{ids.EX_MESSAGE}"),
        what="invalid-letter message",
    )
    assert "position 9: 'X' is not a DNA letter" in _text(drv, f"#{ids.EX_MESSAGE}")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_paste_invalid.png"))
    from selenium.webdriver.common.keys import Keys

    area.send_keys(Keys.CONTROL, "a")  # clear() bypasses React's change events
    area.send_keys(Keys.DELETE)
    seq = "ACGTTGCA" * 5 + "CCGCGGGC" + "TTAGGCAT" * 6 + "ACGTT"  # 101 bp
    area.send_keys(seq)
    _css(drv, f"#{ids.EX_EXPLAIN}")[0].click()
    _wait(
        drv,
        lambda d: "pasted sequence" in _text(d, f"#{ids.EX_PREDICTIONS}"),
        what="pasted predictions",
    )
    _wait(drv, lambda d: _heatmaps(d) >= 2, what="pasted heatmaps")
    assert _text(drv, f"#{ids.EX_MESSAGE}") == ""
    assert "101 bp" in _text(drv, f"#{ids.EX_PREDICTIONS}")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_paste_valid.png"))

    # the other views
    _tab(drv, "Class optimization")
    _wait(
        drv,
        lambda d: len(_css(d, f"#{ids.OPT_CONTENT} img")) >= 2,
        timeout=90,
        what="optimization logos",
    )
    drv.save_screenshot(str(ARTIFACTS / "dashboard_optimization.png"))
    _tab(drv, "Motifs")
    _wait(drv, lambda d: "CTCF" in _text(d, f"#{ids.MO_TABLE}"), what="motif table")
    cell = next(e for e in _css(drv, f"#{ids.MO_TABLE} td") if e.text == "CTCF")
    cell.click()
    _wait(drv, lambda d: len(_css(d, f"#{ids.MO_DETAIL} img")) == 2, what="motif logos")
    drv.save_screenshot(str(ARTIFACTS / "dashboard_motifs.png"))

    errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_report_opens_offline(browser, server, tmp_path):
    from deepmotif.dashboard.report import write_report

    _, bench = server
    out = write_report([bench], tmp_path / "report.html", n_sequences=1, compute=False)
    drv = browser
    drv.get(out.as_uri())
    _wait(
        drv,
        lambda d: "TOY" in d.title or "TOY" in d.find_element("tag name", "body").text,
        what="report",
    )
    resources = drv.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert all(r.startswith("data:") for r in resources), resources
    n_images = drv.execute_script(
        "return Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length"
    )
    assert n_images >= 3
    drv.save_screenshot(str(ARTIFACTS / "report.png"))


def test_dependencies_tab_in_the_browser(browser, server):
    """The Dependencies tab draws the curves of a result set found below the dashboard's
    folder, with one line per architecture, and the verdicts."""
    import shutil

    from deepmotif.dependencies.run import dependencies

    srv, bench = server
    out = bench / "deps"
    runs = [bench / "TOY" / "cnn", bench / "TOY" / "cnn-rnn"]
    dependencies(runs, motifs="SOX2,POU5F1", spacing="0-3", n=10, n_boot=20, out=out,
                 figures=False, force=True, verbose=False)  # fmt: skip
    try:
        drv = browser
        drv.get(srv.url)
        _wait(drv, lambda d: _css(d, ".tab"), what="tabs")
        _tab(drv, "Dependencies")
        _wait(drv, lambda d: "(cnn-rnn):" in _text(d, f"#{ids.DEP_MESSAGE}"), what="verdicts")
        _wait(
            drv,
            lambda d: len(_css(d, f"#{ids.DEP_CURVES} g.scatterlayer g.trace")) >= 16,
            what="curves",
        )
        legend = _text(drv, f"#{ids.DEP_CURVES} g.legend")
        assert "cnn" in legend and "cnn-rnn" in legend
        _wait(drv, lambda d: _css(d, f"#{ids.DEP_HEATMAP} g.heatmaplayer image"), what="heatmap")
        drv.save_screenshot(str(ARTIFACTS / "dependencies.png"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
