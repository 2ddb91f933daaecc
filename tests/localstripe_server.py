"""localstripe (a stateful Stripe-compatible test server, GPL-3.0, a test dependency only) run by
the test session on a free port, and what the tests ask of it: registering the shop's webhook,
reading its events, signing an event the way Stripe does (to replay one), and forgetting its data.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SECRET_KEY = "sk_test_revetir_tests"
PUBLISHABLE_KEY = "pk_test_revetir_tests"
WEBHOOK_SECRET = "whsec_revetir_tests"
WEBHOOK_ID = "revetir-tests"
# Where a webhook points while no test wants it: a port nothing listens on, refused at once.
NOWHERE = "http://127.0.0.1:9/"
START_TIMEOUT_SECONDS = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    def __init__(self, log_dir: Path) -> None:
        if importlib.util.find_spec("localstripe") is None:
            raise RuntimeError("localstripe is not installed: pip install -r requirements-dev.txt")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "localstripe.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                requests.get(f"{self.url}/js.stripe.com/v3/", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"localstripe did not answer on port {self.port} within {START_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{self.url}{path}", auth=(SECRET_KEY, ""), timeout=10, **kwargs)
        response.raise_for_status()
        return response

    def send_webhooks_to(self, url: str) -> None:
        """Deliver every event, signed with WEBHOOK_SECRET, to `url` (one registration, replaced each call)."""
        self._api("POST", f"/_config/webhooks/{WEBHOOK_ID}", data={"url": url, "secret": WEBHOOK_SECRET})

    def forget_everything(self) -> None:
        """Drop every object (intents, charges, refunds): Stripe then answers 'No such ...'."""
        self._api("DELETE", "/_config/data")

    def events(self, *, event_type: str) -> list[dict]:
        return self._api("GET", "/v1/events", params={"type": event_type, "limit": 100}).json()["data"]

    def event_for_intent(self, *, event_type: str, intent_id: str) -> dict:
        matches = [e for e in self.events(event_type=event_type) if e["data"]["object"]["id"] == intent_id]
        if not matches:
            raise AssertionError(f"localstripe has no {event_type} event for {intent_id}")
        return matches[0]

    def intent(self, intent_id: str) -> dict:
        return self._api("GET", f"/v1/payment_intents/{intent_id}").json()

    def pay_directly(self, intent_id: str, *, payment_method: str) -> requests.Response:
        """Confirm an intent at the server, as a shopper's browser would, without the shop knowing."""
        self._api("POST", f"/v1/payment_intents/{intent_id}", data={"payment_method": payment_method})
        return requests.post(f"{self.url}/v1/payment_intents/{intent_id}/confirm", auth=(SECRET_KEY, ""), timeout=10)

    def card(self, number: str) -> str:
        """A card payment method with this test number (what Stripe.js would make from the form)."""
        card = {"card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}
        return self._api("POST", "/v1/payment_methods", data={"type": "card", **card}).json()["id"]

    def authenticate(self, intent_id: str, *, client_secret: str, success: bool) -> dict:
        """Answer 3-D Secure as the fake Stripe.js's dialog does (with the publishable key only)."""
        response = requests.post(
            f"{self.url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            data={"key": PUBLISHABLE_KEY, "client_secret": client_secret},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def refunds(self, intent_id: str) -> list[dict]:
        return self._api("GET", "/v1/refunds", params={"payment_intent": intent_id}).json()["data"]


def signed_webhook(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
    """(body, Stripe-Signature header) for `event`, signed as Stripe signs: HMAC-SHA256 of
    "<timestamp>.<body>" with the endpoint's secret, sent as "t=<timestamp>,v1=<hex digest>"."""
    body = json.dumps(event).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={digest}"
