"""The staff dashboard in a real browser: headless Chromium, driven by Selenium, against a running
`gateway run` on a scripted store. Sign in, watch the floor fill, see a VIP alert pop up within 2 s of
the `vip.arrival` event, and watch a reader that stops turn red. Screenshots go to
Tests/Interop/artifacts/ (kept by CI as artifacts)."""
import json
import os
import signal
import subprocess
import time
from datetime import datetime
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import zmq
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import free_port, gateway_binary, wait_for

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
VIP_TAG = "E2801160600002054A1B00F1"
SCARF = "00614141000012"
BELT = "00614141000029"

CUSTOMERS = f"""customer_id,first_name,last_name,email,tier,credentials,recognition_consent
C1,Ada,Lovelace,ada@example.com,vip,{VIP_TAG},yes
C2,Bo,Regular,bo@example.com,regular,E2801160600002054A1B00F2,yes
"""
PRODUCTS = f"""gtin,name,price,currency,category
{SCARF},Silk Scarf,89.00,USD,accessories
{BELT},Leather Belt,49.50,USD,accessories
"""
ZONES = """store:
  companyPrefixes: ["0614141"]
  zones:
    - { name: entrance, role: entrance }
    - { name: floor, role: floor }
    - { name: checkout, role: checkout }"""


def front_config(tmp, bus, web, back_bus):
    """The store's gateway: a scripted day with the dashboard, also showing the back room's gateway."""
    return f"""
gateway: {{ id: gw-front, store: store-test, dataDir: {tmp}/front }}
{ZONES}
sources:
  - {{ name: door-reader, driver: simulator, antennas: {{ 1: entrance }} }}
  - {{ name: floor-reader, driver: simulator, zone: floor }}
  - {{ name: checkout-reader, driver: simulator, zone: checkout }}
  - {{ name: till-1, driver: simulator, kind: transactions }}
matching: {{ absence: 2s, vipTier: vip }}
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{free_port()}" }}
crm:
  db: {tmp}/front/crm.sqlite
  seed: {{ customers: customers.csv, products: products.csv }}
dashboard:
  listen: 127.0.0.1:{web}
  connect: ["tcp://127.0.0.1:{back_bus}"]
simulator:
  mode: scripted
  seed: 3
  speed: 1
  readInterval: 100ms
  shelfItems: 4
  foreignTagRate: 0
  startDelay: 6s
  script:
    - {{ customer: C2, buy: ["{BELT}"], dwell: 2s }}
    - {{ customer: C1, buy: ["{SCARF}"], dwell: 3s }}
"""


def back_config(tmp, bus):
    """A second gateway (the back room) with one reader: stopping it is a reader going away."""
    return f"""
gateway: {{ id: gw-back, store: store-test, dataDir: {tmp}/back }}
{ZONES}
sources:
  - {{ name: backroom-reader, driver: simulator, antennas: {{ 1: entrance, 2: floor, 3: checkout }} }}
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{free_port()}" }}
crm:
  embedded: false
  db: {tmp}/back/crm.sqlite
  seed: {{ customers: customers.csv, products: products.csv }}
dashboard: {{ enabled: false }}
simulator: {{ mode: continuous, seed: 9, shelfItems: 0, readInterval: 200ms, shoppersPerMinute: 40, anonymousRate: 0 }}
"""


def start(name, tmp_path, config_text, env):
    path = tmp_path / f"{name}.yaml"
    path.write_text(config_text)
    log = open(tmp_path / f"{name}.log", "w")
    proc = subprocess.Popen([gateway_binary(), "run", "--config", str(path), "--stats-interval", "0"],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def stop(proc, log):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.close()


def healthy(url):
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


def make_browser():
    assert os.path.exists(CHROMEDRIVER), "install Debian's chromium and chromium-driver (make deps)"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--metrics-recording-only", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(argument)
    # An explicit driver path: Selenium Manager never runs, so nothing is downloaded.
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def wait(driver, timeout, **kwargs):
    """WebDriverWait that tolerates the page re-rendering under it (elements replaced between find and read)."""
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException), **kwargs)


def attribute(driver, selector, name):
    """Reads an attribute in one step in the page, so a re-render cannot slip in between."""
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e && e.getAttribute(arguments[1]);", selector, name)


def shot(driver, name):
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"dashboard-{name}.png"))


def test_dashboard_in_a_real_browser(tmp_path):
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    bus, back_bus, web = free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{web}"
    env = {**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}

    # The browser starts first: its start-up must not eat into the scripted store's head start.
    driver = make_browser()
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"vip.")
    sub.connect(f"tcp://127.0.0.1:{bus}")
    back, back_log = start("back", tmp_path, back_config(tmp_path, back_bus), env)
    front, front_log = start("front", tmp_path, front_config(tmp_path, bus, web, back_bus), env)
    try:
        wait_for(lambda: healthy(url), timeout=30, what="the dashboard to answer /healthz")
        log_text = (tmp_path / "front.log").read_text()
        assert "sign in as manager, password in" in log_text, log_text
        password = (tmp_path / "front" / "dashboard-password").read_text().strip()
        assert oct((tmp_path / "front" / "dashboard-password").stat().st_mode & 0o777) == "0o600"

        # Signed out: every page sends the browser to the sign-in form.
        for page in ("/", "/floor", "/readers", "/system"):
            driver.get(url + page)
            wait(driver, 10).until(lambda d: d.current_url.endswith("/login"))
        driver.find_element(By.ID, "username").send_keys("manager")
        driver.find_element(By.ID, "password").send_keys("not the password")
        driver.find_element(By.ID, "sign-in").click()
        wait(driver, 10).until(lambda d: d.find_elements(By.ID, "login-error"))
        driver.find_element(By.ID, "username").send_keys("manager")
        driver.find_element(By.ID, "password").send_keys(password)
        driver.find_element(By.ID, "sign-in").click()
        wait(driver, 10).until(lambda d: d.find_element(By.ID, "conn").text == "live")
        assert driver.get_cookie("gw_session")["httpOnly"] is True
        # Notes the moment the VIP pop-up shows, in the browser's clock (the same machine's as the event's `ts`).
        driver.execute_script("""
            window.vipShownAt = null;
            const banner = document.getElementById('vip-banner');
            new MutationObserver(() => { if (window.vipShownAt === null && banner.classList.contains('show')) window.vipShownAt = Date.now(); })
              .observe(banner, { attributes: true });""")

        # The floor fills: the shelf items are read from the start, then the shoppers come in.
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=floor]").click()
        wait(driver, 20).until(
            lambda d: int(d.find_element(By.CSS_SELECTOR, "[data-zone=floor] .items").text) > 0)
        wait(driver, 30).until(
            lambda d: int(d.find_element(By.CSS_SELECTOR, "[data-zone=entrance] .people").text) > 0)
        shot(driver, "floor")

        # The VIP walks in: the pop-up shows within 2 s of the event on the bus.
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        deadline = time.monotonic() + 60
        arrival = None
        while arrival is None and time.monotonic() < deadline:
            if dict(poller.poll(100)):
                topic, body = sub.recv_multipart()
                if topic == b"vip.arrival":
                    arrival = (time.monotonic(), json.loads(body))
        assert arrival, "no vip.arrival on the bus"
        _, event = arrival
        assert event["firstName"] == "Ada"
        wait(driver, 5, poll_frequency=0.05).until(
            lambda d: d.find_element(By.ID, "vip-banner").is_displayed() and d.find_element(By.ID, "vip-name").text == "Ada")
        shown_ms = driver.execute_script("return window.vipShownAt")
        event_ms = datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp() * 1000
        assert shown_ms is not None and shown_ms - event_ms <= 2000, f"the alert showed {shown_ms - event_ms:.0f} ms after the event"
        assert "VIP" in driver.find_element(By.ID, "vip-detail").text
        assert "entrance" in driver.find_element(By.ID, "vip-detail").text
        shot(driver, "vip-alert")
        page = driver.page_source
        assert "Lovelace" not in page and "ada@example.com" not in page and VIP_TAG not in page
        driver.find_element(By.ID, "vip-ack").click()
        wait(driver, 5).until(lambda d: not d.find_element(By.ID, "vip-banner").is_displayed())
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=alerts]").click()
        wait(driver, 5).until(lambda d: "greeted (manager)" in d.find_element(By.ID, "alerts-recent").text)

        # Readers: all of them alive; then the back room's gateway stops, and its reader turns red.
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=readers]").click()
        for name in ("door-reader", "floor-reader", "checkout-reader", "till-1", "backroom-reader"):
            wait(driver, 20).until(
                lambda d, name=name: attribute(d, f"tr[data-reader='{name}']", "data-state") == "connected")
        shot(driver, "readers-live")
        back.send_signal(signal.SIGTERM)
        row = "tr[data-reader='backroom-reader']"
        wait(driver, 15).until(lambda d: attribute(d, row, "data-state") == "disconnected")
        assert "bad" in attribute(driver, row, "class")
        color = driver.execute_script("return getComputedStyle(document.querySelector(arguments[0])).backgroundColor", row + " .state")
        assert color.startswith("rgba(214, 69, 69") or color.startswith("rgb(214, 69, 69"), color
        assert attribute(driver, "tr[data-reader='door-reader']", "data-state") == "connected"
        shot(driver, "reader-down")

        for tab in ("sales", "segments", "system"):
            driver.find_element(By.CSS_SELECTOR, f"nav button[data-tab={tab}]").click()
            shot(driver, tab)
        assert driver.find_element(By.ID, "tier-chart")

        # Signing out ends the session: the pages and the feed are refused again.
        driver.find_element(By.ID, "sign-out").click()
        wait(driver, 10).until(lambda d: d.current_url.endswith("/login"))
        driver.get(url + "/system")
        wait(driver, 10).until(lambda d: d.current_url.endswith("/login"))
    except Exception:
        shot(driver, "failure")
        raise
    finally:
        driver.quit()
        sub.close(0)
        context.term()
        stop(front, front_log)
        stop(back, back_log)
    assert front.returncode == 0, (tmp_path / "front.log").read_text()
