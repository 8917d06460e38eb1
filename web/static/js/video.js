// MEDIA: the call's video lands here (rtc/: the chair's and the speaker's streams, last-N bridge points,
// camera and microphone of a bridge point). Until then a placeholder says what will show.
import { h } from './ui.js';

export function videoArea(labelKey, { lowBandwidth = false } = {}) {
  return h(
    'div',
    { class: `video-area${lowBandwidth ? ' video-low' : ''}`, 'data-slot': 'video' },
    h('div', { class: 'video-icon', 'aria-hidden': 'true' }),
    h('p', { class: 'video-title', i18n: labelKey }),
    h('p', { class: 'video-note', i18n: lowBandwidth ? 'video.lowNote' : 'video.note' }),
  );
}
