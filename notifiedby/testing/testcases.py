"""``NotifiedBySandboxMixin``: a sandbox for ``django.test`` test cases (``manage.py test``)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from notifiedby.testing._settings import BACKEND_PATH, route_django_mail, use_sandbox

if TYPE_CHECKING:
    from notifiedby.sandbox import Sandbox

__all__ = ["NotifiedBySandboxMixin"]


class NotifiedBySandboxMixin:
    """Give a ``SimpleTestCase`` / ``TestCase`` a sandbox, and send Django's email to it.

    One sandbox runs per test class (``notifiedby_sandbox_options`` are its ``Sandbox``
    arguments). For the whole class, the SDK's settings point at it and Django's email goes
    through ``NotifiedByEmailBackend`` to it, so ``setUpTestData`` may send too. Before each
    test the sandbox is reset, and ``self.notifiedby`` is the sandbox to assert on; emails
    sealed with the configured ``NOTIFIEDBY_ENCRYPTION_KEY`` show their plaintext there.
    List the mixin before the test case class.
    """

    notifiedby_sandbox_options: ClassVar[dict[str, Any]] = {}
    notifiedby: Sandbox
    _notifiedby_sandbox: ClassVar[Sandbox]

    @classmethod
    def setUpClass(cls) -> None:
        from notifiedby.sandbox import Sandbox

        stack = contextlib.ExitStack()
        # unittest runs class cleanups also when setUpClass fails part-way.
        cls.addClassCleanup(stack.close)  # type: ignore[attr-defined]
        cls._notifiedby_sandbox = stack.enter_context(Sandbox(**cls.notifiedby_sandbox_options))
        stack.enter_context(use_sandbox(cls._notifiedby_sandbox))
        stack.enter_context(route_django_mail(BACKEND_PATH))
        super().setUpClass()  # type: ignore[misc]

    def setUp(self) -> None:
        self.notifiedby = type(self)._notifiedby_sandbox
        self.notifiedby.reset()
        super().setUp()  # type: ignore[misc]
