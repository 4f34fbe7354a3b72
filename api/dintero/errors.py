"""The Dintero dialect's errors: for now RFC 9457 problems, as the native API.

Its own renderer and route class, so that the dialect's own error format
(``{"error": {"code", "message"}}``, SPEC §5) changes this module only.
"""

from __future__ import annotations

from api.errors import DialectRoute
from api.native.problems import NativeProblems


class DinteroErrors(NativeProblems):
    """Dintero's routes answer problems like the native API (for now)."""


class DinteroRoute(DialectRoute):
    renderer = DinteroErrors()
