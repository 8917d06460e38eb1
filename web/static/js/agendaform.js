// The form of one agenda item (add or edit): its title, its presenter — picked among the meeting's
// participants, or any name typed as it should be printed —, its time box. The API's reason shows inline.
import { t } from './i18n.js';
import { field, h, patch } from './ui.js';

// The participants as presenter options, `chosen` (a person id) selected; the first option picks nobody.
function fillPresenters(select, people, chosen) {
  select.replaceChildren(
    h('option', { value: '', i18n: 'agenda.presenterNone' }),
    ...people.map((p) =>
      h('option', {
        value: p.person_id,
        text: `${p.full_name} · ${t(`mrole.${p.role}`)}`,
        selected: p.person_id === chosen,
      }),
    ),
  );
}

// `people()`: the meeting's participants now.
export function itemForm(values, people, submitKey, onSubmit, onCancel) {
  const title = h('input', { type: 'text', maxLength: 500, value: values.title || '', 'data-key': 'item-title' });
  const presenter = h('input', { type: 'text', maxLength: 255, value: values.presenter || '' });
  const pick = h('select', {});
  fillPresenters(pick, people(), values.presenter_person_id ?? null);
  pick.addEventListener('change', () => {
    const chosen = people().find((p) => String(p.person_id) === pick.value);
    if (chosen) presenter.value = chosen.full_name;
  });
  const minutes = h('input', {
    type: 'number',
    min: 1,
    max: 1440,
    inputmode: 'numeric',
    value: values.time_box_minutes ?? '',
  });
  const error = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  const fail = (lines) =>
    patch(error, h('p', { class: 'notice notice-error', role: 'alert', text: lines.join(' — ') }));
  const form = h(
    'form',
    { class: 'agenda-form', noValidate: true },
    h(
      'div',
      { class: 'agenda-form-fields' },
      field('agenda.itemTitle', title),
      field('agenda.timeBox', minutes),
      h(
        'div',
        { class: 'presenter-fields' },
        field('agenda.presenterPick', pick),
        field('agenda.presenter', presenter),
      ),
    ),
    error,
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary btn-small', i18n: submitKey }),
      onCancel
        ? h('button', { type: 'button', class: 'btn btn-small', i18n: 'prep.cancel', on: { click: onCancel } })
        : null,
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!title.value.trim()) {
      fail([t('agenda.needTitle')]);
      title.focus();
      return;
    }
    const body = {
      title: title.value.trim(),
      presenter: presenter.value.trim(),
      presenter_person_id: pick.value ? Number(pick.value) : null,
      time_box_minutes: minutes.value ? Number(minutes.value) : null,
    };
    try {
      await onSubmit(body);
      patch(error);
    } catch (err) {
      fail([err.detail || String(err), ...(err.fieldErrors || [])]);
    }
  });
  form.focusTitle = () => title.focus();
  form.refreshPeople = () => fillPresenters(pick, people(), pick.value ? Number(pick.value) : null);
  return form;
}
