/*
 * The department workspace: the queue most urgent first (to sign, overdue, due soon, in
 * hand, waiting on the command centre, recent replies), refreshed every 30 s, and the case
 * panel (panel.js) where the department signs, replies with photos, asks for an extension
 * or returns a misrouted case.
 */
(function () {
  'use strict';

  const CONFIG = JSON.parse(document.getElementById('map-config').textContent);
  const { api, el, when, errorText, LOCALE, caseInAddress } = window.UM;
  const ENGLISH = LOCALE.startsWith('en'); // the catalogue's names in English where it has them
  const { CasePanel } = window.UrbanPanel;
  const holder = document.getElementById('queue-sections');
  const status = document.getElementById('queue-status');
  const addressCase = document.getElementById('address-case'); // a ?case= that named no case the department sees
  let selected = null;
  const panelNode = document.getElementById('case-panel');
  const panel = new CasePanel(panelNode, CONFIG, {
    changed: () => load(),
    shown: (feature) => {
      selected = feature.id || feature.properties.id;
      caseInAddress(feature.properties.code);
      addressCase.hidden = true;
      mark();
      // On a phone the panel sits below the queue: bring it up.
      if (window.matchMedia('(max-width: 900px)').matches) panelNode.scrollIntoView({ block: 'start' });
    },
    closed: () => { selected = null; caseInAddress(null); mark(); },
  });

  const SECTIONS = [['to_sign', gettext('To sign (within 2 working hours)')], ['overdue', gettext('Overdue')], ['due_soon', gettext('Due soon')],
    ['in_hand', gettext('In hand')], ['waiting', gettext('Waiting for the command centre')], ['recent', gettext('Recently replied')]];

  function mark() {
    holder.querySelectorAll('tr[data-id]').forEach((row) => {
      row.setAttribute('aria-selected', String(Number(row.dataset.id) === Number(selected)));
    });
  }

  /* Where the case is: its address, else the grid's street and community. */
  function place(r) {
    if (r.address) return r.address;
    const parts = [r.street__name, r.community__name, r.grid__code].filter(Boolean);
    if (!parts.length) return '—';
    // Each name kept whole (花果山四社区 is not cut after 四), the line broken between them.
    return parts.flatMap((part, i) => [i ? ' · ' : null, el('span', { class: 'whole' }, part)]).filter(Boolean);
  }

  /* One row per case; on a phone the cells stack, each under its heading (data-label). */
  function table(rows, name) {
    if (!rows.length) return el('p', { class: 'muted' }, gettext('Nothing here.'));
    // The time that matters to each section: to sign by, the deadline, or when the reply went.
    const moment = { to_sign: [gettext('To sign by'), 'sign_due_at'], recent: [gettext('Replied at'), 'handled_at'] }[name]
      || [gettext('Deadline'), 'due_at'];
    const heads = [gettext('Case'), gettext('Category'), gettext('State'), moment[0], gettext('Address'), gettext('Description')];
    const cell = (i, attrs, ...content) => el('td', Object.assign({ dataset: { label: heads[i] } }, attrs), ...content);
    return el('table', { class: 'queue-table stacked' },
      el('thead', {}, el('tr', {}, heads.map((h) => el('th', {}, h)))),
      el('tbody', {}, rows.map((r) => el('tr', {
        dataset: { id: r.id }, tabindex: 0, class: (r.late_to_sign || r.overdue) && name !== 'recent' ? 'late' : '',
        onclick: () => panel.open(r.id), onkeydown: (e) => { if (e.key === 'Enter') panel.open(r.id); },
      },
      cell(0, {}, el('button', { type: 'button', class: 'link' }, r.code),
        r.ticket_count ? el('span', { class: 'tag', title: gettext('12345 tickets') }, `12345×${r.ticket_count}`) : null),
      cell(1, { class: 'category' }, (ENGLISH && r.category__name_en) || r.category__name_zh || '—'),
      cell(2, { class: 'state' }, CONFIG.choices.states[r.state] || r.state,
        r.extension_requested_until ? el('div', { class: 'muted' }, `${gettext('Extension asked until')} ${when(r.extension_requested_until)}`) : null),
      cell(3, { class: 'when' }, when(r[moment[1]]),
        r.late_to_sign ? el('div', { class: 'error' }, gettext('late to sign')) : null,
        r.overdue && name !== 'recent' && name !== 'to_sign' ? el('div', { class: 'error' }, gettext('overdue')) : null),
      cell(4, { class: 'address' }, ...[place(r)].flat()),
      cell(5, { class: 'description', title: r.description || null }, r.description || '')))));
  }

  async function load() {
    const result = await api(`${CONFIG.api}map/queue/`);
    if (!result.ok) { status.textContent = errorText(result); return; }
    const data = result.data;
    const all = Object.assign({}, data.sections, { recent: data.recent });
    holder.replaceChildren(...SECTIONS.map(([name, title]) => el('section', { dataset: { section: name } },
      el('h2', {}, title, el('span', { class: 'tag' }, String(all[name].length))), table(all[name], name))));
    status.textContent = `${gettext('Updated at')} ${when(data.now)}`;
    mark();
    document.body.dataset.ready = '1';
  }

  /* A link to a case (a supervision notice's, ?case=<code>) opens its panel: the case by its
   * number among those the department may see. */
  async function openFromAddress() {
    const code = (new URLSearchParams(location.search).get('case') || '').trim();
    if (!code) return;
    const result = await api(`${CONFIG.api}map/find/?q=${encodeURIComponent(code)}`);
    const found = result.ok ? result.data.cases.filter((c) => c.exact) : [];
    if (found.length === 1) { panel.open(found[0].id); return; }
    addressCase.textContent = result.ok ? interpolate(gettext('Nothing numbered %s.'), [code]) : errorText(result);
    addressCase.hidden = false;
  }

  load();
  openFromAddress();
  setInterval(load, 30000);
}());
