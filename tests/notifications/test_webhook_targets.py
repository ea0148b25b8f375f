"""A webhook target's name is resolved once: what was checked is what is connected to."""

from __future__ import annotations

from services.notifications.adapters.webhooks import WebhookSender
from tests.notifications.receivers import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class CountingResolver:
    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked = 0

    def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.asked, len(self.answers) - 1)]
        self.asked += 1
        return answer


def test_the_request_goes_to_the_address_that_was_checked() -> None:
    receiver = Receiver(secrets={"/hook": SECRET})
    # ".invalid" never resolves through the system: only the checked address can be reached.
    resolver = CountingResolver(["127.0.0.1"], ["10.1.2.3"])
    sender = WebhookSender(5.0, allow_private=True, resolve=resolver)
    try:
        outcome = sender.send(
            f"http://hooks.invalid:{receiver.port}/hook", "msg_1", '{"type":"x"}', [SECRET]
        )
        assert outcome.succeeded, outcome
        assert resolver.asked == 1
        [got] = receiver.at("/hook")
        assert got.verified and got.host == f"hooks.invalid:{receiver.port}"
    finally:
        sender.close()
        receiver.stop()


def test_a_name_with_any_private_address_is_refused_before_connecting() -> None:
    receiver = Receiver()
    resolver = CountingResolver(["93.184.215.14", "127.0.0.1"])
    sender = WebhookSender(5.0, allow_private=False, resolve=resolver)
    try:
        outcome = sender.send(
            f"https://hooks.invalid:{receiver.port}/hook", "msg_2", "{}", [SECRET]
        )
        assert outcome.status_code == 0 and "loopback" in outcome.excerpt
        assert resolver.asked == 1 and receiver.received == []
    finally:
        sender.close()
        receiver.stop()


def test_a_name_without_addresses_is_reported_not_raised() -> None:
    sender = WebhookSender(5.0, allow_private=False, resolve=CountingResolver([]))
    try:
        outcome = sender.send("https://hooks.invalid/hook", "msg_3", "{}", [SECRET])
        assert outcome.status_code == 0 and "not resolved" in outcome.excerpt
    finally:
        sender.close()
