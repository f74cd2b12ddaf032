"""The staff dashboard in a real browser: headless Chromium, driven by Selenium, against a running
`gateway run` on a scripted store. Sign in, watch the floor fill, see a VIP alert pop up within 2 s of
the `vip.arrival` event, watch a reader that stops turn red, see last night's segments, and be signed
out by another tab. Screenshots go to Tests/Interop/artifacts/ (kept by CI as artifacts).

A second test drives `gateway users add` (standard input and a terminal) and `gateway dashboard` alone,
over plain HTTP and a WebSocket: monitoring without sign-in, everything else refused, and the feed
closed when its session signs out."""
import http.client
import json
import os
import pty
import random
import select
import signal
import struct
import subprocess
import time
from datetime import date, datetime, timedelta
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import zmq
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
import websocket

from conftest import free_port, gateway_binary, run_gateway, wait_for

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Every page of the dashboard (DashboardRoutes.pages).
PAGES = ("/", "/alerts", "/floor", "/readers", "/sales", "/segments", "/system")
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


def front_config(tmp, bus, web, back_bus, back_replay):
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
  replay: ["tcp://127.0.0.1:{back_replay}"]
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


def history(today):
    """A year of purchases: Ada is the best customer, Bo buys a little, 40 others (known only from
    purchases, without a first name) give the models enough to fit."""
    rng = random.Random(5)
    lines = ["customer_id,date,amount"]
    lines += [f"C1,{today - timedelta(days=30 * month + 3)},{rng.randint(150, 300)}.00" for month in range(11)]
    lines += [f"C2,{today - timedelta(days=120)},25.00", f"C2,{today - timedelta(days=20)},30.00"]
    for index in range(40):
        for _ in range(rng.randint(1, 6)):
            lines.append(f"H{index},{today - timedelta(days=rng.randint(1, 364))},{rng.randint(10, 80)}.00")
    return "\n".join(lines) + "\n"


def segment_before_the_day(tmp_path, config_path, env):
    """Last night's run, before the gateway (and its dashboard) start: customers, their purchases, `gateway segment`."""
    (tmp_path / "history.csv").write_text(history(date.today()))
    for args in (["import", "customers", str(tmp_path / "customers.csv")], ["import", "transactions", str(tmp_path / "history.csv")]):
        done = run_gateway([*args, "--config", str(config_path)], tmp_path, env)
        assert done.returncode == 0, done.stderr
    done = run_gateway(["segment", "--config", str(config_path), "--as-of", date.today().isoformat(), "--json"], tmp_path, env, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["customers"] == 42 and report["topCustomers"], report
    return report


def back_config(tmp, bus, replay):
    """A second gateway (the back room) with one reader: stopping it is a reader going away."""
    return f"""
gateway: {{ id: gw-back, store: store-test, dataDir: {tmp}/back }}
{ZONES}
sources:
  - {{ name: backroom-reader, driver: simulator, antennas: {{ 1: entrance, 2: floor, 3: checkout }} }}
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{replay}" }}
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
    bus, back_bus, back_replay, web = free_port(), free_port(), free_port(), free_port()
    url = f"http://127.0.0.1:{web}"
    env = {**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}

    # The browser starts first: its start-up must not eat into the scripted store's head start.
    driver = make_browser()
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"vip.")
    sub.connect(f"tcp://127.0.0.1:{bus}")
    front_text = front_config(tmp_path, bus, web, back_bus, back_replay)
    (tmp_path / "front.yaml").write_text(front_text)
    report = segment_before_the_day(tmp_path, tmp_path / "front.yaml", env)
    back, back_log = start("back", tmp_path, back_config(tmp_path, back_bus, back_replay), env)
    front, front_log = start("front", tmp_path, front_text, env)
    try:
        wait_for(lambda: healthy(url), timeout=30, what="the dashboard to answer /healthz")
        log_text = (tmp_path / "front.log").read_text()
        assert "sign in as manager, password in" in log_text, log_text
        assert "no replay for every bus" not in log_text, "the dashboard should subscribe with gap recovery"
        password = (tmp_path / "front" / "dashboard-password").read_text().strip()
        assert oct((tmp_path / "front" / "dashboard-password").stat().st_mode & 0o777) == "0o600"

        # Signed out: every page sends the browser to the sign-in form.
        for page in PAGES:
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
        assert attribute(driver, "#conn", "data-first") == "snapshot"

        # The feed drops: the page reconnects by itself and resumes after the last message it had
        # (the first message is a patch, not a fresh snapshot), without reloading.
        driver.execute_script("window.notReloaded = true; socket.close();")
        wait(driver, 10).until(lambda d: d.find_element(By.ID, "conn").text == "live" and attribute(d, "#conn", "data-first") == "patch")
        assert driver.execute_script("return window.notReloaded") is True
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

        for tab in ("sales", "system"):
            driver.find_element(By.CSS_SELECTOR, f"nav button[data-tab={tab}]").click()
            shot(driver, tab)

        # Segments: last night's run, although the dashboard started after it, as SVG charts.
        driver.find_element(By.CSS_SELECTOR, "nav button[data-tab=segments]").click()
        wait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#segment-chart rect[data-segment]"))
        counted = driver.execute_script(
            "return [...document.querySelectorAll('#segment-chart rect[data-segment]')].reduce((n, r) => n + Number(r.dataset.count), 0)")
        assert counted == report["customers"], counted
        shown = {(cell["segment"], cell["tier"]) for cell in driver.execute_script(
            "return [...document.querySelectorAll('#segment-chart rect[data-segment]')].map((r) => r.dataset)")}
        assert ("vip" in {tier for _, tier in shown}) and {segment for segment, _ in shown} == set(report["segments"]), shown
        # The page re-renders with every message: each read below is one step in the page.
        assert attribute(driver, "#tier-chart rect[data-tier=vip]", "data-count") == "1"
        ranked = driver.execute_script("return [...document.querySelectorAll('#clv-chart rect[data-token]')].map((r) => r.dataset.token)")
        assert ranked == [entry["token"] for entry in report["topCustomers"]], ranked
        top_text = driver.execute_script("return document.getElementById('top-customers').textContent")
        assert "Ada" in top_text and "C1" not in top_text, top_text
        assert f"purchases up to {date.today().isoformat()}" in driver.execute_script("return document.getElementById('segment-run').textContent")
        page = driver.page_source
        assert "Lovelace" not in page and "ada@example.com" not in page
        shot(driver, "segments")

        # Signing out in another tab ends the session: the server closes this tab's feed, and the
        # page goes to the sign-in form by itself.
        dashboard_tab = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(url + "/system")
        wait(driver, 10).until(lambda d: d.find_element(By.ID, "conn").text == "live")
        driver.find_element(By.ID, "sign-out").click()
        wait(driver, 10).until(lambda d: d.current_url.endswith("/login"))
        driver.close()
        driver.switch_to.window(dashboard_tab)
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


def add_user_on_a_terminal(tmp_path, name, password, db, env, timeout=30):
    """`gateway users add NAME` on a pseudo-terminal: it prompts twice, without echo."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(tmp_path)
        os.execve(gateway_binary(), [gateway_binary(), "users", "add", name, "--db", str(db)], env)
    output = b""
    deadline = time.monotonic() + timeout

    def expect(needle):
        nonlocal output
        while needle not in output:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {needle!r} from users add: {output!r}"
            if select.select([fd], [], [], remaining)[0]:
                try:
                    chunk = os.read(fd, 1024)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk, f"users add ended before {needle!r}: {output!r}"
                output += chunk

    expect(f"Password for {name}: ".encode())
    os.write(fd, password.encode() + b"\n")
    expect(b"Again: ")
    os.write(fd, password.encode() + b"\n")
    expect(f"added {name}".encode())
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, output
    assert password.encode() not in output, "the password was echoed"


def request(port, method, path, body=None, cookie=None):
    """One HTTP request, redirects not followed: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    result = (response.status, dict(response.getheaders()), response.read())
    connection.close()
    return result


def sign_in(port, name, password):
    status, headers, _ = request(port, "POST", "/login", urllib.parse.urlencode({"username": name, "password": password}))
    assert status == 303, status
    cookie = headers.get("Set-Cookie")
    return cookie.split(";")[0] if cookie else None


def test_users_add_and_the_dashboard_alone(tmp_path):
    (tmp_path / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "products.csv").write_text(PRODUCTS)
    bus, replay, web = free_port(), free_port(), free_port()
    env = {**os.environ, "GATEWAY_TOKEN_KEY": KEY_HEX}
    db = tmp_path / "store" / "crm.sqlite"
    (tmp_path / "store").mkdir()

    # Standard input that is not a terminal: the first line is the password.
    done = subprocess.run([gateway_binary(), "users", "add", "anna", "--db", str(db)], input="anna's long passphrase\n",
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0 and "added anna" in done.stdout, done.stderr
    short = subprocess.run([gateway_binary(), "users", "add", "cy", "--db", str(db)], input="short\n",
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert short.returncode != 0 and "at least 8 characters" in short.stderr, short.stderr
    add_user_on_a_terminal(tmp_path, "bob", "bob's terminal words", db, env)

    config = tmp_path / "gateway.yaml"
    config.write_text(f"""
gateway: {{ id: gw-alone, store: store-test, dataDir: {tmp_path}/data }}
{ZONES}
sources:
  - {{ name: door-reader, driver: simulator, antennas: {{ 1: entrance }} }}
  - {{ name: floor-reader, driver: simulator, zone: floor }}
  - {{ name: checkout-reader, driver: simulator, zone: checkout }}
bus: {{ publish: "tcp://127.0.0.1:{bus}", replay: "tcp://127.0.0.1:{replay}" }}
crm:
  db: {db}
  seed: {{ customers: customers.csv, products: products.csv }}
dashboard: {{ enabled: false }}
simulator: {{ mode: continuous, seed: 4, shelfItems: 2, readInterval: 200ms, shoppersPerMinute: 30 }}
""")
    gateway, gateway_log = start("gateway", tmp_path, config.read_text(), env)
    log = open(tmp_path / "dashboard.log", "w")
    dashboard = subprocess.Popen([gateway_binary(), "dashboard", "--connect", f"tcp://127.0.0.1:{bus}", "--replay", f"tcp://127.0.0.1:{replay}",
                                  "--listen", f"127.0.0.1:{web}", "--db", str(db)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: healthy(f"http://127.0.0.1:{web}"), timeout=30, what="the dashboard to answer /healthz")
        # Users exist, so no first-run password is made.
        assert not (tmp_path / "store" / "dashboard-password").exists()

        # Monitoring needs no sign-in.
        status, headers, body = request(web, "GET", "/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
        assert b"# TYPE gateway_dashboard_clients gauge" in body and b"gateway_dashboard_events_lost" in body

        # Signed out, every page sends the browser to the form and shows nothing; the state and the feed are refused.
        for page in PAGES:
            status, headers, body = request(web, "GET", page)
            assert (status, headers.get("Location"), body) == (303, "/login", b""), page
        assert request(web, "GET", "/api/state")[0] == 401
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"ws://127.0.0.1:{web}/ws", timeout=10)
        # Hummingbird answers a refused upgrade 400; no 101, so no feed.
        assert refused.value.status_code == 400

        # Both users sign in with the passwords given on standard input and on the terminal.
        assert sign_in(web, "anna", "anna's long passphrase wrong") is None
        anna = sign_in(web, "anna", "anna's long passphrase")
        bob = sign_in(web, "bob", "bob's terminal words")
        assert anna and bob
        status, _, body = request(web, "GET", "/api/state", cookie=anna)
        assert status == 200
        wait_for(lambda: "gw-alone" in json.loads(request(web, "GET", "/api/state", cookie=bob)[2])["gateways"], timeout=20,
                 what="the gateway's events at the dashboard")
        state = json.loads(request(web, "GET", "/api/state", cookie=bob)[2])
        assert state["segments"]["fromStore"] and "lastRun" not in state["segments"], state["segments"]
        assert state["system"]["lost"] == 0, state["system"]

        # Anna's feed is open; Bob signing out leaves it, Anna signing out (another tab) closes it with 4401.
        feed = websocket.create_connection(f"ws://127.0.0.1:{web}/ws", cookie=anna, origin=f"http://127.0.0.1:{web}", timeout=10)
        assert json.loads(feed.recv())["kind"] == "snapshot"
        assert request(web, "POST", "/logout", cookie=bob)[0] == 303
        assert json.loads(feed.recv())["kind"] == "patch"
        assert request(web, "POST", "/logout", cookie=anna)[0] == 303
        deadline = time.monotonic() + 10
        code = None
        while code is None and time.monotonic() < deadline:
            opcode, data = feed.recv_data(control_frame=True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                code = struct.unpack("!H", data[:2])[0]
        assert code == 4401, code
        feed.close()
        assert request(web, "GET", "/api/state", cookie=anna)[0] == 401
    finally:
        if dashboard.poll() is None:
            dashboard.send_signal(signal.SIGTERM)
            try:
                dashboard.wait(timeout=30)
            except subprocess.TimeoutExpired:
                dashboard.kill()
                dashboard.wait()
        log.close()
        stop(gateway, gateway_log)
    assert dashboard.returncode == 0, (tmp_path / "dashboard.log").read_text()
