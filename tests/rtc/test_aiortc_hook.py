"""Pins: the aiortc 1.16.0 internals that ``rtc/aiortc_hook.py`` relies on, each checked by name.

If an aiortc upgrade changes one of these, the test that names it fails, and ``aiortc_hook.py`` is the one
module to adapt.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

import aioice.ice
import aiortc
import pylibsrtp
from aiortc import AudioStreamTrack, RTCPeerConnection, VideoStreamTrack
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer
from aiortc.rtcrtpreceiver import RTCRtpReceiver
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtp import RtpPacket as AiortcRtpPacket
from pylibsrtp._binding import ffi as srtp_ffi
from pylibsrtp._binding import lib as srtp_lib

from rtc import aiortc_hook as hook
from rtc.payload import parse_vp8
from rtc.rtcp import RtcpPli, RtcpSr, parse_rtcp
from rtc.rtp import RtpPacket


def test_the_installed_aiortc_is_the_one_the_hook_was_written_for() -> None:
    assert aiortc.__version__ == hook.AIORTC_VERSION


def params(fn: Any) -> list[str]:
    return list(inspect.signature(fn).parameters)


def test_dtls_transport_packet_entry_points() -> None:
    assert params(RTCDtlsTransport._handle_rtp_data) == ["self", "data", "arrival_time_ms"]
    assert params(RTCDtlsTransport._handle_rtcp_data) == ["self", "data"]
    assert params(RTCDtlsTransport._send_rtp) == ["self", "data"]
    for fn in (
        RTCDtlsTransport._handle_rtp_data,
        RTCDtlsTransport._handle_rtcp_data,
        RTCDtlsTransport._send_rtp,
    ):
        assert inspect.iscoroutinefunction(fn)
    # the receive loop looks them up on the instance each time, so replacing them on one transport works
    source = inspect.getsource(RTCDtlsTransport._recv_next)
    assert "await self._handle_rtp_data(data, arrival_time_ms=arrival_time_ms)" in source
    assert "await self._handle_rtcp_data(data)" in source


def test_a_sender_awaits_each_packet_of_a_frame_on_send_rtp() -> None:
    # ``pace`` holds a video packet inside ``_send_rtp``: the sender's loop must wait for it, packet by packet
    source = inspect.getsource(RTCRtpSender._run_rtp)
    assert "for i, payload in enumerate(enc_frame.payloads):" in source
    assert "await self.transport._send_rtp(packet_bytes)" in source


def test_receiver_starts_a_decoder_thread_that_handle_disconnect_stops() -> None:
    assert "threading.Thread(" in inspect.getsource(RTCRtpReceiver.receive)
    assert "__stop_decoder()" in inspect.getsource(RTCRtpReceiver._handle_disconnect)


def test_a_sender_without_a_track_polls_every_20_ms() -> None:
    source = inspect.getsource(RTCRtpSender._run_rtp)
    assert "if not self.__track:" in source and "await asyncio.sleep(0.02)" in source


def test_the_fast_send_path_reads_what_send_rtp_uses() -> None:
    """``PacketTap.send_now`` repeats ``_send_rtp`` without its coroutines; these are the parts it reads."""
    send = inspect.getsource(RTCDtlsTransport._send_rtp)
    assert "if self._state != State.CONNECTED:" in send
    assert "data = self._tx_srtp.protect(data)" in send and "await self.transport._send(data)" in send
    assert "active_pair = self._nominated.get(component)" in inspect.getsource(aioice.ice.Connection.sendto)
    # send_now keeps the connection's dict of nominated pairs: it is made once and only ever changed in place
    assert inspect.getsource(aioice.ice.Connection).count("self._nominated =") == 0
    assert "self._nominated: dict[int, CandidatePair] = {}" in inspect.getsource(
        aioice.ice.Connection.__init__
    )
    assert "self._connection = gatherer._connection" in inspect.getsource(aiortc.RTCIceTransport.__init__)
    assert "await active_pair.protocol.send_data(data, active_pair.remote_addr)" in inspect.getsource(
        aioice.ice.Connection.sendto
    )
    assert (
        inspect.getsource(aioice.ice.StunProtocol.send_data)
        .strip()
        .endswith("self.transport.sendto(data, addr)")
    )
    setup = inspect.getsource(RTCDtlsTransport._setup_srtp)
    # a leg answers a NACK with the same packet: the sending session must accept a repeated index
    assert "tx_policy.allow_repeat_tx = True" in setup and "tx_policy.window_size = 1024" in setup
    assert "self._tx_srtp = Session(tx_policy)" in setup


def test_the_fast_send_path_protects_as_pylibsrtp_does() -> None:
    """``send_now`` calls libsrtp on the session's context with a buffer of its own, as ``protect`` does."""
    assert "self.__process(packet, lib.srtp_protect, SRTP_MAX_TRAILER_LEN)" in inspect.getsource(
        pylibsrtp.Session.protect
    )
    process = inspect.getsource(pylibsrtp.Session._Session__process)  # type: ignore[attr-defined]
    assert "_srtp_assert(func(self._srtp[0], self._cdata, len_p))" in process
    assert "return self._buffer[0 : len_p[0]]" in process
    assert f'self._cdata = ffi.new("char[]", {hook.MAX_FAST_PACKET})' in inspect.getsource(
        pylibsrtp.Session.__init__
    )
    assert str(srtp_ffi.typeof(srtp_lib.srtp_protect)) == (
        "<ctype 'srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)'>"
    )


def test_pli_only_flags_the_next_encode() -> None:
    """DESIGN §5: a viewer's PLI sets a flag the encoder reads; a relay must carry PLIs upstream itself."""
    assert "self._send_keyframe()" in inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    assert inspect.getsource(RTCRtpSender._send_keyframe).strip().endswith("self.__force_keyframe = True")


def test_the_jitter_buffer_releases_a_frame_only_when_the_next_one_starts() -> None:
    """The ~one-frame wait per hop that packet forwarding avoids."""
    buffer = JitterBuffer(capacity=128, is_video=True)

    def packet(seq: int, ts: int) -> AiortcRtpPacket:
        p = AiortcRtpPacket(payload_type=97, sequence_number=seq, timestamp=ts)
        p._data = b"x"  # type: ignore[attr-defined]
        return p

    assert buffer.add(packet(1, 3000)) == (False, None)
    assert buffer.add(packet(2, 3000)) == (False, None)  # the frame is complete, but not yet released
    _, frame = buffer.add(packet(3, 6000))
    assert frame is not None and frame.timestamp == 3000


def test_default_ice_servers_and_host_addresses() -> None:
    assert aiortc.RTCConfiguration().iceServers is None  # → aiortc falls back to this STUN server:
    assert [s.urls for s in RTCIceGatherer.getDefaultIceServers()] == ["stun:stun.l.google.com:19302"]
    assert hook.configuration().iceServers == []
    assert "get_host_addresses(" in inspect.getsource(aioice.ice.Connection.gather_candidates)
    hook.use_host_addresses(None)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)  # aioice leaves loopback out
    hook.use_host_addresses(["127.0.0.1", "::1"])
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]


async def _loopback(state: dict[str, Any]) -> None:
    client = RTCPeerConnection(hook.configuration())
    client.addTransceiver(AudioStreamTrack(), direction="sendrecv")
    client.addTransceiver(VideoStreamTrack(), direction="sendrecv")
    client.addTransceiver("video", direction="recvonly")
    await client.setLocalDescription(await client.createOffer())
    relay = RTCPeerConnection(hook.configuration())
    await relay.setRemoteDescription(client.localDescription)
    hook.prepare_answer(relay)
    video_in: asyncio.Queue[RtpPacket] = asyncio.Queue()
    aiortc_rtcp: list[bytes] = []
    reported = asyncio.Event()

    async def on_rtp(data: bytes, now: float) -> None:
        packet = RtpPacket.parse(data)
        if packet.payload_type == 97:
            video_in.put_nowait(packet)

    async def on_rtcp(data: bytes) -> None:
        pass

    def rewrite(data: bytes) -> bytes:
        aiortc_rtcp.append(data)
        reported.set()
        return data

    tap = hook.PacketTap(hook.dtls_transport(relay), on_rtp, on_rtcp, rewrite)
    await relay.setLocalDescription(await relay.createAnswer())
    await client.setRemoteDescription(relay.localDescription)
    lines = hook.negotiated_lines(relay)
    state["lines"] = lines
    sdp = relay.localDescription.sdp
    state["candidates"] = [line for line in sdp.splitlines() if line.startswith("a=candidate:")]
    first = await asyncio.wait_for(video_in.get(), 10)  # the client's video reaches the tap...
    state["first_is_keyframe"] = parse_vp8(first.payload).keyframe
    receivers = {t.mid: t.receiver for t in relay.getTransceivers()}
    state["relay_decoders"] = [r._RTCRtpReceiver__decoder_thread for r in receivers.values()]  # type: ignore[attr-defined]
    state["relay_senders"] = [type(t.sender.track).__name__ for t in relay.getTransceivers()]
    # ...a PLI from the tap makes the client's encoder send a keyframe...
    video = next(line for line in lines if line.kind == "video" and line.receives)
    while True:
        packet = await asyncio.wait_for(video_in.get(), 10)
        if parse_vp8(packet.payload).frame_start and not parse_vp8(packet.payload).keyframe:
            break
    assert await tap.send(bytes(RtcpPli(1, video.remote_ssrc or 0)))
    for _ in range(100):
        packet = await asyncio.wait_for(video_in.get(), 10)
        if parse_vp8(packet.payload).keyframe:
            state["keyframe_after_pli"] = True
            break
    # ...and a packet the relay sends on its own SSRC reaches the client's receiver for that line.
    out_line = next(line for line in lines if line.kind == "video" and line.direction == "sendonly")
    receiver = next(t.receiver for t in client.getTransceivers() if t.mid == out_line.mid)
    forwarded = RtpPacket(out_line.payload_type, 1, 1, out_line.local_ssrc or 0, payload=packet.payload)
    for _ in range(50):
        await tap.send(bytes(forwarded))
        report = await receiver.getStats()
        inbound = [s for s in report.values() if s.type == "inbound-rtp"]
        if inbound and inbound[0].packetsReceived > 0:
            state["client_received"] = inbound[0].ssrc
            break
        forwarded.sequence_number += 1
        await asyncio.sleep(0.01)
    await asyncio.wait_for(reported.wait(), 10)
    for _ in range(1, 1100, 50):  # the fast path, then an index older than SRTP's replay window
        forwarded.sequence_number += 50
        assert tap.send_now(bytes(forwarded)) is True
    forwarded.sequence_number -= 1100
    state["too_old"] = tap.send_now(bytes(forwarded))
    state["aiortc_rtcp"] = parse_rtcp(aiortc_rtcp[0])
    await client.close()
    await relay.close()


def test_a_tap_sees_packets_instead_of_aiortc_and_sends_its_own() -> None:
    state: dict[str, Any] = {}
    before = threading.active_count()
    asyncio.run(asyncio.wait_for(_loopback(state), 30))
    assert all(" 127.0.0.1 " in c for c in state["candidates"]) and state["candidates"]
    kinds = [(line.kind, line.direction) for line in state["lines"]]
    assert kinds == [("audio", "sendrecv"), ("video", "sendrecv"), ("video", "sendonly")]
    assert state["first_is_keyframe"]
    assert state["relay_decoders"] == [None, None, None]  # no decoder thread left on the relay side
    assert state["relay_senders"] == ["Hold", "Hold", "Hold"]
    assert state["keyframe_after_pli"]
    out_line = state["lines"][2]
    assert state["client_received"] == out_line.local_ssrc
    sr = state["aiortc_rtcp"][0]
    # aiortc reports what *it* sent (nothing): the relay rewrites these
    assert isinstance(sr, RtcpSr) and sr.packet_count == 0
    assert state["too_old"] is False  # refused, not raised into aiortc's receive loop
    assert threading.active_count() <= before + 1
