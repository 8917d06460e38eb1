// The media client: one connection to the meeting's relay (/ws/rtc/{meeting}; schema in rtc/schema.py).
//
// - Signaling over the WebSocket (session cookie, same origin): the server's `hello` gives the ICE servers;
//   we send the `offer`, then trickle our candidates (not mDNS `.local` ones: the relay would have to ask the
//   LAN by multicast; it learns our address from the connectivity checks instead); the relay answers with
//   all of its candidates.
// - Lines, in the relay's order: a bridge point sends its camera and microphone on the first audio and
//   video lines and receives a slot on each (audio, video) pair — slot 0 the speaker, slot 1 the chair; the
//   chair's console receives video only, slot 0 the speaker and the others the last-N rooms.
// - `slots` says which bridge point each slot shows now; `pause` asks us to stop sending what nobody receives.
// - Reconnect: when the connection fails (or stays disconnected), or the socket drops (or answers nothing), a
//   fresh peer connection (new ICE credentials and DTLS: aiortc has no in-place ICE restart, so the relay
//   builds a new connection too) sends a new offer; the relay keeps our place in the room.
// - Relays in a cascade: the server may answer the offer with `redirect` to the relay that serves this bridge
//   point (its district's); we open the socket there and send the same offer, marked `redirected`. A socket
//   that drops sends us back to our own server, which plans again (a relay that died is replaced). The other
//   relay must accept our origin (CAUHOP_ALLOWED_ORIGINS) and see our session cookie (same host name); when
//   it cannot be reached at all, our own server is asked to serve us itself (`redirected` on its socket).
// - Every STATS_EVERY ms, getStats() gives the link's round-trip time, loss and bitrates (`quality` event).
import { Emitter } from './emitter.js';

const BACKOFF = [500, 1000, 2000, 4000, 8000];
const STATS_EVERY = 2000;
const DISCONNECTED_GRACE = 4000;
const PING_EVERY = 20000; // keeps the signaling socket alive through proxies during a long meeting
const ANSWER_WITHIN = 10000; // else the socket is taken for dead (a link that vanished without closing)
// Error codes that end the call (state `refused`, with `{code, detail}`): each has its own words on screen.
export const REFUSALS = ['unauthenticated', 'forbidden', 'not_found', 'invalid'];

export function rtcUrl(meetingId, server = null) {
  if (server) return `${server.replace(/^http/, 'ws').replace(/\/$/, '')}/ws/rtc/${meetingId}`;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws/rtc/${meetingId}`;
}

// Poor past the relay's own limits (rtc/stats.py: judge_link, 8% loss or 600 ms); fair past 2% or 200 ms.
export function judge(loss, rtt) {
  if (loss === null && rtt === null) return null;
  if ((loss ?? 0) > 0.08 || (rtt ?? 0) > 0.6) return 'poor';
  if ((loss ?? 0) > 0.02 || (rtt ?? 0) > 0.2) return 'fair';
  return 'good';
}

export class RtcClient extends Emitter {
  // options: {bridgePointId, console, slots, lowBandwidth, media (a MediaStream to send, or null)}
  constructor(meetingId, options) {
    super();
    this.meetingId = meetingId;
    this.options = { slots: 2, console: false, lowBandwidth: false, media: null, ...options };
    this.state = 'idle'; // idle | connecting | connected | reconnecting | closed | refused
    this.slots = []; // [{index, bridgePointId, stream}]
    this.speaker = null;
    this.chair = null;
    this.paused = { video: false, audio: false }; // by the relay: nobody receives it
    this.muted = { video: false, audio: false }; // by the user
    this.quality = null;
    this.ws = null;
    this.relay = null; // the relay a redirect sent us to (its base URL), until its socket drops
    this.unreachable = null; // a relay we were sent to whose socket never opened
    this.pc = null;
    this.iceServers = [];
    this.attempt = 0;
    this.timers = {};
    this.prevStats = null;
  }

  setState(state, detail) {
    this.state = state;
    this.emit('state', { state, detail });
  }

  start() {
    this.setState('connecting');
    this.openSocket();
    this.timers.stats = setInterval(() => this.measure(), STATS_EVERY);
    this.timers.ping = setInterval(() => this.send({ type: 'ping' }), PING_EVERY);
  }

  close() {
    this.setState('closed');
    for (const timer of Object.values(this.timers)) clearInterval(timer); // clears timeouts as well
    this.timers = {};
    this.closePeer();
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  setLowBandwidth(on) {
    this.options.lowBandwidth = on;
    if (this.pc) this.send({ type: 'low_bandwidth', on });
  }

  // ---- the socket ----
  openSocket() {
    const relay = this.relay;
    let opened = false;
    const ws = (this.ws = new WebSocket(rtcUrl(this.meetingId, relay)));
    ws.addEventListener('open', () => (opened = true));
    ws.addEventListener('message', (e) => this.onMessage(JSON.parse(e.data)));
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws || this.state === 'closed' || this.state === 'refused') return;
      if (e.code === 4401 || e.code === 4403) return this.setState('refused', this.refusal);
      if (relay && !opened) this.unreachable = relay;
      this.relay = null; // ask our own server again: it knows which relays are alive
      this.retry();
    });
  }

  // The plan has another relay serve us: take the offer there (once; that relay never sends us on).
  redirect(server) {
    if (this.relay) return this.failed(`sent on again from ${this.relay}`);
    if (server === this.unreachable) return this.offer(true); // we cannot reach it: be served here
    clearTimeout(this.timers.answer);
    this.closePeer();
    const old = this.ws;
    this.relay = server;
    this.ws = null;
    if (old) old.close();
    this.emit('relay', server);
    this.openSocket();
  }

  retry() {
    if (this.state === 'closed' || this.state === 'refused') return;
    this.setState('reconnecting');
    this.closePeer();
    clearTimeout(this.timers.retry);
    const wait = BACKOFF[Math.min(this.attempt++, BACKOFF.length - 1)];
    this.timers.retry = setTimeout(() => {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.offer();
      else this.openSocket();
    }, wait);
  }

  onMessage(m) {
    if (m.type === 'hello') {
      this.iceServers = m.ice_servers;
      this.offer();
    } else if (m.type === 'answer') {
      const pc = this.pc;
      if (!pc || pc.signalingState !== 'have-local-offer') return; // an answer to an offer since replaced
      pc.setRemoteDescription({ type: 'answer', sdp: m.sdp }).catch((err) => this.failed(String(err)));
    } else if (m.type === 'redirect') {
      this.redirect(m.server);
    } else if (m.type === 'slots') {
      this.speaker = m.speaker;
      this.chair = m.chair;
      for (const s of m.slots) if (this.slots[s.index]) this.slots[s.index].bridgePointId = s.bridge_point_id;
      this.emit('slots', this.slots);
    } else if (m.type === 'pause') {
      this.paused = { video: m.video, audio: m.audio };
      this.applyPause();
      this.emit('pause', this.paused);
    } else if (m.type === 'suggest_low_bandwidth') {
      this.emit('suggest', m);
    } else if (m.type === 'error') {
      this.refusal = { code: m.code, detail: m.detail };
      if (REFUSALS.includes(m.code)) {
        this.setState('refused', this.refusal);
        this.closePeer();
      } else this.emit('error', m.detail);
    }
  }

  failed(detail) {
    this.emit('error', detail);
    this.retry();
  }

  // ---- the peer connection ----
  async offer(here = false) {
    this.closePeer();
    const o = this.options;
    const pc = (this.pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: 'max-bundle' }));
    this.slots = [];
    for (let i = 0; i < o.slots; i++) {
      const slot = { index: i, bridgePointId: null, stream: new MediaStream() };
      for (const kind of o.console ? ['video'] : ['audio', 'video']) {
        // A clone per connection: pausing it leaves the camera preview running.
        const own = i === 0 && o.media ? o.media.getTracks().find((x) => x.kind === kind) : null;
        const track = own ? own.clone() : null;
        const tr = track
          ? pc.addTransceiver(track, { direction: 'sendrecv', streams: [o.media] })
          : pc.addTransceiver(kind, { direction: 'recvonly' });
        slot.stream.addTrack(tr.receiver.track);
      }
      this.slots.push(slot);
    }
    this.applyPause();
    pc.addEventListener('icecandidate', (e) => {
      const c = e.candidate;
      if (this.pc !== pc || (c && /\s[^\s]+\.local\s/.test(c.candidate))) return;
      const [candidate, sdpMid, sdpMLineIndex] = c ? [c.candidate, c.sdpMid, c.sdpMLineIndex] : ['', null, null];
      this.send({ type: 'candidate', candidate, sdpMid, sdpMLineIndex });
    });
    pc.addEventListener('connectionstatechange', () => this.onConnection(pc));
    try {
      await pc.setLocalDescription(await pc.createOffer());
    } catch (err) {
      return this.failed(String(err));
    }
    if (this.pc !== pc) return;
    this.send({
      type: 'offer',
      sdp: pc.localDescription.sdp,
      bridge_point_id: o.console ? null : o.bridgePointId,
      console: o.console,
      low_bandwidth: o.lowBandwidth,
      redirected: this.relay !== null || here,
    });
    clearTimeout(this.timers.answer);
    this.timers.answer = setTimeout(() => {
      if (this.pc !== pc || pc.signalingState !== 'have-local-offer' || !this.ws) return;
      const dead = this.ws;
      this.ws = null;
      dead.close();
      this.retry();
    }, ANSWER_WITHIN);
    this.emit('slots', this.slots);
  }

  onConnection(pc) {
    if (this.pc !== pc) return;
    const s = pc.connectionState;
    clearTimeout(this.timers.grace);
    if (s === 'connected') {
      this.attempt = 0;
      this.unreachable = null;
      this.setState('connected');
    } else if (s === 'failed') {
      this.retry();
    } else if (s === 'disconnected') {
      this.setState('reconnecting');
      this.timers.grace = setTimeout(() => this.pc === pc && this.retry(), DISCONNECTED_GRACE);
    }
  }

  closePeer() {
    if (!this.pc) return;
    const pc = this.pc;
    this.pc = null;
    this.prevStats = null;
    for (const tr of pc.getTransceivers()) if (tr.sender.track) tr.sender.track.stop();
    pc.close();
  }

  mute(kind, on) {
    this.muted[kind] = on;
    this.applyPause();
  }

  // Send nothing (a disabled track) of what nobody receives or the user muted; the preview goes on.
  applyPause() {
    if (!this.pc) return;
    for (const tr of this.pc.getTransceivers()) {
      const track = tr.sender.track;
      if (track) track.enabled = !this.paused[track.kind] && !this.muted[track.kind];
    }
  }

  // ---- connection quality ----
  async measure() {
    const pc = this.pc;
    if (!pc || pc.connectionState !== 'connected') return;
    const report = await pc.getStats();
    const now = { at: performance.now(), sent: 0, received: 0, lost: 0, packets: 0, frames: 0, rtt: null };
    report.forEach((s) => {
      if (s.type === 'outbound-rtp') now.sent += s.bytesSent || 0;
      else if (s.type === 'inbound-rtp') {
        now.received += s.bytesReceived || 0;
        now.lost += Math.max(s.packetsLost || 0, 0);
        now.packets += s.packetsReceived || 0;
        if (s.kind === 'video') now.frames += s.framesDecoded || 0;
      } else if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        if (pair && pair.currentRoundTripTime !== undefined) now.rtt = pair.currentRoundTripTime;
      }
    });
    const prev = this.prevStats;
    this.prevStats = now;
    if (!prev || this.pc !== pc) return;
    const seconds = (now.at - prev.at) / 1000;
    const packets = now.packets - prev.packets + (now.lost - prev.lost);
    const loss = packets > 0 ? Math.max(now.lost - prev.lost, 0) / packets : null;
    this.quality = {
      rtt: now.rtt,
      loss,
      sendBps: (8 * (now.sent - prev.sent)) / seconds,
      receiveBps: (8 * (now.received - prev.received)) / seconds,
      framesDecoded: now.frames,
      verdict: judge(loss, now.rtt),
    };
    this.emit('quality', this.quality);
  }
}
