"""Test a drip campaign in a second: a flow from a file, users subscribed, the clock advanced.

Run it with ``python examples/drip_campaign.py``. Everything happens on an embedded sandbox;
nothing leaves this machine. The flow (examples/flows.toml) welcomes a user, waits up to two
days for the ``onboarded`` flag, sends tips to those who don't have it, and thanks those who do.
"""

from __future__ import annotations

from pathlib import Path

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
from notifiedby.sandbox import Sandbox

FLOWS = Path(__file__).with_name("flows.toml")
TRIGGER = "ONBOARDING_DRIP"
USERS = [
    ("ada@example.com", "Ada", "Lovelace"),
    ("alan@example.com", "Alan", "Turing"),
    ("bounce@example.com", "Bo", "Unce"),  # a magic address: its email bounces
]


def show(sandbox: Sandbox, client: NotifiedByClient, title: str) -> None:
    print(f"\n== {title} (sandbox time {sandbox.now:%a %d %b %H:%M})")
    for sub in Subscription.objects.using(client).filter(flow_trigger=TRIGGER):
        print(f"   {sub.recipient_email:<20} {sub.status:<10} step {sub.current_step_order}")


def main() -> None:
    # Each email stays pending for one second of sandbox time, then meets its outcome.
    with (
        Sandbox(delivery_delay=1) as sandbox,
        NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url) as client,
    ):
        sandbox.load_flows(FLOWS)
        drip = Flow.objects.using(client).get(trigger=TRIGGER)
        for email, first_name, last_name in USERS:
            drip.subscribe(email, first_name=first_name, last_name=last_name)
        show(sandbox, client, "Subscribed")

        sandbox.advance(hours=1)  # the welcome emails go out
        Recipient.objects.using(client).get(email="ada@example.com").flags.add("onboarded")
        show(sandbox, client, "An hour later; Ada has onboarded")

        sandbox.advance(days=2)  # Ada's wait ends at once; the others get tips at day two
        show(sandbox, client, "Two days later")

        sandbox.advance(days=3)
        show(sandbox, client, "Five days later")

        receipt = Email.objects.using(client).send(
            recipient="alan@example.com", subject="Your receipt", body="<p>Thank you!</p>"
        )
        print(f"\n   The receipt is {receipt.delivery_status().status}; waiting for it...")
        print(f"   ...{receipt.wait_for_delivery(timeout=10, interval=0.2).status}")

        print("\n== Every email the sandbox sent")
        for sent in sandbox.emails:
            when = f"{sent.created_on:%a %H:%M}"
            print(f"   {when}  {sent.status:<10} {sent.recipient:<20} {sent.subject}")
        print(
            "\nSee them rendered: `notifiedby sandbox --flows examples/flows.toml`, open its URL."
        )


if __name__ == "__main__":
    main()
