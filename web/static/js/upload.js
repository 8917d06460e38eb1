// A PDF upload with a visible progress bar: the bytes sent, then the server's check of the file, then the
// outcome — or the API's reason in words (not a PDF, password-protected, too large…). The box outlives the
// re-renders of the list it sits in, so the last outcome stays on screen.
import { upload } from './api.js';
import { t } from './i18n.js';
import { h, patch } from './ui.js';

// A file picker styled as a button; `onFile` gets the chosen file (the input is cleared for the next pick).
export function filePicker(textKey, label, onFile, key) {
  const input = h('input', {
    type: 'file',
    accept: 'application/pdf,.pdf',
    class: 'file-input',
    'aria-label': label,
    'data-key': key,
  });
  input.addEventListener('change', () => {
    const [file] = input.files;
    input.value = '';
    if (file) onFile(file);
  });
  return h('label', { class: 'btn btn-small file-btn' }, h('span', { i18n: textKey, 'aria-hidden': 'true' }), input);
}

export class UploadBox {
  constructor() {
    this.el = h('div', { class: 'upload-status', 'aria-live': 'polite', 'data-state': 'idle' });
  }

  // Send `file` (with the form `fields`) to `path`; the API's answer, or null after showing why it failed.
  async send(path, file, fields = {}) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined && value !== null && value !== '') form.append(name, String(value));
    }
    form.append('file', file);
    this.progress(file.name, 0, 1);
    try {
      const out = await upload(path, form, (sent, total) => this.progress(file.name, sent, total));
      this.show('done', h('p', { class: 'notice notice-ok', role: 'status', text: this.doneText(out) }), 100);
      return out;
    } catch (err) {
      const why = [err.detail || String(err), ...(err.fieldErrors || [])].join(' — ');
      this.show(
        'error',
        h('p', { class: 'notice notice-error', role: 'alert', text: t('upload.failed', { name: file.name, why }) }),
      );
      return null;
    }
  }

  doneText(out) {
    if (out.version > 1) {
      const changed = out.changed_pages.length ? out.changed_pages.join(', ') : t('upload.noPageChanged');
      return t('upload.versionDone', { title: out.title, v: out.version, n: out.pages, changed });
    }
    return t('upload.done', { title: out.title, n: out.pages });
  }

  progress(name, sent, total) {
    const pct = Math.min(100, Math.round((100 * sent) / Math.max(total, 1)));
    const checking = pct >= 100;
    this.show(
      checking ? 'checking' : 'sending',
      h('p', {
        class: 'upload-line',
        text: checking ? t('upload.checking', { name }) : t('upload.sending', { name, pct }),
      }),
      pct,
    );
  }

  show(state, message, pct = null) {
    this.el.dataset.state = state;
    const bar =
      pct === null
        ? null
        : h(
            'div',
            { class: 'upload-bar' },
            h('progress', {
              max: 100,
              value: pct,
              'aria-label': t('upload.progress'),
              'data-testid': 'upload-progress',
            }),
            h('span', { class: 'upload-pct', text: `${pct}%` }),
          );
    patch(this.el, bar, message);
  }
}
