"""Headless Chromium (Debian's chromium and chromium-driver) driven by selenium."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
WAIT_S = 20


def available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.profile = Path(tempfile.mkdtemp(prefix="console-chromium-"))
        self.downloads = self.profile / "downloads"
        self.downloads.mkdir()
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile / 'data'}")
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(self.downloads),
                "download.prompt_for_download": False,
            },
        )
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(self.downloads)},
        )

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- signing in and moving around ---------------------------------------------------------
    def sign_in(self, email: str, password: str) -> None:
        self.driver.get(f"{self.base_url}/console")
        self.driver.execute_script("sessionStorage.clear()")
        self.driver.get(f"{self.base_url}/console")
        self.wait_for("#email").send_keys(email)
        self.find("#password").send_keys(password)
        self.find("#sign-in-form button[type=submit]").click()
        self.wait_until(lambda: not self.find("#page").get_attribute("hidden"))

    def open(self, page: str) -> float:
        """Goes to a page; returns the seconds until its first render was complete."""
        started = time.perf_counter()
        self.driver.execute_script("location.hash = arguments[0]", f"#/{page}")
        self.wait_until(
            lambda: (
                self.find("#page").get_attribute("data-page") == page
                and self.find("#page").get_attribute("data-ready") == "true"
            )
        )
        return time.perf_counter() - started

    def render_ms(self) -> int:
        return int(self.find("#page").get_attribute("data-render-ms") or 0)

    # -- reading and acting ----------------------------------------------------------------------
    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait_for(self, css: str) -> WebElement:
        return WebDriverWait(self.driver, WAIT_S).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        )

    def wait_until(self, condition, timeout_s: float = WAIT_S) -> None:  # type: ignore[no-untyped-def]
        # The page re-renders parts of itself: an element read mid-change is read again.
        ignored = (StaleElementReferenceException, NoSuchElementException)
        WebDriverWait(self.driver, timeout_s, ignored_exceptions=ignored).until(
            lambda _driver: condition()
        )

    def wait_text(self, css: str, text: str) -> None:
        self.wait_until(lambda: text in self.find(css).text)

    def text(self, css: str = "#page") -> str:
        return self.find(css).text

    def button(self, label: str) -> WebElement:
        """A button by its accessible label or text, as a keyboard user would find it."""
        found: list[WebElement] = []

        def present() -> bool:
            # A page that re-renders after an action shows its buttons again a moment later.
            found[:] = [
                element
                for element in self.find_all("#page button")
                if label in (element.get_attribute("aria-label") or "") or element.text == label
            ]
            return bool(found)

        try:
            self.wait_until(present)
        except TimeoutException:
            raise AssertionError(f"no button {label!r}") from None
        return found[0]

    def accept_confirmation(self) -> None:
        def accepted() -> bool:
            try:
                self.driver.switch_to.alert.accept()
                return True
            except NoAlertPresentException:
                return False

        self.wait_until(accepted)

    def wait_download(self, suffix: str) -> Path:
        found: list[Path] = []

        def arrived() -> bool:
            found[:] = [p for p in self.downloads.iterdir() if p.name.endswith(suffix)]
            return bool(found)

        self.wait_until(arrived)
        return found[0]

    def screenshot(self, path: Path) -> None:
        height = self.driver.execute_script("return Math.max(document.body.scrollHeight, 900)")
        self.driver.set_window_size(1280, min(int(height) + 40, 2400))
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 900)

    def console_errors(self) -> list[str]:
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
        ]
