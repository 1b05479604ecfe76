"""A local NotifiedBy API server for development and tests.

``with Sandbox() as sb:`` runs one on a free loopback port; ``notifiedby sandbox`` runs one
from the command line. See docs/sandbox.md.
"""

from __future__ import annotations

from notifiedby.sandbox.app import SandboxApp
from notifiedby.sandbox.control import Attachment, SentEmail
from notifiedby.sandbox.faults import Fault, RecordedRequest
from notifiedby.sandbox.server import Sandbox

__all__ = ["Attachment", "Fault", "RecordedRequest", "Sandbox", "SandboxApp", "SentEmail"]
