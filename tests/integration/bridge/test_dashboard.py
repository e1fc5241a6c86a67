"""``/dashboard`` in a real browser: headless Chromium loads the bridge's page, and what it shows equals
the chain's metagraph and the bridge's ``/scores``; it refreshes by itself as blocks come.

Needs Debian's ``chromium`` and ``chromium-driver`` (``make chromium``): skipped with a reason when absent.
The network is the session's devnet (localnet node, real miner processes, the bridge as a service).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.devnet_fixture import QUESTION, DevnetNetwork

pytestmark = pytest.mark.slow

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, step: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"headless Chromium is absent ({CHROMIUM}, {CHROMEDRIVER}): install it with `make chromium`")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1200"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def page_rows(driver: Any, with_block: bool = False) -> Any:
    """The metagraph table as the page shows it: uid -> field -> text (and the block it shows)."""
    rows, block = driver.execute_script("""
        const rows = {};
        document.querySelectorAll('#metagraph tbody tr').forEach(tr => {
          const cells = {};
          tr.querySelectorAll('td').forEach(td => { cells[td.dataset.field] = td.textContent; });
          rows[tr.dataset.uid] = cells;
        });
        return [rows, document.getElementById('block').textContent];""")
    return (rows, block) if with_block else rows


def test_dashboard_shows_the_chain_and_the_bridge(devnet_network: DevnetNetwork, browser: Any) -> None:
    import bt_llm as bt

    net, bridge = devnet_network.net, devnet_network.bridge_a  # bridge_a has API keys: the dashboard needs none
    client = openai.OpenAI(base_url=bridge.http_url + "/v1", api_key="sk-test", max_retries=0)
    for _ in range(3):
        client.chat.completions.create(model="bittensor/subnet-1", messages=[{"role": "user", "content": QUESTION}])
    good = devnet_network.uids["good1"]
    assert wait_for(lambda: httpx.get(bridge.http_url + "/scores").json()["miners"][good]["score"] is not None)
    net.wait_blocks(net.tempo + 1)  # an epoch hands out validator permits
    assert bridge.set_weights_now(), bridge.last_weights_error
    bridge.directory.refresh()
    time.sleep(1.0)  # scoring of the last answers ends off their path

    browser.get(bridge.http_url + "/dashboard")
    assert "subnet 1" in browser.title
    assert wait_for(lambda: browser.execute_script("return document.body.dataset.rendered"))

    # the numbers the page shows are the chain's, at the block the page says it shows (an epoch may
    # have moved trust since; the localnet node keeps every block's state) ...
    rows, block = page_rows(browser, with_block=True)  # one script: the page cannot update in between
    metagraph = bt.metagraph(1, subtensor=net.subtensor, lite=True, sync=False).sync(block=int(block))
    assert sorted(int(uid) for uid in rows) == [int(u) for u in metagraph.uids]
    for uid in metagraph.uids:
        row = rows[str(int(uid))]
        assert row["hotkey"] == metagraph.hotkeys[uid]
        assert row["stake"] == f"{float(metagraph.S[uid]):.4f}"
        assert row["trust"] == f"{float(metagraph.T[uid]):.4f}"
    bridge_row = rows[str(net.subtensor.get_uid_for_hotkey_on_subnet(bridge.hotkey, 1))]
    assert bridge_row["role"] == "bridge" and float(bridge_row["stake"]) >= 100.0

    # ... and the bridge's: its scores, the latency it measured and the weights it set (a challenge
    # may score a miner between two reads: the page polls, so it matches /scores again within seconds)
    def differences() -> list[str]:
        scores = httpx.get(bridge.http_url + "/scores").json()["miners"]
        shown = page_rows(browser)
        out = [] if scores else ["the bridge scores no miner"]
        for miner in scores:
            row = shown[str(miner["uid"])]
            expected = {"role": "miner", "hotkey": miner["hotkey"],
                        "score": f"{miner['score']:.4f}" if miner["score"] is not None else "-",
                        "latency": f"{miner['latency_s'] * 1000:.0f} ms" if miner["latency_s"] is not None else "-"}
            out += [f"uid {miner['uid']} {k}: page {row[k]!r}, bridge {v!r}" for k, v in expected.items() if row[k] != v]
        return out

    assert wait_for(lambda: not differences()), differences()
    weights = browser.find_elements("css selector", "#weights tbody tr")
    assert weights and weights[0].find_element("css selector", "[data-field=block]").text == str(
        bridge.last_weights_block)
    assert rows[str(good)]["weight"] != "-"

    # the plots: latency, tokens/s, score per miner and requests per second, drawn by the bundled uPlot
    assert len(browser.find_elements("css selector", ".uplot canvas")) == 4
    legend = browser.find_element("css selector", "#chart-latency_s").text
    assert f"uid {good}" in legend
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors

    # it refreshes by itself: new blocks show without a reload
    shown = int(browser.find_element("id", "block").text)
    net.wait_blocks(3)
    bridge.directory.refresh()
    assert wait_for(lambda: int(browser.find_element("id", "block").text) >= shown + 3, timeout=15)


def test_dashboard_endpoints_answer_without_a_key_and_refuse_unknown_files(devnet_network: DevnetNetwork) -> None:
    bridge = devnet_network.bridge_a
    assert httpx.get(bridge.http_url + "/v1/models").status_code == 401  # the OpenAI API wants a key ...
    for path in ("/dashboard", "/dashboard/data", "/dashboard/static/uPlot.iife.min.js", "/metrics", "/scores"):
        assert httpx.get(bridge.http_url + path).status_code == 200, path  # ... the operator's views, like /metrics
    data = httpx.get(bridge.http_url + "/dashboard/data").json()
    assert data["netuid"] == 1 and {"metagraph", "series", "requests", "weights", "scores"} <= set(data)
    assert len(data["requests"]["t"]) == len(data["requests"]["per_second"])
    for path in ("/dashboard/static/../app.py", "/dashboard/static/LICENSE", "/dashboard/static/%2e%2e%2fapp.py"):
        answer = httpx.get(bridge.http_url + path)
        assert answer.status_code == 404 and answer.json()["error"]["type"] == "not_found", path
    refused = httpx.post(bridge.http_url + "/dashboard/data")
    assert refused.status_code == 405 and refused.json()["error"]["message"]
