// The live session's state in the browser: the snapshot's `state`, advanced by each event.
// A mirror of meetings/live_state.py (`apply` and its folds); keys of maps are strings, as in the JSON.

const MEMBER_ROLES = new Set(['chair', 'delegate']);

export function memberIds(state) {
  return Object.entries(state.members || {})
    .filter(([, role]) => MEMBER_ROLES.has(role))
    .map(([id]) => id);
}

export function quorum(state) {
  const members = memberIds(state);
  const present = members.filter((id) => id in (state.checked_in || {})).length;
  const needed = (state.body || '').includes('HĐND')
    ? Math.ceil((members.length * 2) / 3)
    : Math.floor(members.length / 2) + 1;
  return { members: members.length, present, needed, reached: members.length > 0 && present >= needed };
}

function setSpeaker(state, requestId, status) {
  for (const s of state.speakers) if (s.id === requestId) s.status = status;
}

const FOLDS = {
  'meeting.status_changed'(s, seq, p) {
    s.status = p.to;
    if (p.to !== 'live') {
      s.paused = false;
      s.floor = null;
    }
  },
  'live.paused'(s) {
    s.paused = true;
  },
  'live.resumed'(s) {
    s.paused = false;
  },
  'live.item'(s, seq, p) {
    s.item_id = p.item_id;
    s.item_title = p.title || '';
  },
  'live.presenter'(s, seq, p) {
    s.presenter = { ...p, seq };
  },
  'live.checkin'(s, seq, p, at) {
    if (p.present) s.checked_in[String(p.person_id)] = at;
    else delete s.checked_in[String(p.person_id)];
  },
  'live.headcount'(s, seq, p) {
    s.headcounts[String(p.bridge_point_id)] = p.count;
  },
  'live.speak_requested'(s, seq, p, at) {
    s.speakers.push({
      id: seq,
      person_id: p.person_id,
      bridge_point_id: p.bridge_point_id,
      topic: p.topic || '',
      requested_at: at,
      status: 'waiting',
    });
  },
  'live.speak_withdrawn'(s, seq, p) {
    setSpeaker(s, p.request_id, 'withdrawn');
  },
  'live.speak_ordered'(s, seq, p) {
    const rank = new Map(p.request_ids.map((id, i) => [id, i]));
    const waiting = s.speakers
      .filter((x) => x.status === 'waiting')
      .sort((a, b) => (rank.get(a.id) ?? rank.size) - (rank.get(b.id) ?? rank.size));
    s.speakers = [...s.speakers.filter((x) => x.status !== 'waiting'), ...waiting];
  },
  'live.floor_granted'(s, seq, p, at) {
    if (s.floor) setSpeaker(s, s.floor.request_id, 'done');
    setSpeaker(s, p.request_id, 'speaking');
    s.floor = {
      request_id: p.request_id,
      person_id: p.person_id,
      bridge_point_id: p.bridge_point_id,
      granted_at: at,
      limit_seconds: p.limit_seconds,
    };
  },
  'live.floor_ended'(s, seq, p) {
    setSpeaker(s, p.request_id, 'done');
    s.floor = null;
  },
  'poll.opened'(s, seq, p) {
    s.polls[String(seq)] = {
      id: seq,
      question: p.question,
      options: [...p.options],
      secret: p.secret,
      rule: p.rule,
      changeable: p.changeable,
      item_id: p.item_id ?? null,
      status: 'open',
      ballots: {},
      result: null,
      turnout: 0,
    };
  },
  'poll.ballot'(s, seq, p) {
    const poll = s.polls[String(p.poll_id)];
    poll.ballots[String(p.person_id)] = p.choice;
    poll.turnout = Object.keys(poll.ballots).length;
  },
  'poll.closed'(s, seq, p) {
    const poll = s.polls[String(p.poll_id)];
    poll.status = 'closed';
    poll.result = p.result;
  },
  'live.conclusion'(s, seq, p, at) {
    s.conclusions.push({ seq, item_id: p.item_id, text: p.text, at });
  },
};

// Fold one event into the state (events of other kinds only advance `seq`), as live_state.apply does.
export function applyEvent(state, seq, kind, payload, at) {
  state.seq = seq;
  const fold = FOLDS[kind];
  if (fold) fold(state, seq, payload, at);
  state.quorum = quorum(state);
}

// Helpers the screens share.
export function openPoll(state) {
  return Object.values(state.polls || {}).find((p) => p.status === 'open') || null;
}

export function lastClosedPoll(state) {
  const closed = Object.values(state.polls || {}).filter((p) => p.status === 'closed');
  return closed.length ? closed[closed.length - 1] : null;
}

export function activeRequest(state, { personId, bridgePointId }) {
  return (
    (state.speakers || []).find(
      (s) =>
        ['waiting', 'speaking'].includes(s.status) &&
        (bridgePointId != null ? s.bridge_point_id === bridgePointId : s.person_id === personId && !s.bridge_point_id),
    ) || null
  );
}
