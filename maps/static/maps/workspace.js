/*
 * The department workspace: the queue most urgent first (to sign, overdue, due soon, in
 * hand, waiting on the command centre, recent replies), refreshed every 30 s, and the case
 * panel (panel.js) where the department signs, replies with photos, asks for an extension
 * or returns a misrouted case.
 */
(function () {
  'use strict';

  const CONFIG = JSON.parse(document.getElementById('map-config').textContent);
  const T = CONFIG.vocabulary.t;
  const { CasePanel, api, el, when, errorText } = window.UrbanPanel;
  const holder = document.getElementById('queue-sections');
  const status = document.getElementById('queue-status');
  let selected = null;
  const panel = new CasePanel(document.getElementById('case-panel'), CONFIG, {
    changed: () => load(),
    shown: (feature) => { selected = feature.id || feature.properties.id; mark(); },
    closed: () => { selected = null; mark(); },
  });

  const SECTIONS = [['to_sign', T.to_sign], ['overdue', T.overdue_list], ['due_soon', T.due_soon],
    ['in_hand', T.in_hand], ['waiting', T.waiting], ['recent', T.recent]];

  function mark() {
    holder.querySelectorAll('tr[data-id]').forEach((row) => {
      row.setAttribute('aria-selected', String(Number(row.dataset.id) === Number(selected)));
    });
  }

  function table(rows, name) {
    if (!rows.length) return el('p', { class: 'muted' }, T.empty_queue);
    return el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, T.case_title), el('th', {}, T.category), el('th', {}, T.state),
        el('th', {}, name === 'to_sign' ? T.sign_due : T.due), el('th', {}, T.address))),
      el('tbody', {}, rows.map((r) => el('tr', {
        dataset: { id: r.id }, tabindex: 0, class: (r.late_to_sign || r.overdue) && name !== 'recent' ? 'late' : '',
        onclick: () => panel.open(r.id), onkeydown: (e) => { if (e.key === 'Enter') panel.open(r.id); },
      },
      el('td', {}, el('button', { type: 'button', class: 'link' }, r.code),
        r.ticket_count ? el('span', { class: 'tag', title: T.tickets }, `12345×${r.ticket_count}`) : null),
      el('td', {}, r.category__name_zh || '—'),
      el('td', {}, CONFIG.vocabulary.states[r.state] || r.state,
        r.extension_requested_until ? el('div', { class: 'muted' }, `${T.extension_asked} ${when(r.extension_requested_until)}`) : null),
      el('td', {}, when(name === 'to_sign' ? r.sign_due_at : r.due_at),
        r.late_to_sign ? el('div', { class: 'error' }, T.sign_late) : null,
        r.overdue && name !== 'recent' && name !== 'to_sign' ? el('div', { class: 'error' }, T.overdue) : null),
      el('td', { class: 'description' }, r.address || r.description || '')))));
  }

  async function load() {
    const result = await api(`${CONFIG.api}map/queue/`);
    if (!result.ok) { status.textContent = errorText(result, T); return; }
    const data = result.data;
    const all = Object.assign({}, data.sections, { recent: data.recent });
    holder.replaceChildren(...SECTIONS.map(([name, title]) => el('section', { dataset: { section: name } },
      el('h2', {}, title, el('span', { class: 'tag' }, String(all[name].length))), table(all[name], name))));
    status.textContent = `${T.updated} ${when(data.now)}`;
    mark();
    document.body.dataset.ready = '1';
  }

  load();
  setInterval(load, 30000);
}());
