"""The one place where Cầu Họp reaches into aiortc's internals (written against aiortc 1.16.0).

aiortc decodes everything it receives and encodes everything it sends; its maintainers declined a
forwarding API (aiortc issues #55, #449, #627). The relay needs packets, so this module works at the DTLS
transport of a peer connection, below the RTP receivers and senders:

- incoming: ``RTCDtlsTransport._handle_rtp_data(data, arrival_time_ms)`` and ``_handle_rtcp_data(data)``
  receive each decrypted packet; ``PacketTap`` replaces them *on one transport instance* so the relay sees
  the bytes and aiortc's receivers (jitter buffer, decoder thread) see nothing;
- outgoing: ``RTCDtlsTransport._send_rtp(data)`` encrypts and sends one RTP or RTCP packet; the tap calls
  the original for the relay's packets, and wraps it so that the RTCP aiortc's own senders emit (SR + SDES)
  can be rewritten to describe what the relay really sent;
- paced sending (``pace``, for publishers: the agent): ``RTCRtpSender._run_rtp`` awaits ``_send_rtp`` for
  each packet of a frame in turn, so a wrapper that holds a video packet until ``rtc.pacing.Pacer`` lets it
  go spreads a keyframe over time and holds the sender back meanwhile; audio and RTCP pass at once;
- ``RTCRtpReceiver.receive`` starts a decoder thread per receiving transceiver: on the relay side the tap
  stops it again right away (``_handle_disconnect``), since nothing will ever be decoded;
- an ``RTCRtpSender`` with no track polls every 20 ms for one, so relay senders get ``Hold``, a track whose
  ``recv`` never returns;
- SRTP: aiortc's sending session allows a repeated sequence number within a 1024-packet window
  (``allow_repeat_tx``), which is what lets a leg answer a NACK with the same packet; legs keep fewer;
- the hot path, ``PacketTap.send_now``, does what ``_send_rtp`` does without its chain of coroutines: SRTP
  protect with the transport's ``_tx_srtp`` session, then ``sendto`` on the nominated ICE pair's socket
  (``aioice.Connection._nominated[1]``, a dict the connection keeps for its life) — only for a plain UDP
  pair; a TURN pair takes ``_send_rtp``. It
  calls libsrtp's ``srtp_protect`` on that session (``pylibsrtp.Session._srtp``) with a buffer of its own,
  as ``Session.protect`` does but without a fresh length cell and a type check per packet, and it reads
  the pair, the session and the socket's ``sendto`` once per nominated pair.

``tests/rtc/test_aiortc_hook.py`` pins each of these facts against the installed aiortc, so an upgrade that
changes one fails a test by name. Nothing else in ``rtc/`` touches an underscore attribute of aiortc.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
)
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.sdp import MediaDescription, SessionDescription
from pylibsrtp import SRTP_MAX_TRAILER_LEN
from pylibsrtp._binding import ffi as srtp_ffi
from pylibsrtp._binding import lib as srtp_lib

from rtc.pacing import DEFAULT_BURST, DEFAULT_RATE, Pacer
from rtc.rtcp import is_rtcp

AIORTC_VERSION = "1.16.0"

log = logging.getLogger(__name__)

RtpHandler = Callable[[bytes, float], Awaitable[None]]
RtcpHandler = Callable[[bytes], Awaitable[None]]
RtcpRewrite = Callable[[bytes], bytes | None]
LossFilter = Callable[[bytes], bool]

URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
URI_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


def configuration(ice_servers: Sequence[RTCIceServer] = ()) -> RTCConfiguration:
    """A peer connection configuration with exactly these ICE servers (aiortc adds Google's STUN when
    given None) and every media line bundled on one transport."""
    from aiortc.rtcconfiguration import RTCBundlePolicy

    return RTCConfiguration(iceServers=list(ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


_ORIGINAL_HOST_ADDRESSES = aioice.ice.get_host_addresses


def use_host_addresses(addresses: Sequence[str] | None) -> None:
    """Gather ICE host candidates on these addresses only (None: every interface, aioice's default).

    aioice enumerates interfaces and leaves out 127.0.0.1; tests and the loopback bench pass
    ``["127.0.0.1"]``. This is process-wide: aioice reads ``aioice.ice.get_host_addresses`` when gathering.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _ORIGINAL_HOST_ADDRESSES
        return
    fixed = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in fixed if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


class Hold(MediaStreamTrack):
    """A track that never yields a frame: it parks an ``RTCRtpSender`` whose packets the relay sends."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Any:
        return await self._never

    def stop(self) -> None:
        if not self._never.done():
            self._never.cancel()
        super().stop()


# --------------------------------------------------------------------------------- negotiated lines


@dataclass(frozen=True)
class Line:
    """One negotiated media line (m=) of a relay-side peer connection, from the relay's point of view."""

    index: int
    mid: str
    kind: str
    direction: str  # the relay's: "sendrecv", "sendonly", "recvonly" or "inactive"
    codec: str
    payload_type: int
    clock_rate: int
    rtx_payload_type: int | None
    local_ssrc: int | None  # what the relay sends on this line
    remote_ssrc: int | None  # what the peer sends on this line
    remote_rtx_ssrc: int | None
    extensions: dict[str, int] = field(default_factory=dict)  # negotiated header extension ids by URI

    @property
    def sends(self) -> bool:
        return self.direction in ("sendrecv", "sendonly")

    @property
    def receives(self) -> bool:
        return self.direction in ("sendrecv", "recvonly")


def _ssrcs(media: MediaDescription) -> tuple[int | None, int | None]:
    rtx: int | None = None
    main: int | None = None
    for group in media.ssrc_group:
        if group.semantic == "FID" and len(group.items) >= 2:
            main, rtx = int(group.items[0]), int(group.items[1])
    if main is None and media.ssrc:
        main = media.ssrc[0].ssrc
    return main, rtx


def negotiated_lines(pc: RTCPeerConnection) -> list[Line]:
    """The media lines of a connection whose local and remote descriptions are both set."""
    if pc.localDescription is None or pc.remoteDescription is None:
        raise ValueError("negotiation is not complete")
    local = SessionDescription.parse(pc.localDescription.sdp)
    remote = SessionDescription.parse(pc.remoteDescription.sdp)
    lines: list[Line] = []
    for i, (mine, theirs) in enumerate(zip(local.media, remote.media, strict=True)):
        if mine.kind not in ("audio", "video") or not mine.rtp.codecs or mine.port == 0:
            continue
        main = next(c for c in mine.rtp.codecs if c.name.lower() != "rtx")
        rtx = next(
            (
                c.payloadType
                for c in mine.rtp.codecs
                if c.name.lower() == "rtx" and c.parameters.get("apt") == main.payloadType
            ),
            None,
        )
        local_ssrc, _ = _ssrcs(mine)
        remote_ssrc, remote_rtx = _ssrcs(theirs)
        lines.append(
            Line(
                index=i,
                mid=mine.rtp.muxId or str(i),
                kind=mine.kind,
                direction=mine.direction or "sendrecv",
                codec=main.name,
                payload_type=main.payloadType or 0,
                clock_rate=main.clockRate,
                rtx_payload_type=rtx,
                local_ssrc=local_ssrc,
                remote_ssrc=remote_ssrc,
                remote_rtx_ssrc=remote_rtx,
                extensions={e.uri: e.id for e in mine.rtp.headerExtensions},
            )
        )
    return lines


def offered_directions(sdp: str) -> list[tuple[str, str]]:
    """(kind, direction) of each media line of an offer, as the offerer wrote them."""
    return [(m.kind, m.direction or "sendrecv") for m in SessionDescription.parse(sdp).media]


def check_offer(sdp: str) -> None:
    """Refuse, with a reason a person can act on, an offer the relay could never connect."""
    try:
        session = SessionDescription.parse(sdp)
    except (ValueError, AssertionError, IndexError, KeyError) as exc:
        raise ValueError(f"the SDP does not parse ({type(exc).__name__}: {exc})") from None
    media = [m for m in session.media if m.kind in ("audio", "video")]
    if not media:
        raise ValueError("the offer has no audio or video line")
    if not any(g.semantic == "BUNDLE" for g in session.group):
        raise ValueError("the offer must bundle its media (a=group:BUNDLE)")
    for m in media:
        if m.dtls is None or not m.dtls.fingerprints:
            raise ValueError(f"media line {m.rtp.muxId} has no DTLS fingerprint")
        if m.ice is None or not m.ice.usernameFragment or not m.ice.password:
            raise ValueError(f"media line {m.rtp.muxId} has no ICE credentials")


def prepare_answer(pc: RTCPeerConnection) -> None:
    """After ``setRemoteDescription(offer)`` on the relay: send on every line the peer receives (with a
    ``Hold`` track) and keep aiortc's receivers from starting decoder threads."""
    if pc.remoteDescription is None:
        raise ValueError("set the remote offer first")
    directions = offered_directions(pc.remoteDescription.sdp)
    for transceiver, (kind, offered) in zip(pc.getTransceivers(), directions, strict=False):
        if offered in ("recvonly", "sendrecv"):
            transceiver.sender.replaceTrack(Hold(kind))
            transceiver.direction = "sendonly" if offered == "recvonly" else "sendrecv"
        elif offered == "sendonly":
            transceiver.direction = "recvonly"
        _never_decode(transceiver)


def never_decode(pc: RTCPeerConnection) -> None:
    """Stop the decoder threads of every receiver of ``pc`` as they start (a packet sink: the bench)."""
    for transceiver in pc.getTransceivers():
        _never_decode(transceiver)


def observe_sent(pc: RTCPeerConnection, callback: Callable[[bytes], None]) -> None:
    """Call ``callback`` with every packet ``pc`` sends, before encryption (the bench's send clock)."""
    transport = dtls_transport(pc)
    original = transport._send_rtp

    async def send(data: bytes) -> None:
        callback(data)
        await original(data)

    transport._send_rtp = send  # type: ignore[method-assign]


def pace(pc: RTCPeerConnection, rate: float = DEFAULT_RATE, burst: float = DEFAULT_BURST) -> Pacer:
    """Spread the packets ``pc`` sends on its video lines at ``rate`` bits/s (``rtc/pacing.py``); audio, RTCP
    and retransmissions on their own SSRC leave at once. Wraps ``_send_rtp``, which aiortc's senders await
    packet by packet, so a sender waits for its frame to leave before taking the next one."""
    transport = dtls_transport(pc)
    video = {line.local_ssrc for line in negotiated_lines(pc) if line.kind == "video" and line.sends}
    pacer = Pacer(rate, burst)
    original = transport._send_rtp
    loop = asyncio.get_running_loop()

    async def send(data: bytes) -> None:
        if len(data) >= 12 and not is_rtcp(data) and int.from_bytes(data[8:12]) in video:
            now = loop.time()
            wait = pacer.release(len(data), now) - now
            if wait > 0:
                await asyncio.sleep(wait)
        await original(data)

    transport._send_rtp = send  # type: ignore[method-assign]
    return pacer


def _never_decode(transceiver: RTCRtpTransceiver) -> None:
    receiver = transceiver.receiver
    original = receiver.receive

    async def receive(parameters: Any) -> None:
        await original(parameters)
        receiver._handle_disconnect()  # stops the decoder thread that receive() just started

    receiver.receive = receive  # type: ignore[method-assign]


def dtls_transport(pc: RTCPeerConnection) -> RTCDtlsTransport:
    """The single (bundled) DTLS transport of a connection."""
    transports = {id(t.receiver.transport): t.receiver.transport for t in pc.getTransceivers()}
    if len(transports) != 1:
        raise ValueError(
            f"expected one bundled transport, found {len(transports)}: the offer must use BUNDLE"
        )
    return next(iter(transports.values()))


# -------------------------------------------------------------------------------------- packet tap

MAX_FAST_PACKET = 1500  # longer packets take ``send`` (pylibsrtp's own limit)


@dataclass(slots=True)
class _FastSend:
    """What ``send_now`` uses, read once for one nominated ICE pair."""

    pair: aioice.ice.CandidatePair
    session: Any  # the libsrtp context (srtp_t) of the transport's sending session
    sendto: Callable[[bytes, tuple[str, int]], None]
    addr: tuple[str, int]


class PacketTap:
    """Packets in and out of one DTLS transport, bypassing aiortc's RTP receivers and senders.

    ``loss_out`` / ``loss_in`` (tests, benchmarks): return True to drop a packet, as a lossy link would.
    """

    def __init__(
        self,
        transport: RTCDtlsTransport,
        on_rtp: RtpHandler,
        on_rtcp: RtcpHandler,
        rewrite_rtcp: RtcpRewrite | None = None,
    ) -> None:
        self.transport = transport
        self.on_rtp, self.on_rtcp, self.rewrite_rtcp = on_rtp, on_rtcp, rewrite_rtcp
        self.loss_out: LossFilter | None = None
        self.loss_in: LossFilter | None = None
        self.sent = self.send_failures = self.dropped_out = self.dropped_in = 0
        self._send = transport._send_rtp
        self._fast: _FastSend | None = None
        self._nominated: dict[int, aioice.ice.CandidatePair] = transport._transport._connection._nominated
        self._buffer = srtp_ffi.new("unsigned char[]", MAX_FAST_PACKET + SRTP_MAX_TRAILER_LEN)
        self._view = srtp_ffi.buffer(self._buffer)
        self._length = srtp_ffi.new("int *")
        transport._handle_rtp_data = self._rtp_in  # type: ignore[method-assign]
        transport._handle_rtcp_data = self._rtcp_in  # type: ignore[method-assign]
        transport._send_rtp = self._aiortc_out  # type: ignore[method-assign]

    async def _rtp_in(self, data: bytes, arrival_time_ms: int) -> None:
        if self.loss_in is not None and self.loss_in(data):
            self.dropped_in += 1
            return
        await self.on_rtp(data, time.time())

    async def _rtcp_in(self, data: bytes) -> None:
        await self.on_rtcp(data)

    async def _aiortc_out(self, data: bytes) -> None:
        """What aiortc's own senders and receivers send (their RTCP), after the relay's rewrite."""
        if self.rewrite_rtcp is not None:
            rewritten = self.rewrite_rtcp(data)
            if rewritten is None:
                return
            data = rewritten
        await self._send(data)

    @property
    def connected(self) -> bool:
        return self.transport.state == "connected"

    def send_now(self, data: bytes) -> bool | None:
        """Send one RTP packet at once, on the fast path; None when it must go through ``send``."""
        if self.loss_out is not None and self.loss_out(data):
            self.dropped_out += 1
            return True
        transport = self.transport
        if transport._state is not State.CONNECTED:
            return None
        pair = self._nominated.get(1)
        fast = self._fast
        if fast is None or fast.pair is not pair:
            fast = self._fast = self._fast_send(pair)
            if fast is None:
                return None
        size = len(data)
        if size > MAX_FAST_PACKET:
            return None
        self._view[0:size] = data
        self._length[0] = size
        if srtp_lib.srtp_protect(fast.session, self._buffer, self._length):
            self.send_failures += 1  # a sequence number older than the replay window: never sent
            return False
        fast.sendto(self._view[0 : self._length[0]], fast.addr)
        self.sent += 1
        return True

    def _fast_send(self, pair: aioice.ice.CandidatePair | None) -> _FastSend | None:
        if pair is None or type(pair.protocol) is not aioice.ice.StunProtocol:
            return None
        session = self.transport._tx_srtp._srtp[0]
        return _FastSend(pair, session, pair.protocol.transport.sendto, pair.remote_addr)

    async def send(self, data: bytes) -> bool:
        """Encrypt and send one RTP or RTCP packet; False when the transport cannot send (yet or any more)."""
        if self.loss_out is not None and self.loss_out(data):
            self.dropped_out += 1
            return True
        try:
            await self._send(data)
        except (ConnectionError, pylibsrtp.Error):
            self.send_failures += 1
            return False
        self.sent += 1
        return True


async def add_candidate(pc: RTCPeerConnection, candidate: str, mid: str | None, index: int | None) -> None:
    """A trickled remote candidate (``a=candidate`` value); an empty one (end of candidates) is a no-op."""
    from aiortc.sdp import candidate_from_sdp

    from rtc.errors import BadSignal

    text = candidate.strip()
    if not text:
        return
    if text.startswith("candidate:"):
        text = text[len("candidate:") :]
    try:
        parsed = candidate_from_sdp(text)
    except (ValueError, IndexError) as exc:
        raise BadSignal(f"not an ICE candidate: {exc}") from None
    parsed.sdpMid, parsed.sdpMLineIndex = mid, index
    await pc.addIceCandidate(parsed)
