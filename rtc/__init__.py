"""rtc: the media relay (see DESIGN.md §5) — forwarding, no transcoding.

Pure cores (no I/O, no aiortc): ``rtp`` (RTP/RTCP values), ``payload`` (VP8/H.264/audio level, read without
decoding), ``source`` (a publisher's track at the relay), ``leg`` (one subscriber slot's rewritten stream),
``keyframes`` (PLI upstream, merged and throttled), ``floor`` (who receives what; last-N; "auto"),
``cascade`` (relay tree planning), ``stats``.
The edge: ``aiortc_hook`` (the one module touching aiortc internals), ``relay`` (rooms and peers),
``service`` (admission and the floor fed from the live log), ``signaling`` (the WebSocket endpoint),
``schema`` (its messages), ``config``, ``errors``, and ``agent`` (``cauhop-agent``).
"""
