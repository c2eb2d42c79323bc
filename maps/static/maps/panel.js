/*
 * The case panel, shared by the dispatch map and the department workspace: the case, its
 * photos, its history, its linked 12345 tickets and video candidates, the suggested
 * department, and every step of the closed loop the user may take — each a POST with the
 * version of the case the user saw. A stale version is shown as a conflict and nothing is
 * overwritten. Every text from the server goes in as text (never as HTML).
 */
(function () {
  'use strict';

  const { el, api, errorText, when, reveal, LOCALE } = window.UM;
  const ENGLISH = LOCALE.startsWith('en');

  /* States in which the department is still to be chosen (the register's suggestion helps). */
  const DISPATCHABLE = ['reported', 'filed', 'returned'];

  /* Fields of the forms that are not sent as they are. */
  const LOCAL_FIELDS = ['photos', 'category_search'];

  /* What each step asks for. */
  const FORMS = {
    file: ['category', 'reason?'],
    reject: ['reason_code', 'reason'],
    request_verification: ['reason?'],
    void: ['reason'],
    dispatch: ['department', 'reason?'],
    sign: [],
    return: ['reason'],
    approve_return: ['reason?'],
    deny_return: ['reason'],
    request_extension: ['days', 'reason'],
    approve_extension: ['reason?'],
    deny_extension: ['reason'],
    handle: ['reply', 'photos'],
    send_for_check: ['reason?'],
    close: ['reason?'],
    suspend: ['reason'],
    resume: ['reason?'],
  };

  /* A field's label; the reject form's free text is the explanation of the reason chosen. */
  function fieldLabel(field, fields) {
    switch (field) {
      case 'reason': return fields.includes('reason_code') ? gettext('Explanation') : gettext('Reason');
      case 'reason_code': return gettext('Rejection reason');
      case 'reply': return gettext('What was done');
      case 'department': return gettext('Department');
      case 'category': return gettext('Category');
      case 'days': return gettext('Working days');
      case 'photos': return gettext('Photos after handling');
      default: return field;
    }
  }

  /* Events of the history that are no step a user takes (so not among the choices' actions). */
  /* Doubts the server found about a photo when it was stored (collectors_app/evidence.py). */
  function doubtLabel(flag) {
    switch (flag) {
      case 'exif_gps_far': return gettext('taken far from the reported place (by its EXIF position)');
      case 'exif_time_off': return gettext('taken long before or after it was sent (by its EXIF time)');
      case 'photo_used_before': return gettext('the same photo is already in another case');
      default: return flag;
    }
  }

  /* A category's name, and its major class's, in the page's language where the catalogue has it. */
  function categoryName(k) { return (ENGLISH && k.name_en) || k.name_zh; }
  function majorName(k) { return (ENGLISH && k.major__name_en) || k.major__name_zh; }
  /* A major class's heading with its family (部件 · 市容环境, 事件 · 市容环境): both families
   * have majors of the same name, which one list would otherwise merge or show twice alike. */
  function majorLabel(k, families) { return `${(families || {})[k.family] || k.family} · ${majorName(k)}`; }

  function CasePanel(root, config, hooks) {
    this.root = root;
    this.config = config;
    this.V = config.choices;
    this.hooks = hooks || {};
    this.current = null;
  }

  CasePanel.prototype.close = function () {
    this.current = null;
    this.root.hidden = true;
    this.root.replaceChildren();
    if (this.hooks.closed) this.hooks.closed();
  };

  CasePanel.prototype.open = async function (id) {
    this.root.hidden = false;
    this.root.replaceChildren(el('p', { class: 'muted' }, gettext('Loading…')));
    // In a narrow window the panel comes below the map (maps.css): bring it into view.
    if (this.root.getBoundingClientRect().top > window.innerHeight / 2) this.root.scrollIntoView({ block: 'start' });
    const result = await api(`${this.config.api}cases/${id}/`);
    if (!result.ok) {
      this.root.replaceChildren(this.header(null), el('p', { class: 'error', role: 'alert' }, errorText(result)));
      return;
    }
    this.show(result.data);
  };

  CasePanel.prototype.header = function (caseData) {
    return el('div', { class: 'panel-head' },
      el('h2', { id: 'panel-title' }, caseData ? caseData.properties.code : gettext('Case')),
      el('button', { type: 'button', class: 'close', 'aria-label': gettext('Close the panel'), onclick: () => this.close() }, '×'));
  };

  CasePanel.prototype.show = function (feature, notice) {
    const V = this.V;
    const c = feature.properties;
    c.id = c.id || feature.id;
    this.current = feature;
    const body = el('div', { class: 'panel-body' },
      notice ? el('p', { class: 'notice', role: 'status' }, notice) : null,
      el('p', { class: 'description', dataset: { field: 'description' } }, c.description || '—'),
      el('dl', { class: 'facts' }, this.facts(c).map(([k, v, field]) => [el('dt', {}, k), el('dd', { dataset: { field: field || '' } }, v)])),
      this.doubts(c.media || []),
      this.photos(c.media || []),
      // Its place kept while the suggestion loads: the steps below must not jump as they are clicked.
      el('section', { class: 'suggested', 'aria-live': 'polite' }, this.suggests(c)
        ? [el('h3', {}, gettext('Suggested department (ownership register)')), el('p', { class: 'muted' }, gettext('Loading…'))] : []),
      el('section', { class: 'actions' }, el('h3', {}, gettext('Next steps')), this.actionButtons(c)),
      el('section', { class: 'tickets' }, el('h3', {}, gettext('Linked 12345 tickets')), el('p', { class: 'muted' }, gettext('Loading…'))),
      el('section', { class: 'candidates' }, el('h3', {}, gettext('Video candidates')), el('p', { class: 'muted' }, gettext('Loading…'))),
      this.history(c.events || []));
    this.root.replaceChildren(this.header(feature), body);
    this.root.hidden = false;
    if (notice) body.firstChild.scrollIntoView({ block: 'nearest' }); // "Saved." where the form was submitted
    this.loadSuggested(c);
    this.loadTickets(c);
    this.loadCandidates(c);
    if (this.hooks.shown) this.hooks.shown(feature);
  };

  /* [label, value, data-field] of the case: where, who, and its times on the city's clocks. */
  CasePanel.prototype.facts = function (c) {
    const V = this.V;
    const facts = [
      [gettext('State'), V.states[c.state] || c.state, 'state'],
      [gettext('Channel'), V.channels[c.channel] || c.channel],
      [gettext('Category'), this.categoryOf(c) || '—', 'category'],
      [gettext('Place'), [c.street, c.community, c.grid].filter(Boolean).join(' · ')],
      [gettext('Address'), c.address || '—', 'address'],
      [gettext('Department'), this.departmentOf(c) || '—', 'department'],
      [gettext('Reported at'), when(c.reported_at), 'reported'],
    ];
    if (c.dispatched_at && c.department) { // (a return approved takes the case from its department)
      facts.push([gettext('Dispatched at'), when(c.dispatched_at), 'dispatched']);
      facts.push([gettext('Signed for'), c.signed_at ? interpolate(gettext('signed at %s'), [when(c.signed_at)])
        : interpolate(gettext('not yet; sign by %s'), [when(c.sign_due_at)]), 'signed']);
    }
    facts.push([gettext('Deadline'), c.overdue ? interpolate(gettext('%s (overdue)'), [when(c.due_at)]) : when(c.due_at), 'deadline']);
    if (c.original_due_at && c.due_at && c.original_due_at !== c.due_at) {
      facts.push([gettext('Deadline before the extension'), when(c.original_due_at), 'original-deadline']);
    }
    if (c.extension_requested_until) facts.push([gettext('Extension asked until'), when(c.extension_requested_until), 'extension']);
    if (c.handled_at) facts.push([gettext('Replied at'), when(c.handled_at), 'handled']);
    if (c.checked_at) facts.push([gettext('Checked at'), when(c.checked_at), 'checked']);
    if (c.closed_at) facts.push([gettext('Closed at'), when(c.closed_at), 'closed']);
    if (c.rejected_at) facts.push([gettext('Rejected at'), when(c.rejected_at), 'rejected']);
    facts.push([gettext('12345 tickets'), String(c.ticket_count || 0), 'tickets']);
    const changed = lastChange(c.events || []);
    if (changed) facts.push([gettext('Last changed'), when(changed), 'changed']);
    if (c.reject_reason) facts.push([gettext('Rejection reason'), V.reject_reasons[c.reject_reason] || c.reject_reason]);
    if (c.reply) facts.push([gettext('Department reply'), c.reply, 'reply']);
    return facts;
  };

  /* When the case last changed (the time of its latest step), or null. */
  function lastChange(events) {
    const times = events.map((e) => e.at).filter(Boolean);
    return times.length ? times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a)) : null;
  }

  /* The case's category and department by their names in the page's language. */
  CasePanel.prototype.categoryOf = function (c) {
    const k = this.V.categories.find((x) => x.service_code === c.category);
    return k ? categoryName(k) : c.category_name;
  };
  CasePanel.prototype.departmentOf = function (c) {
    const d = this.V.departments.find((x) => x.code === c.department);
    return d ? (ENGLISH && d.name_en) || d.name : c.department_name;
  };

  /* What the server doubted about the photos: staff decide, the panel says it plainly. */
  CasePanel.prototype.doubts = function (media) {
    const doubted = media.map((m, i) => [i + 1, m]).filter(([, m]) => (m.flags || []).length);
    if (!doubted.length) return null;
    return el('section', { class: 'doubts', role: 'note' }, el('h3', {}, gettext('Doubts about the photos')),
      el('ul', {}, doubted.map(([n, m]) => el('li', {},
        interpolate(gettext('Photo %s, %s: %s'), [n, this.V.media_kinds[m.kind] || m.kind, m.flags.map(doubtLabel).join(gettext('; '))]),
        this.samePhotoIn(m)))));
  };

  /* The cases a photo used before is already in, each a link that opens it here. */
  CasePanel.prototype.samePhotoIn = function (m) {
    const others = m.same_photo_in || [];
    if (!others.length) return null;
    const links = others.flatMap((o, i) => [i ? gettext(', ') : null, el('a', {
      href: `?case=${o.id}`, dataset: { case: o.id },
      onclick: (e) => { e.preventDefault(); this.open(o.id); } }, o.code)]).filter(Boolean);
    return el('div', { class: 'muted', dataset: { field: 'same-photo' } }, gettext('Already in: '), ...links);
  };

  CasePanel.prototype.photos = function (media) {
    if (!media.length) return el('p', { class: 'muted' }, gettext('No photos.'));
    const kinds = this.V.media_kinds;
    return el('div', { class: 'photos' }, media.map((m, i) => el('a', {
      href: m.display || m.file, target: '_blank', rel: 'noopener', class: (m.flags || []).length ? 'doubted' : '' },
    el('img', { src: m.thumbnail || m.display || m.file, alt: `${gettext('Photo')} ${i + 1} (${kinds[m.kind] || m.kind})`, loading: 'lazy' }),
    el('span', { class: 'kind' }, `${i + 1} · ${kinds[m.kind] || m.kind}${(m.flags || []).length ? ' ⚠' : ''}`))));
  };

  CasePanel.prototype.history = function (events) {
    const V = this.V;
    return el('section', { class: 'history' }, el('h3', {}, gettext('History')),
      el('ol', { class: 'timeline' }, events.map((e) => el('li', {},
        el('time', {}, when(e.at)), ' ',
        el('strong', {}, V.events[e.action] || e.action), ' ',
        e.actor ? el('span', { class: 'muted', dataset: { field: 'actor' } },
          e.actor_name || e.actor, e.actor_role ? ` · ${V.roles[e.actor_role] || e.actor_role}` : '') : null,
        e.to_state && e.to_state !== e.from_state
          ? [' → ', el('span', { class: 'tag' }, V.states[e.to_state] || e.to_state)] : null,
        this.categoryChange(e.payload),
        e.reason || (e.payload && e.payload.reply)
          ? el('div', { class: 'reason' }, e.reason || e.payload.reply) : null))));
  };

  /* "Category: A → B" for a step that changed it (filing, re-categorising), else null. */
  CasePanel.prototype.categoryChange = function (payload) {
    if (!payload || !payload.service_code || !('from_service_code' in payload)) return null;
    const name = (code) => {
      const k = this.V.categories.find((x) => x.service_code === code);
      return k ? categoryName(k) : (code || '—');
    };
    return el('div', { class: 'change', dataset: { field: 'category-change' } },
      interpolate(gettext('Category: %s → %s'), [name(payload.from_service_code), name(payload.service_code)]));
  };

  /* Whether the panel suggests a department for case `c`: only while one is still to be chosen
   * (once dispatched, it would contradict the panel), and not in a department's workspace. */
  CasePanel.prototype.suggests = function (c) {
    return !this.config.workspace && DISPATCHABLE.includes(c.state);
  };

  CasePanel.prototype.loadSuggested = async function (c) {
    const box = this.root.querySelector('.suggested');
    if (!box || !this.suggests(c)) return;
    const result = await api(`${this.config.api}cases/${c.id}/suggested-department/`);
    if (this.current === null || this.current.properties.id !== c.id) return;
    if (!result.ok) { box.replaceChildren(); return; }
    // A department that sent the case back as not its own is named, not chosen again for it.
    this.suggested = result.data.returned ? null : result.data.department;
    const named = result.data.department
      ? this.departmentOf({ department: result.data.department, department_name: result.data.name }) : null;
    box.replaceChildren(el('h3', {}, gettext('Suggested department (ownership register)')),
      el('p', { dataset: { field: 'suggested' } }, !named
        ? gettext('The register has no owner for this place and category.')
        : result.data.returned
          ? interpolate(gettext('The register names %s, which sent this case back as not its own: choose another department.'), [named])
          : named));
    const select = this.root.querySelector('select[name=department]');
    if (select && this.suggested && !select.dataset.touched) select.value = this.suggested;
  };

  CasePanel.prototype.loadTickets = async function (c) {
    const box = this.root.querySelector('.tickets');
    const result = await api(`${this.config.api}hotline/tickets/?case=${c.id}`);
    if (!box || this.current === null || this.current.properties.id !== c.id) return;
    const list = result.ok ? (result.data.results || result.data.features || result.data || []) : null;
    const rows = [];
    if (list === null) rows.push(el('p', { class: 'muted' }, result.status === 404 ? gettext('None.') : errorText(result)));
    else if (!list.length) rows.push(el('p', { class: 'muted' }, gettext('None.')));
    else {
      rows.push(el('ul', { class: 'ticket-list' }, list.map((t) => {
        const ticket = t.properties || t;
        return el('li', {},
          el('strong', {}, ticket.external_id || ticket.id), ' ',
          el('span', {}, ticket.title || ''), ' ',
          el('span', { class: 'muted' }, when(ticket.received_at)),
          el('div', { class: 'muted' }, this.linkReason(ticket)),
          this.mayLink('unlink', c) ? el('button', { type: 'button', class: 'small', onclick: () => this.unlink(ticket) }, gettext('Unlink')) : null);
      })));
    }
    if (this.mayLink('link', c)) {
      const input = el('input', { name: 'ticket', placeholder: gettext('Ticket number'), 'aria-label': gettext('Ticket number'), size: 12 });
      rows.push(el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); this.link(input.value.trim()); } },
        input, el('button', { type: 'submit', class: 'small' }, gettext('Link ticket'))));
    }
    box.replaceChildren(el('h3', {}, gettext('Linked 12345 tickets')), ...rows);
  };

  /* Whether the page's user may link (or unlink) a ticket on case `c` now: the step's roles
   * and states as the server gave them (maps/views.py, from steps.STEPS), the API's rule. */
  CasePanel.prototype.mayLink = function (action, c) {
    return ((this.config.ticket_steps || {})[action] || []).includes(c.state);
  };

  /* Why a ticket sits on this case: its own, or linked by distance, time, category, text. */
  CasePanel.prototype.linkReason = function (ticket) {
    if (ticket.owns_case) return gettext('the ticket\'s own case');
    const why = ticket.link_reason || {};
    const parts = [];
    if (why.manual || why.by) parts.push(gettext('linked by hand'));
    if (why.distance_m !== undefined) parts.push(interpolate(gettext('%s m apart'), [why.distance_m]));
    if (why.same_community) parts.push(gettext('same community (address only)'));
    if (why.hours_apart !== undefined) parts.push(interpolate(gettext('%s h apart'), [why.hours_apart]));
    if (why.category) parts.push(why.category === 'same' ? gettext('same category') : gettext('same major class'));
    if (why.similarity !== undefined) parts.push(interpolate(gettext('text similarity %s'), [why.similarity]));
    return parts.join(' · ');
  };

  /* Link the ticket the user typed: its number (as on the 12345 sheet), else its id. */
  CasePanel.prototype.link = async function (number) {
    if (!number) return;
    const c = this.current.properties;
    const found = await api(`${this.config.api}map/find/?q=${encodeURIComponent(number)}`);
    const ticket = found.ok ? found.data.tickets.find((t) => t.external_id === number) : null;
    if (!ticket && !/^\d+$/.test(number)) {
      this.conflict({ ok: false, status: 404, data: { detail: interpolate(gettext('No 12345 ticket numbered %s.'), [number]) } },
        this.root.querySelector('.tickets form'));
      return;
    }
    const result = await api(`${this.config.api}hotline/tickets/${ticket ? ticket.id : number}/link/`,
      { method: 'POST', json: { case: c.id, version: c.version } });
    this.afterChange(result, c.id);
  };

  CasePanel.prototype.unlink = async function (ticket) {
    const c = this.current.properties;
    const result = await api(`${this.config.api}hotline/tickets/${ticket.id}/unlink/`,
      { method: 'POST', json: { case: c.id, version: c.version, reason: gettext('Unlinked on the dispatch map') } });
    this.afterChange(result, c.id);
  };

  CasePanel.prototype.afterChange = async function (result, id) {
    if (!result.ok) { this.conflict(result, this.root.querySelector('.tickets form') || this.root.querySelector('.tickets')); return; }
    const fresh = await api(`${this.config.api}cases/${id}/`);
    if (fresh.ok) this.show(fresh.data, gettext('Saved.'));
    if (this.hooks.changed) this.hooks.changed(fresh.ok ? fresh.data : null);
  };

  CasePanel.prototype.loadCandidates = async function (c) {
    const box = this.root.querySelector('.candidates');
    const result = await api(`${this.config.api}vision/candidates/?case=${c.id}`);
    if (!box || this.current === null || this.current.properties.id !== c.id) return;
    const list = result.ok ? (result.data.results || []) : (result.status === 404 ? [] : null);
    box.replaceChildren(el('h3', {}, gettext('Video candidates')), list && list.length
      ? el('ul', { class: 'candidate-list' }, list.map((v) => el('li', {},
        v.snapshot_url ? el('a', { href: v.snapshot_url, target: '_blank', rel: 'noopener' },
          el('img', { src: v.thumbnail_url || v.snapshot_url, alt: gettext('Snapshot'), loading: 'lazy' })) : null,
        el('span', {}, [v.camera_name || v.camera, v.zone, v.rule_display || v.rule, v.class_display || v['class']].filter(Boolean).join(' · ')),
        ' ', el('span', { class: 'muted' }, el('span', { class: 'nowrap' }, when(v.started_at)), ' — ',
          el('span', { class: 'nowrap' }, when(v.last_seen_at))))))
      : el('p', { class: 'muted' }, list === null ? errorText(result) : gettext('None.')));
  };

  CasePanel.prototype.actionButtons = function (c) {
    const actions = (c.actions || []).filter((a) => FORMS[a]);
    if (!actions.length) return el('p', { class: 'muted' }, gettext('Nothing for you to do on this case now.'));
    const holder = el('div', { class: 'action-form' });
    const buttons = el('div', { class: 'buttons' }, actions.map((name) => el('button', {
      type: 'button', dataset: { action: name }, onclick: () => {
        holder.replaceChildren(this.form(name, c));
        holder.scrollIntoView({ block: 'nearest' }); // it opens below the buttons, often under the window's edge
      },
    }, this.V.actions[name] || name)));
    return [buttons, holder];
  };

  CasePanel.prototype.form = function (name, c) {
    const V = this.V;
    const fields = FORMS[name];
    const controls = fields.map((spec) => {
      const optional = spec.endsWith('?');
      const field = spec.replace('?', '');
      let control;
      let hint = null;
      if (field === 'reason' || field === 'reply') {
        control = el('textarea', { name: field, rows: 3, required: !optional, maxlength: field === 'reply' ? 4000 : 2000 });
      } else if (field === 'department') {
        control = el('select', { name: field, required: true, onchange: (e) => { e.target.dataset.touched = '1'; } },
          el('option', { value: '' }, gettext('— choose —')), V.departments.map((d) => el('option', { value: d.code }, (ENGLISH && d.name_en) || d.name)));
        if (this.suggested) control.value = this.suggested;
      } else if (field === 'category') {
        return this.categoryPicker(field, fields, c);
      } else if (field === 'reason_code') {
        control = el('select', { name: field, required: true }, el('option', { value: '' }, gettext('— choose —')),
          Object.entries(V.reject_reasons).map(([v, label]) => el('option', { value: v }, label)));
      } else if (field === 'days') {
        control = el('input', { name: field, type: 'number', min: '0.5', max: '10', step: '0.5', value: '1', required: true });
      } else if (field === 'photos') {
        const needed = Boolean(c.reply_needs_photo);
        control = el('input', { name: field, type: 'file', accept: 'image/*', multiple: true, required: needed });
        if (needed) hint = el('small', { class: 'muted' }, gettext('At least one, taken after the work.'));
      }
      return el('label', {}, el('span', {}, fieldLabel(field, fields)), control, hint);
    });
    const status = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
    const form = el('form', { class: 'step', dataset: { action: name } },
      el('h4', {}, V.actions[name] || name), controls,
      el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'primary' }, gettext('Submit')),
        el('button', { type: 'button', onclick: () => form.remove() }, gettext('Cancel'))),
      status);
    form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(name, c, form, status); });
    return form;
  };

  /* The category, grouped by major class, narrowed by what the user types (code or name). */
  CasePanel.prototype.categoryPicker = function (field, fields, c) {
    const all = this.V.categories;
    const select = el('select', { name: field, size: 8 });
    const fill = (text) => {
      const words = text.trim().toLowerCase();
      const shown = all.filter((k) => !words || [k.service_code, k.name_zh, k.name_en, k.major__name_zh, k.major__name_en]
        .some((v) => (v || '').toLowerCase().includes(words)));
      const groups = new Map();
      shown.forEach((k) => { const g = majorLabel(k, this.V.families); if (!groups.has(g)) groups.set(g, []); groups.get(g).push(k); });
      const keep = select.value;
      select.replaceChildren(el('option', { value: '' }, interpolate(gettext('keep the category (%s)'), [this.categoryOf(c) || '—'])),
        ...Array.from(groups, ([major, list]) => el('optgroup', { label: major },
          list.map((k) => el('option', { value: k.service_code }, `${k.service_code} ${categoryName(k)}`)))));
      select.value = keep && shown.some((k) => k.service_code === keep) ? keep : (shown.length === 1 ? shown[0].service_code : '');
      count.textContent = interpolate(ngettext('%s category', '%s categories', shown.length), [shown.length]);
    };
    const count = el('small', { class: 'muted', 'aria-live': 'polite' });
    const search = el('input', { type: 'search', name: 'category_search', placeholder: gettext('Type a code or a name'),
      'aria-label': gettext('Find a category'), oninput: (e) => fill(e.target.value) });
    fill('');
    return el('div', { class: 'category-picker' },
      el('label', {}, el('span', {}, gettext('Find a category')), search),
      el('label', {}, el('span', {}, fieldLabel(field, fields)), select), count);
  };

  CasePanel.prototype.submit = async function (name, c, form, status) {
    const data = new FormData(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    status.textContent = gettext('Sending…');
    const photos = data.getAll('photos').filter((f) => f && f.size);
    let options;
    if (photos.length) {
      const body = new FormData();
      body.append('version', c.version);
      for (const [key, value] of data.entries()) if (!LOCAL_FIELDS.includes(key) && value !== '') body.append(key, value);
      photos.forEach((f) => body.append('photos', f, f.name));
      options = { method: 'POST', body: body };
    } else {
      const json = { version: c.version };
      for (const [key, value] of data.entries()) if (!LOCAL_FIELDS.includes(key) && value !== '') json[key] = key === 'days' ? Number(value) : value;
      options = { method: 'POST', json: json };
    }
    const result = await api(`${this.config.api}cases/${c.id}/${name}/`, options);
    button.disabled = false;
    if (result.ok) {
      this.show(result.data, gettext('Saved.'));
      if (this.hooks.changed) this.hooks.changed(result.data);
      return;
    }
    if (result.status === 409 || result.status === 403) { status.textContent = ''; this.conflict(result, status); return; }
    status.textContent = errorText(result);
    status.className = 'form-status error';
    reveal(status);
  };

  /* A stale version or a step no longer allowed: say so next to what the user just did
   * (`near`, else the steps), scrolled into view; keep what is shown, offer a reload. */
  CasePanel.prototype.conflict = function (result, near) {
    const stale = result.data && result.data.code === 'stale_version';
    const box = el('div', { class: 'conflict', role: 'alert' },
      el('strong', {}, stale ? gettext('Someone else changed this case first.') : gettext('Not done:')), ' ',
      el('span', {}, errorText(result)), ' ',
      el('button', { type: 'button', onclick: () => this.open(this.current.properties.id || this.current.id) }, gettext('Load the latest version')));
    const old = this.root.querySelector('.conflict');
    if (old) old.remove();
    const anchor = near || this.root.querySelector('.actions') || this.root.querySelector('.panel-body');
    if (anchor && anchor.parentNode) anchor.after(box); else this.root.append(box);
    box.scrollIntoView({ block: 'nearest' });
  };

  window.UrbanPanel = { CasePanel: CasePanel };
}());
