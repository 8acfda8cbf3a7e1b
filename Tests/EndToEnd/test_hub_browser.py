"""The whole path in a real browser: headless Chromium, driven by Selenium, signs in through cygnet-auth,
submits the session form, follows the progress page into JupyterLab (through our proxy, WebSockets and all),
runs a notebook cell and sees its output. A screenshot of each page is kept in artifacts/browser/."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from cygnet_e2e import REPOSITORY

ARTIFACTS = REPOSITORY / "artifacts" / "browser"

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="chromium and chromium-driver are installed by scripts/test",
)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def snapshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def test_a_person_runs_a_notebook_cell_in_chromium(cygnet, browser):
    username = "w" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    wait = WebDriverWait(browser, 120)

    browser.get(cygnet.base_url + "/")
    wait.until(EC.presence_of_element_located((By.ID, "username")))
    snapshot(browser, "1-sign-in")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password + Keys.ENTER)

    wait.until(EC.presence_of_element_located((By.LINK_TEXT, "Start my session")))
    snapshot(browser, "2-home")
    browser.find_element(By.LINK_TEXT, "Start my session").click()
    wait.until(EC.presence_of_element_located((By.ID, "spawn-form")))
    assert "/hub/spawn?" in browser.find_element(By.ID, "launch-link").get_attribute("value")
    snapshot(browser, "3-form")
    browser.find_element(By.CSS_SELECTOR, "#spawn-form button[type=submit]").click()

    # The progress page follows the spawn and opens JupyterLab by itself.
    wait.until(lambda driver: "/lab" in driver.current_url or "Starting your session" in driver.title)
    snapshot(browser, "4-progress")
    WebDriverWait(browser, 180).until(lambda driver: f"/user/{username}/lab" in driver.current_url)
    launcher = WebDriverWait(browser, 180).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".jp-LauncherCard[data-category='Notebook']"))
    )
    snapshot(browser, "5-jupyterlab")
    launcher.click()

    cell = WebDriverWait(browser, 120).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell .cm-content"))
    )
    # The kernel must be connected (its WebSocket through our proxy) before the cell runs.
    WebDriverWait(browser, 120).until(
        lambda driver: "Idle" in driver.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator, body").get_attribute("innerHTML")
        or driver.find_elements(By.CSS_SELECTOR, ".jp-KernelStatus-success, [data-status='idle']")
    )
    cell.click()
    cell.send_keys("print(6*7)")
    cell.send_keys(Keys.SHIFT + Keys.ENTER)
    output = WebDriverWait(browser, 120).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, ".jp-OutputArea-output"))
    )
    WebDriverWait(browser, 60).until(lambda driver: "42" in output.text)
    snapshot(browser, "6-cell-output")
    assert output.text.strip() == "42"


def test_a_person_makes_and_revokes_app_passwords_in_chromium(cygnet, browser):
    """The hub's "Files on your computer" page: an app password made there (shown once) opens the person's files
    over WebDAV through the front door, a revoked one no longer does, and a blank name is refused with a reason."""
    username = "a" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    cygnet.add_user(username, password)
    wait = WebDriverWait(browser, 120)
    dav = f"{cygnet.base_url}/remote.php/dav/files/{username}/"

    # Each form answers with a new page. Waiting for it keeps the next lookup from finding an element of the page
    # being left; a mark on the old page's window tells them apart without holding one of its elements (which
    # chromedriver may report as an "inspector error" rather than as stale while the page changes).
    def mark_page():
        browser.execute_script("window.cygnetOldPage = true")

    def on_next_page(driver) -> bool:
        try:
            return driver.execute_script(
                "return window.cygnetOldPage === undefined && document.readyState === 'complete'")
        except WebDriverException:
            return False  # between the two pages

    def wait_for_next_page():
        wait.until(on_next_page)

    browser.get(cygnet.base_url + "/hub/sync")
    wait.until(EC.presence_of_element_located((By.ID, "username")))
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(password + Keys.ENTER)
    wait.until(EC.presence_of_element_located((By.ID, "app-password-form")))
    assert browser.find_element(By.ID, "server-address").text == cygnet.base_url
    assert browser.find_elements(By.ID, "no-app-passwords")

    def submit(element, text: str):
        mark_page()
        element.send_keys(text)
        wait_for_next_page()

    def make(label: str) -> str:
        field = browser.find_element(By.ID, "label")
        field.clear()
        submit(field, label + Keys.ENTER)
        return wait.until(EC.presence_of_element_located((By.ID, "new-app-password"))).text

    laptop = make("my laptop")
    snapshot(browser, "7-app-password")
    listing = requests.request("PROPFIND", dav, auth=(username, laptop), headers={"Depth": "1"}, timeout=30)
    assert listing.status_code == 207, listing.text

    phone = make("phone")
    assert phone != laptop
    row = browser.find_element(By.XPATH, "//table[@id='app-passwords']//tr[td[1][text()='phone']]")
    mark_page()
    row.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_next_page()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice[role=status]")))
    assert "revoked" in browser.find_element(By.CSS_SELECTOR, ".notice[role=status]").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#app-passwords tbody tr")
    assert [r.find_element(By.TAG_NAME, "td").text for r in rows] == ["my laptop"]
    assert "never" not in rows[0].text, "the laptop's password was used; its last use should show"
    refused = requests.request("PROPFIND", dav, auth=(username, phone), headers={"Depth": "1"}, timeout=30)
    assert refused.status_code == 401

    field = browser.find_element(By.ID, "label")
    field.clear()
    submit(field, "   " + Keys.ENTER)
    problem = wait.until(EC.presence_of_element_located((By.ID, "sync-problem")))
    assert "Name the computer" in problem.text
