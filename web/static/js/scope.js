// The scope picker over the unit tree: the province's own bridge points, the district level and the
// communes — for the whole province or district by district — plus bridge points picked one by one.
// It produces the API's scope ({rules: [{under_unit_id, level}], bridge_point_ids}) and counts what that
// scope resolves to with the same rule as meetings/scope.py (the server's answer stays authoritative).
import { onLangChange, t } from './i18n.js';
import { h, patch } from './ui.js';

export class UnitIndex {
  constructor(units) {
    this.byId = new Map(units.map((u) => [u.id, u]));
    this.children = new Map();
    for (const u of units) {
      if (!this.children.has(u.parent_id)) this.children.set(u.parent_id, []);
      this.children.get(u.parent_id).push(u.id);
    }
    this.root =
      units.find((u) => u.parent_id === null && u.level === 'province') || units.find((u) => u.parent_id === null);
  }

  subtree(id) {
    const out = new Set();
    const stack = [id];
    while (stack.length) {
      const current = stack.pop();
      if (out.has(current) || !this.byId.has(current)) continue;
      out.add(current);
      stack.push(...(this.children.get(current) || []));
    }
    return out;
  }

  // The district (a child of the root at district level) a unit belongs to, or null for province units.
  districtOf(unitId) {
    let unit = this.byId.get(unitId);
    while (unit && unit.parent_id !== null) {
      if (unit.level === 'district' && unit.parent_id === this.root.id) return unit;
      unit = this.byId.get(unit.parent_id);
    }
    return null;
  }

  districts() {
    return (this.children.get(this.root.id) || []).map((id) => this.byId.get(id)).filter((u) => u.level === 'district');
  }
}

export function resolveScope(index, bridgePoints, scope) {
  const chosen = new Set(scope.bridge_point_ids || []);
  for (const rule of scope.rules || []) {
    const units = index.subtree(rule.under_unit_id);
    for (const bp of bridgePoints) {
      if (units.has(bp.unit_id) && (!rule.level || index.byId.get(bp.unit_id).level === rule.level)) chosen.add(bp.id);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

const LEVELS = ['province', 'district', 'commune'];

export class ScopePicker {
  constructor(index, bridgePoints) {
    this.index = index;
    this.bridgePoints = bridgePoints;
    this.listeners = [];
    this.explicit = new Set();
    this.rows = index.districts().map((d) => ({ unit: d, district: null, commune: null }));
    this.el = this.build();
    onLangChange(() => this.refresh());
    this.refresh();
  }

  onChange(fn) {
    this.listeners.push(fn);
  }

  count(unitId, level) {
    return resolveScope(this.index, this.bridgePoints, { rules: [{ under_unit_id: unitId, level }] }).length;
  }

  box(labelVars, key, onChange) {
    const input = h('input', {
      type: 'checkbox',
      'data-i18n-label': key,
      'data-i18n-vars': JSON.stringify(labelVars),
      'aria-label': t(key, labelVars),
    });
    input.addEventListener('change', () => {
      onChange(input.checked);
      this.refresh();
    });
    return input;
  }

  build() {
    const root = this.index.root;
    this.all = {};
    const toggles = LEVELS.map((level) => {
      const n = this.count(root.id, level);
      const input = h('input', { type: 'checkbox', id: `scope-all-${level}` });
      input.addEventListener('change', () => {
        if (level !== 'province') for (const row of this.rows) row[level].checked = input.checked;
        this.refresh();
      });
      this.all[level] = input;
      return h(
        'label',
        { class: 'scope-toggle', for: input.id },
        input,
        h('span', { class: 'scope-toggle-text', i18n: `scope.all.${level}` }),
        h('span', { class: 'scope-toggle-count', text: String(n) }),
      );
    });
    const body = this.rows.map((row) => {
      const name = row.unit.name;
      row.district = this.box({ name }, 'scope.row.district', () => {});
      row.commune = this.box({ name }, 'scope.row.commune', () => {});
      const cell = (input, level) =>
        h(
          'td',
          {},
          h('label', { class: 'scope-cell' }, input, h('span', { text: String(this.count(row.unit.id, level)) })),
        );
      return h(
        'tr',
        {},
        h('th', { scope: 'row', text: name }),
        cell(row.district, 'district'),
        cell(row.commune, 'commune'),
      );
    });
    const table = h(
      'table',
      { class: 'scope-table' },
      h('caption', { i18n: 'scope.byDistrict' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', i18n: 'scope.col.district' }),
          h('th', { scope: 'col', i18n: 'scope.col.districtLevel' }),
          h('th', { scope: 'col', i18n: 'scope.col.communes' }),
        ),
      ),
      h('tbody', {}, body),
    );
    this.search = h('input', {
      type: 'search',
      id: 'scope-search',
      autocomplete: 'off',
      'data-i18n-placeholder': 'scope.search.placeholder',
      placeholder: t('scope.search.placeholder'),
    });
    this.results = h('ul', { class: 'scope-results', 'aria-live': 'polite' });
    this.chips = h('ul', { class: 'chips', 'data-i18n-label': 'scope.explicit', 'aria-label': t('scope.explicit') });
    this.search.addEventListener('input', () => this.renderResults());
    this.summary = h('p', { class: 'scope-summary', 'aria-live': 'polite', id: 'scope-summary' });
    return h(
      'fieldset',
      { class: 'scope' },
      h('legend', { i18n: 'scope.legend' }),
      h('div', { class: 'scope-toggles' }, toggles),
      h('details', { class: 'scope-districts' }, h('summary', { i18n: 'scope.perDistrict' }), table),
      h(
        'div',
        { class: 'field scope-pick' },
        h('label', { for: this.search.id, i18n: 'scope.search' }),
        this.search,
        this.results,
        this.chips,
      ),
      this.summary,
    );
  }

  renderResults() {
    const q = this.search.value.trim().toLocaleLowerCase('vi');
    const hits =
      q.length < 2
        ? []
        : this.bridgePoints
            .filter(
              (bp) =>
                !this.explicit.has(bp.id) &&
                `${bp.name} ${bp.code} ${bp.unit_name}`.toLocaleLowerCase('vi').includes(q),
            )
            .slice(0, 8);
    patch(
      this.results,
      hits.map((bp) =>
        h(
          'li',
          {},
          h('button', {
            type: 'button',
            class: 'btn btn-small',
            'data-key': `add-${bp.id}`,
            text: `+ ${bp.name} · ${bp.unit_name}`,
            on: {
              click: () => {
                this.explicit.add(bp.id);
                this.renderResults();
                this.refresh();
              },
            },
          }),
        ),
      ),
    );
  }

  refresh() {
    for (const level of ['district', 'commune']) {
      const checked = this.rows.filter((r) => r[level].checked).length;
      this.all[level].checked = checked === this.rows.length && checked > 0;
      this.all[level].indeterminate = checked > 0 && checked < this.rows.length;
    }
    const byId = new Map(this.bridgePoints.map((bp) => [bp.id, bp]));
    patch(
      this.chips,
      [...this.explicit].map((id) =>
        h(
          'li',
          { class: 'chip' },
          h('span', { text: byId.get(id).name }),
          h('button', {
            type: 'button',
            class: 'chip-remove',
            'aria-label': t('scope.remove', { name: byId.get(id).name }),
            text: '×',
            on: {
              click: () => {
                this.explicit.delete(id);
                this.refresh();
              },
            },
          }),
        ),
      ),
    );
    const ids = this.resolved();
    const levels = Object.fromEntries(LEVELS.map((l) => [l, 0]));
    for (const id of ids) levels[this.index.byId.get(byId.get(id).unit_id).level] += 1;
    patch(
      this.summary,
      h('strong', { class: 'scope-total', 'data-testid': 'scope-count', text: String(ids.length) }),
      ' ',
      h('span', { text: t('scope.total') }),
      h('span', { class: 'scope-breakdown', text: t('scope.breakdown', levels) }),
    );
    for (const fn of this.listeners) fn(ids);
  }

  value() {
    const root = this.index.root.id;
    const rules = [];
    if (this.all.province.checked) rules.push({ under_unit_id: root, level: 'province' });
    for (const level of ['district', 'commune']) {
      if (this.all[level].checked) rules.push({ under_unit_id: root, level });
      else for (const row of this.rows) if (row[level].checked) rules.push({ under_unit_id: row.unit.id, level });
    }
    return { rules, bridge_point_ids: [...this.explicit].sort((a, b) => a - b) };
  }

  resolved() {
    return resolveScope(this.index, this.bridgePoints, this.value());
  }
}
