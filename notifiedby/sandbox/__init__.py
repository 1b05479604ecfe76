"""A local NotifiedBy API server for development and tests.

``with Sandbox() as sb:`` runs one on a free loopback port; ``notifiedby sandbox`` runs one
from the command line. Its flows run as ``sb.advance(days=2)`` moves its clock, its emails
go from ``pending`` to a delivery outcome, and ``/`` serves a web inbox. See docs/sandbox.md.
"""

from __future__ import annotations

from notifiedby.sandbox.app import SandboxApp
from notifiedby.sandbox.control import Attachment, SentEmail
from notifiedby.sandbox.faults import Fault, RecordedRequest
from notifiedby.sandbox.sandbox import Sandbox

__all__ = ["Attachment", "Fault", "RecordedRequest", "Sandbox", "SandboxApp", "SentEmail"]
