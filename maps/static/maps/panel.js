/*
 * The case panel, shared by the dispatch map and the department workspace: the case, its
 * photos, its history, its linked 12345 tickets and video candidates, the suggested
 * department, and every step of the closed loop the user may take — each a POST with the
 * version of the case the user saw. A stale version is shown as a conflict and nothing is
 * overwritten. Every text from the server goes in as text (never as HTML).
 */
(function () {
  'use strict';

  function cookie(name) {
    const found = document.cookie.split('; ').find((part) => part.startsWith(name + '='));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : '';
  }

  async function api(path, options) {
    const opts = Object.assign({ credentials: 'same-origin', headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: 'application/json' }, opts.headers);
    if (opts.method && opts.method !== 'GET') opts.headers['X-CSRFToken'] = cookie('csrftoken');
    if (opts.json !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    let response;
    try {
      response = await fetch(path, opts);
    } catch (error) {
      return { ok: false, status: 0, data: { detail: String(error) } };
    }
    let data = null;
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try { data = await response.json(); } catch (error) { data = null; }
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  /* el('div', {class: 'x', onclick: f}, 'text', child, …): strings become text nodes. */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      // CSSOM, not the style attribute: the page's CSP refuses inline style attributes.
      else if (key === 'style') node.style.cssText = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key in node && typeof value !== 'string') node[key] = value;
      else node.setAttribute(key, value === true ? '' : value);
    });
    for (let i = 2; i < arguments.length; i += 1) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach((c) => append(node, c)); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function when(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function errorText(result, T) {
    const data = result.data || {};
    if (result.status === 0) return T.offline;
    if (typeof data.detail === 'string') return data.detail;
    if (Array.isArray(data.detail)) return data.detail.join(' ');
    const parts = Object.entries(data).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : JSON.stringify(v)}`);
    return parts.join('; ') || `${T.error} (${result.status})`;
  }

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

  function CasePanel(root, config, hooks) {
    this.root = root;
    this.config = config;
    this.V = config.vocabulary;
    this.T = config.vocabulary.t;
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
    const T = this.T;
    this.root.hidden = false;
    this.root.replaceChildren(el('p', { class: 'muted' }, T.loading));
    const result = await api(`${this.config.api}cases/${id}/`);
    if (!result.ok) {
      this.root.replaceChildren(this.header(null), el('p', { class: 'error', role: 'alert' }, errorText(result, T)));
      return;
    }
    this.show(result.data);
  };

  CasePanel.prototype.header = function (caseData) {
    const T = this.T;
    return el('div', { class: 'panel-head' },
      el('h2', { id: 'panel-title' }, caseData ? caseData.properties.code : T.case_title),
      el('button', { type: 'button', class: 'close', 'aria-label': T.close_panel, onclick: () => this.close() }, '×'));
  };

  CasePanel.prototype.show = function (feature, notice) {
    const T = this.T;
    const V = this.V;
    const c = feature.properties;
    c.id = c.id || feature.id;
    this.current = feature;
    const facts = [
      [T.state, V.states[c.state] || c.state],
      [T.channel, V.channels[c.channel] || c.channel],
      [T.category, c.category_name || '—'],
      [T.place, [c.street, c.community, c.grid].filter(Boolean).join(' · ')],
      [T.address, c.address || '—'],
      [T.department, c.department_name || '—'],
      [T.reported_at, when(c.reported_at)],
      [T.sign_due, when(c.sign_due_at)],
      [T.due, when(c.due_at) + (c.overdue ? ` (${T.overdue})` : '')],
      [T.tickets, String(c.ticket_count || 0)],
      [T.version, String(c.version)],
    ];
    if (c.reject_reason) facts.push([T.reject_reason, V.reject_reasons[c.reject_reason] || c.reject_reason]);
    if (c.reply) facts.push([T.reply, c.reply]);
    if (c.extension_requested_until) facts.push([T.extension_asked, when(c.extension_requested_until)]);
    const body = el('div', { class: 'panel-body' },
      notice ? el('p', { class: 'notice', role: 'status' }, notice) : null,
      el('p', { class: 'description', dataset: { field: 'description' } }, c.description || '—'),
      el('dl', { class: 'facts' }, facts.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
      this.photos(c.media || []),
      el('section', { class: 'suggested', 'aria-live': 'polite' }),
      el('section', { class: 'actions' }, el('h3', {}, T.actions), this.actionButtons(c)),
      el('section', { class: 'tickets' }, el('h3', {}, T.linked_tickets), el('p', { class: 'muted' }, T.loading)),
      el('section', { class: 'candidates' }, el('h3', {}, T.video_candidates), el('p', { class: 'muted' }, T.loading)),
      this.history(c.events || []));
    this.root.replaceChildren(this.header(feature), body);
    this.root.hidden = false;
    this.loadSuggested(c);
    this.loadTickets(c);
    this.loadCandidates(c);
    if (this.hooks.shown) this.hooks.shown(feature);
  };

  CasePanel.prototype.photos = function (media) {
    const T = this.T;
    if (!media.length) return el('p', { class: 'muted' }, T.no_photos);
    return el('div', { class: 'photos' }, media.map((m) => el('a', { href: m.display || m.file, target: '_blank', rel: 'noopener' },
      el('img', { src: m.thumbnail || m.display || m.file, alt: `${T.photo} (${m.kind})`, loading: 'lazy' }),
      el('span', { class: 'kind' }, m.kind))));
  };

  CasePanel.prototype.history = function (events) {
    const T = this.T;
    const V = this.V;
    return el('section', { class: 'history' }, el('h3', {}, T.history),
      el('ol', { class: 'timeline' }, events.map((e) => el('li', {},
        el('time', {}, when(e.at)), ' ',
        el('strong', {}, V.actions[e.action] || e.action), ' ',
        e.actor ? el('span', { class: 'muted' }, `${e.actor}${e.actor_role ? ' · ' + e.actor_role : ''}`) : null,
        e.to_state ? el('span', { class: 'tag' }, V.states[e.to_state] || e.to_state) : null,
        e.reason ? el('div', { class: 'reason' }, e.reason) : null))));
  };

  CasePanel.prototype.loadSuggested = async function (c) {
    const box = this.root.querySelector('.suggested');
    if (!box || this.config.workspace) return;
    const result = await api(`${this.config.api}cases/${c.id}/suggested-department/`);
    if (!result.ok || this.current === null || this.current.properties.id !== c.id) return;
    this.suggested = result.data.department;
    box.replaceChildren(el('h3', {}, this.T.suggested_department),
      el('p', { dataset: { field: 'suggested' } }, result.data.name || this.T.none_suggested));
    const select = this.root.querySelector('select[name=department]');
    if (select && result.data.department && !select.dataset.touched) select.value = result.data.department;
  };

  CasePanel.prototype.loadTickets = async function (c) {
    const T = this.T;
    const box = this.root.querySelector('.tickets');
    const result = await api(`${this.config.api}hotline/tickets/?case=${c.id}`);
    if (!box || this.current === null || this.current.properties.id !== c.id) return;
    const list = result.ok ? (result.data.results || result.data.features || result.data || []) : null;
    const rows = [];
    if (list === null) rows.push(el('p', { class: 'muted' }, result.status === 404 ? T.none : errorText(result, T)));
    else if (!list.length) rows.push(el('p', { class: 'muted' }, T.none));
    else {
      rows.push(el('ul', { class: 'ticket-list' }, list.map((t) => {
        const ticket = t.properties || t;
        return el('li', {},
          el('strong', {}, ticket.external_id || ticket.id), ' ',
          el('span', {}, ticket.title || ''), ' ',
          el('span', { class: 'muted' }, when(ticket.received_at)),
          el('div', { class: 'muted' }, this.linkReason(ticket)),
          this.mayLink() ? el('button', { type: 'button', class: 'small', onclick: () => this.unlink(ticket) }, T.unlink) : null);
      })));
    }
    if (this.mayLink()) {
      const input = el('input', { name: 'ticket', placeholder: T.ticket_id, 'aria-label': T.ticket_id, size: 12 });
      rows.push(el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); this.link(input.value.trim()); } },
        input, el('button', { type: 'submit', class: 'small' }, T.link)));
    }
    box.replaceChildren(el('h3', {}, T.linked_tickets), ...rows);
  };

  CasePanel.prototype.mayLink = function () { return !this.config.workspace; };

  /* Why a ticket sits on this case: its own, or linked by distance, time, category, text. */
  CasePanel.prototype.linkReason = function (ticket) {
    const T = this.T;
    if (ticket.owns_case) return T.own_case;
    const why = ticket.link_reason || {};
    const parts = [];
    if (why.manual || why.by) parts.push(T.linked_by_hand);
    if (why.distance_m !== undefined) parts.push(T.why_distance.replace('%s', why.distance_m));
    if (why.same_community) parts.push(T.why_community);
    if (why.hours_apart !== undefined) parts.push(T.why_hours.replace('%s', why.hours_apart));
    if (why.category) parts.push(why.category === 'same' ? T.why_same_category : T.why_same_major);
    if (why.similarity !== undefined) parts.push(T.why_similarity.replace('%s', why.similarity));
    return parts.join(' · ');
  };

  CasePanel.prototype.link = async function (ticketId) {
    if (!ticketId) return;
    const c = this.current.properties;
    const result = await api(`${this.config.api}hotline/tickets/${encodeURIComponent(ticketId)}/link/`,
      { method: 'POST', json: { case: c.id, version: c.version } });
    this.afterChange(result, c.id);
  };

  CasePanel.prototype.unlink = async function (ticket) {
    const c = this.current.properties;
    const result = await api(`${this.config.api}hotline/tickets/${ticket.id}/unlink/`,
      { method: 'POST', json: { case: c.id, version: c.version, reason: this.T.unlinked_from_panel } });
    this.afterChange(result, c.id);
  };

  CasePanel.prototype.afterChange = async function (result, id) {
    if (!result.ok) { this.conflict(result); return; }
    const fresh = await api(`${this.config.api}cases/${id}/`);
    if (fresh.ok) this.show(fresh.data, this.T.saved);
    if (this.hooks.changed) this.hooks.changed(fresh.ok ? fresh.data : null);
  };

  CasePanel.prototype.loadCandidates = async function (c) {
    const T = this.T;
    const box = this.root.querySelector('.candidates');
    const result = await api(`${this.config.api}vision/candidates/?case=${c.id}`);
    if (!box || this.current === null || this.current.properties.id !== c.id) return;
    const list = result.ok ? (result.data.results || []) : (result.status === 404 ? [] : null);
    box.replaceChildren(el('h3', {}, T.video_candidates), list.length
      ? el('ul', { class: 'candidate-list' }, list.map((v) => el('li', {},
        v.snapshot_url ? el('a', { href: v.snapshot_url, target: '_blank', rel: 'noopener' },
          el('img', { src: v.thumbnail_url || v.snapshot_url, alt: T.snapshot, loading: 'lazy' })) : null,
        el('span', {}, [v.camera_name || v.camera, v.zone, v.rule_display || v.rule, v['class']].filter(Boolean).join(' · ')),
        ' ', el('span', { class: 'muted' }, `${when(v.started_at)} — ${when(v.last_seen_at)}`))))
      : el('p', { class: 'muted' }, list === null ? errorText(result, T) : T.none));
  };

  CasePanel.prototype.actionButtons = function (c) {
    const T = this.T;
    const actions = (c.actions || []).filter((a) => FORMS[a]);
    if (!actions.length) return el('p', { class: 'muted' }, T.no_actions);
    const holder = el('div', { class: 'action-form' });
    const buttons = el('div', { class: 'buttons' }, actions.map((name) => el('button', {
      type: 'button', dataset: { action: name }, onclick: () => holder.replaceChildren(this.form(name, c)),
    }, this.V.actions[name] || name)));
    return [buttons, holder];
  };

  CasePanel.prototype.form = function (name, c) {
    const T = this.T;
    const V = this.V;
    const fields = FORMS[name];
    const controls = fields.map((spec) => {
      const optional = spec.endsWith('?');
      const field = spec.replace('?', '');
      let control;
      if (field === 'reason' || field === 'reply') {
        control = el('textarea', { name: field, rows: 3, required: !optional, maxlength: field === 'reply' ? 4000 : 2000 });
      } else if (field === 'department') {
        control = el('select', { name: field, required: true, onchange: (e) => { e.target.dataset.touched = '1'; } },
          el('option', { value: '' }, T.choose), V.departments.map((d) => el('option', { value: d.code }, d.name)));
        if (this.suggested) control.value = this.suggested;
      } else if (field === 'category') {
        control = el('select', { name: field },
          el('option', { value: '' }, T.keep_category), V.categories.map((k) => el('option', { value: k.service_code },
            `${k.service_code} ${k.major__name_zh} · ${k.name_zh}`)));
      } else if (field === 'reason_code') {
        control = el('select', { name: field, required: true }, el('option', { value: '' }, T.choose),
          Object.entries(V.reject_reasons).map(([v, label]) => el('option', { value: v }, label)));
      } else if (field === 'days') {
        control = el('input', { name: field, type: 'number', min: '0.5', max: '10', step: '0.5', value: '1', required: true });
      } else if (field === 'photos') {
        control = el('input', { name: field, type: 'file', accept: 'image/*', multiple: true });
      }
      return el('label', {}, el('span', {}, T['field_' + field] || field), control);
    });
    const status = el('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
    const form = el('form', { class: 'step', dataset: { action: name } },
      el('h4', {}, V.actions[name] || name), controls,
      el('div', { class: 'buttons' }, el('button', { type: 'submit', class: 'primary' }, T.submit),
        el('button', { type: 'button', onclick: () => form.remove() }, T.cancel)),
      status);
    form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(name, c, form, status); });
    return form;
  };

  CasePanel.prototype.submit = async function (name, c, form, status) {
    const T = this.T;
    const data = new FormData(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    status.textContent = T.sending;
    const photos = data.getAll('photos').filter((f) => f && f.size);
    let options;
    if (photos.length) {
      const body = new FormData();
      body.append('version', c.version);
      for (const [key, value] of data.entries()) if (key !== 'photos' && value !== '') body.append(key, value);
      photos.forEach((f) => body.append('photos', f, f.name));
      options = { method: 'POST', body: body };
    } else {
      const json = { version: c.version };
      for (const [key, value] of data.entries()) if (key !== 'photos' && value !== '') json[key] = key === 'days' ? Number(value) : value;
      options = { method: 'POST', json: json };
    }
    const result = await api(`${this.config.api}cases/${c.id}/${name}/`, options);
    button.disabled = false;
    if (result.ok) {
      this.show(result.data, T.saved);
      if (this.hooks.changed) this.hooks.changed(result.data);
      return;
    }
    if (result.status === 409 || result.status === 403) { this.conflict(result); status.textContent = ''; return; }
    status.textContent = errorText(result, T);
    status.className = 'form-status error';
  };

  /* A stale version or a step no longer allowed: say so, keep what is shown, offer a reload. */
  CasePanel.prototype.conflict = function (result) {
    const T = this.T;
    const stale = result.data && result.data.code === 'stale_version';
    const box = el('div', { class: 'conflict', role: 'alert' },
      el('strong', {}, stale ? T.conflict_title : T.refused_title), ' ',
      el('span', {}, errorText(result, T)), ' ',
      el('button', { type: 'button', onclick: () => this.open(this.current.properties.id || this.current.id) }, T.reload_case));
    const old = this.root.querySelector('.conflict');
    if (old) old.remove();
    const body = this.root.querySelector('.panel-body');
    (body || this.root).prepend(box);
  };

  window.UrbanPanel = { CasePanel: CasePanel, api: api, el: el, when: when, errorText: errorText };
}());
