"""Errors of the media side, in Cầu Họp's one exception tree (``meetings/errors.py``).

Each carries a ``detail`` for the person (or program) on the other end of the signaling socket;
``rtc/signaling.py`` turns them into ``error`` messages in one place.
"""

from __future__ import annotations

from meetings.errors import Conflict, Invalid


class BadOffer(Invalid):
    """An SDP offer the relay cannot answer: malformed, not bundled, or without usable media."""


class BadSignal(Invalid):
    """A signaling message out of order (a candidate before any offer, an unknown type...)."""


class AlreadyJoined(Conflict):
    """The same bridge point is already connected and the new connection did not ask to replace it."""
