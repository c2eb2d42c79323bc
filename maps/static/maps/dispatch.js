/*
 * The dispatch map: the grid layer coloured by open (or overdue) cases, the cases as
 * clustered markers (colour by state, shape by channel, a badge with their 12345 tickets),
 * filters, live changes every few seconds through a cursor, hotspots, exports, and the case
 * panel (panel.js). The base map and its layers are built by folium (maps/builders.py);
 * this script fills them from /api/v1/map/.
 */
(function () {
  'use strict';

  const CONFIG = JSON.parse(document.getElementById('map-config').textContent);
  const { api, el, when, errorText, cityDate, cityToday, cityMidnight, caseInAddress, number } = window.UM;
  const { CasePanel } = window.UrbanPanel;
  const { map, cluster, heat, control } = window.UM_LAYERS; // set by the page after folium's script
  const MAP_API = CONFIG.api + 'map/';
  const POINT_ZOOM = 17; // close enough for single cases and unit grids (maps/layers.py)

  const form = document.getElementById('map-filters');
  const status = document.getElementById('map-status');

  /* The note that the city has no base map covers the cases under it: once read, it is hidden
   * for the rest of the browser's session. */
  const note = document.getElementById('map-note');
  if (note) {
    const NOTE_READ = 'urbanmgmt.map-note-read';
    note.hidden = sessionStorage.getItem(NOTE_READ) === '1';
    document.getElementById('map-note-close').addEventListener('click', () => {
      note.hidden = true;
      sessionStorage.setItem(NOTE_READ, '1');
    });
  }
  // The panel takes a column of the page (beside the map, or below it in a narrow window):
  // the map is told its new size, and a case it shows is kept in view.
  const panel = new CasePanel(document.getElementById('case-panel'), CONFIG, {
    changed: () => { refreshCounts(); pollNow(); },
    shown: (feature) => {
      map.invalidateSize();
      caseInAddress(feature.properties.code);
      const g = feature.geometry;
      if (g && g.coordinates && !map.getBounds().pad(-0.1).contains([g.coordinates[1], g.coordinates[0]])) {
        map.panTo([g.coordinates[1], g.coordinates[0]], { animate: false });
      }
    },
    closed: () => { map.invalidateSize(); caseInAddress(null); },
  });

  // An older link by the case's database id still opens it (maps/find.py), then shows the number.

  /* --- filters ------------------------------------------------------------------------ */
  // A link's fixed filters in words: "Reported by: 王伟", not "reporter = sim_inspector_02".
  const FIXED_WORDS = {
    grid: pgettext('map filter', 'Unit grid'), reporter: pgettext('map filter', 'Reported by'), community: pgettext('map filter', 'Community'),
    street: pgettext('map filter', 'Street'), district: pgettext('map filter', 'District'), department: pgettext('map filter', 'Department'),
    dispatched_after: pgettext('map filter', 'Dispatched from'), dispatched_before: pgettext('map filter', 'Dispatched before'),
    due_after: pgettext('map filter', 'Due from'), due_before: pgettext('map filter', 'Due before'),
  };
  function fixedText(key, value) {
    if (key === 'open') return value === 'all' ? pgettext('map filter', 'Every state') : value === 'true' ? pgettext('map filter', 'Open cases only') : pgettext('map filter', 'Closed cases only');
    if (key === 'signing_counted') {
      return value === 'true' ? pgettext('map filter', 'Counted in the on-time signing rate')
        : pgettext('map filter', 'Not yet counted in the on-time signing rate');
    }
    const name = ((CONFIG.link_names || {})[key] || {})[value];
    const shown = /_(after|before)$/.test(key) ? cityDate(value) : name || value;
    return interpolate(pgettext('map filter', '%(what)s: %(value)s'), { what: FIXED_WORDS[key] || key, value: shown }, true);
  }

  // Filters that came with the link (a figure of the managers' dashboard, say): those the
  // form has are set in the form; the others (grid, street, reporter, dispatched_after, …)
  // stay fixed, are shown above the form and can be cleared.
  const fixed = new URLSearchParams();
  (function fromLink() {
    const link = new URLSearchParams(location.search);
    for (const [key, value] of link.entries()) {
      if (key === 'case' || !value) continue;
      if (key === 'state') {
        const wanted = value.split(',');
        Array.from(form.elements.state.options).forEach((o) => { o.selected = wanted.includes(o.value); });
      } else if (key === 'channel') {
        const wanted = value.split(',');
        form.querySelectorAll('input[name=channel]').forEach((box) => { box.checked = wanted.includes(box.value); });
      } else if ((key === 'category' || key === 'department') && form.elements[key].querySelector(`option[value="${CSS.escape(value)}"]`)) {
        form.elements[key].value = value;
      } else if (key === 'overdue') {
        form.elements.overdue.checked = value === 'true';
      } else if (key === 'reported_after' || key === 'reported_before') {
        form.elements.period.value = 'custom';
        document.getElementById('custom-period').hidden = false;
        // Days are the city's days, whatever the browser's time zone.
        if (key === 'reported_after') form.elements.start.value = cityDate(value);
        else form.elements.end.value = cityDate(new Date(new Date(value).getTime() - 1));
      } else {
        fixed.set(key, value);
      }
    }
    showFixed();
  }());

  function showFixed() {
    const box = document.getElementById('fixed-filters');
    const entries = Array.from(fixed.entries());
    box.hidden = !entries.length;
    if (!entries.length) return;
    box.replaceChildren(el('strong', {}, gettext('Also filtered by:')), ' ',
      ...entries.map(([k, v]) => el('span', { class: 'tag', title: `${k}=${v}` }, fixedText(k, v))), ' ',
      el('button', { type: 'button', class: 'small', onclick: () => {
        Array.from(fixed.keys()).forEach((k) => fixed.delete(k));
        showFixed(); loadGrids(); loadCases(); loadHeat(); loadRepeats();
      } }, gettext('Clear')));
  }

  function filters() {
    const data = new FormData(form);
    const params = new URLSearchParams(fixed);
    const states = data.getAll('state');
    if (states.length) params.set('state', states.join(','));
    const channels = data.getAll('channel');
    if (channels.length && channels.length < form.querySelectorAll('input[name=channel]').length) {
      params.set('channel', channels.join(','));
    }
    ['category', 'department'].forEach((name) => { if (data.get(name)) params.set(name, data.get(name)); });
    const period = data.get('period');
    if (period && period !== 'all') {
      // Days start at midnight in the city, not in the browser's time zone.
      let start = null;
      let end = null;
      if (period === 'custom') {
        if (data.get('start')) start = cityMidnight(data.get('start'));
        if (data.get('end')) end = cityMidnight(data.get('end'), 1);
      } else if (period === 'today') {
        start = cityMidnight(cityToday());
      } else if (period === 'year') {
        start = cityMidnight(`${cityToday().slice(0, 4)}-01-01`);
      } else {
        start = new Date(Date.now() - Number(period) * 86400000);
      }
      if (start) params.set('reported_after', start.toISOString());
      if (end) params.set('reported_before', end.toISOString());
    }
    if (data.get('overdue')) params.set('overdue', 'true');
    return params;
  }

  function bboxParams(extra) {
    const b = map.getBounds();
    const params = filters();
    params.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(','));
    params.set('zoom', String(map.getZoom()));
    Object.entries(extra || {}).forEach(([k, v]) => params.set(k, v));
    return params;
  }

  // Metres and kilometres only: the city measures in them (folium's scale bar adds feet).
  L.control.scale({ imperial: false }).addTo(map);

  /* --- the grid layer ----------------------------------------------------------------- */
  const RAMP = ['#f1f8e9', '#fff59d', '#ffcc80', '#ff8a65', '#e53935', '#8e0000'];
  let gridMax = 0;
  function gridColour(n) {
    if (!n) return 'transparent';
    const share = gridMax > 1 ? Math.log(n + 1) / Math.log(gridMax + 1) : 1;
    return RAMP[Math.min(RAMP.length - 1, 1 + Math.floor(share * (RAMP.length - 2)))];
  }
  const gridLayer = L.geoJSON(null, {
    style: (f) => ({ color: f.properties.level === 'grid' ? '#90a4ae' : '#546e7a', weight: f.properties.level === 'grid' ? 0.6 : 1.2,
      fillColor: gridColour(f.properties.n), fillOpacity: f.properties.n ? 0.55 : 0 }),
    onEachFeature: (f, layer) => {
      const p = f.properties;
      layer.bindTooltip(() => el('span', {}, `${p.name} · ${interpolate(metric() === 'overdue'
        ? ngettext('%(n)s overdue case', '%(n)s overdue cases', p.n) : ngettext('%(n)s open case', '%(n)s open cases', p.n),
      { n: p.n }, true)}`),
        { sticky: true });
      if (p.level !== 'grid') layer.on('click', (e) => map.setView(e.latlng, Math.min(map.getZoom() + 2, 16)));
    },
  }).addTo(map);
  control.addOverlay(gridLayer, gettext('Grids by cases'));

  function metric() { return form.querySelector('input[name=metric]:checked').value; }

  let gridRequest = 0;
  async function loadGrids() {
    const mine = ++gridRequest;
    const result = await api(`${MAP_API}grids/?${bboxParams({ metric: metric() })}`);
    if (mine !== gridRequest) return;
    if (!result.ok) { say(errorText(result), true); return; }
    gridMax = result.data.max || 0;
    gridLayer.clearLayers();
    gridLayer.addData(result.data);
    gridLayer.bringToBack();
    document.getElementById('legend-max').textContent = String(gridMax);
  }

  /* --- the case layer ----------------------------------------------------------------- */
  const STATE_COLOURS = { reported: '#1e88e5', filed: '#5e35b1', dispatched: '#fb8c00', returned: '#8d6e63',
    handled: '#43a047', checking: '#00897b', checked: '#26a69a', closed: '#9e9e9e', rejected: '#bdbdbd',
    voided: '#bdbdbd', suspended: '#757575' };
  const markers = new Map(); // case id → marker (points mode)
  // Counts per grid / community / street, shown with the "Cases" layer (the layer control's).
  const clusterLayer = L.layerGroup();
  if (map.hasLayer(cluster)) clusterLayer.addTo(map);
  let mode = 'points';
  let cursor = null;

  /* One character on the marker for its channel (巡 视 热 in Chinese), as in the legend. */
  function glyph(channel) {
    switch (channel) {
      case 'inspector': return pgettext('map marker', 'I');
      case 'video': return pgettext('map marker', 'V');
      case 'hotline': return pgettext('map marker', 'H');
      default: return pgettext('map marker', 'C');
    }
  }

  function icon(p) {
    const shape = { inspector: 'round', video: 'square', hotline: 'diamond' }[p.channel] || 'round';
    const node = el('div', { class: `case-icon ${shape}${p.overdue ? ' overdue' : ''}`, style: `--c:${STATE_COLOURS[p.state] || '#607d8b'}` },
      el('span', { class: 'glyph' }, glyph(p.channel)),
      p.tickets > 0 ? el('span', { class: 'badge', title: gettext('12345 tickets') }, String(p.tickets)) : null);
    return L.divIcon({ html: node, className: 'case-marker', iconSize: [26, 26], iconAnchor: [13, 13] });
  }

  function popup(p) {
    return el('div', { class: 'case-popup' },
      el('strong', {}, p.code), ' ', el('span', { class: 'tag' }, CONFIG.choices.states[p.state] || p.state),
      el('div', {}, p.category || '—'),
      el('p', { class: 'description' }, p.description || ''),
      el('div', { class: 'muted' }, `${gettext('Reported')} ${when(p.reported_at)}`),
      p.overdue ? el('div', { class: 'error' }, gettext('overdue')) : null,
      el('button', { type: 'button', class: 'small', onclick: () => panel.open(p.id) }, gettext('Open the case')));
  }

  function upsert(feature) {
    const p = feature.properties;
    const old = markers.get(p.id);
    if (old && old.options.version >= p.version && old.options.state === p.state) return false;
    if (old) cluster.removeLayer(old);
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.marker([lat, lon], { icon: icon(p), version: p.version, state: p.state, title: p.code, keyboard: true });
    marker.caseId = p.id;
    marker.bindPopup(() => popup(p));
    marker.on('click', () => panel.open(p.id));
    cluster.addLayer(marker);
    markers.set(p.id, marker);
    return !old;
  }

  function remove(id) {
    const marker = markers.get(id);
    if (marker) { cluster.removeLayer(marker); markers.delete(id); }
  }

  let caseRequest = 0;
  /* The cases in view (`extra`: more of the query); gives the answer drawn, or nothing when
   * it failed or a later request overtook it. */
  async function loadCases(extra) {
    const mine = ++caseRequest;
    const result = await api(`${MAP_API}cases/?${bboxParams(extra)}`);
    if (mine !== caseRequest) return undefined;
    if (!result.ok) { say(errorText(result), true); return undefined; }
    const data = result.data;
    cursor = cursor || data.cursor;
    mode = data.mode;
    cluster.clearLayers();
    markers.clear();
    clusterLayer.clearLayers();
    if (data.mode === 'points') {
      data.features.forEach(upsert);
      say(data.truncated ? interpolate(gettext('%s cases here: showing the newest; zoom in for the rest.'), [number(data.total)]) : interpolate(ngettext('%s case in view.', '%s cases in view.', data.features.length), [number(data.features.length)]));
    } else {
      data.features.forEach((f) => {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        const size = 28 + Math.min(26, Math.round(Math.log10(p.n + 1) * 10));
        const named = `${p.name} · ${interpolate(ngettext('%(n)s case', '%(n)s cases', p.n), { n: p.n }, true)}`;
        const bubble = L.marker([lat, lon], { icon: L.divIcon({ className: 'count-marker',
          html: el('div', { class: 'count-bubble', style: `width:${size}px;height:${size}px` }, String(p.n)),
          iconSize: [size, size], iconAnchor: [size / 2, size / 2] }), title: named });
        bubble.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, 17)));
        bubble.bindTooltip(() => el('span', {}, named));
        clusterLayer.addLayer(bubble);
      });
      say(interpolate(ngettext('%s case in view (counted by area; zoom in).', '%s cases in view (counted by area; zoom in).',
        data.total), [number(data.total)]));
    }
    return data;
  }

  /* --- live: changes since the cursor ---------------------------------------------------- */
  let polling = false;
  let countsTimer = null;
  function refreshCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(() => { loadGrids(); if (mode !== 'points') loadCases(); }, 300);
  }

  async function poll() {
    if (polling || !cursor) return;
    polling = true;
    try {
      const params = filters();
      params.set('cursor', cursor);
      const result = await api(`${MAP_API}changes/?${params}`);
      if (!result.ok) return;
      const data = result.data;
      cursor = data.cursor;
      if (data.more) { loadGrids(); loadCases(); return; }
      if (!data.features.length && !data.removed.length) return;
      let added = 0;
      if (mode === 'points') {
        const bounds = map.getBounds();
        data.features.forEach((f) => {
          const [lon, lat] = f.geometry.coordinates;
          if (bounds.contains([lat, lon]) && upsert(f)) added += 1;
        });
        data.removed.forEach(remove);
      }
      refreshCounts();
      const fresh = data.features.filter((f) => f.properties.version === 1).length;
      if (fresh || added) say(interpolate(gettext('%s new case(s) arrived.'), [Math.max(fresh, added)]));
      if (panel.current) {
        const id = panel.current.properties.id || panel.current.id;
        const changed = data.features.find((f) => f.properties.id === id);
        if (changed && changed.properties.version > panel.current.properties.version) {
          document.getElementById('case-panel').dataset.stale = '1';
          const note = document.querySelector('#case-panel .panel-body');
          if (note && !note.querySelector('.changed-elsewhere')) {
            note.prepend(el('p', { class: 'notice changed-elsewhere', role: 'status' }, gettext('This case has changed since you opened it.'), ' ',
              el('button', { type: 'button', class: 'small', onclick: () => panel.open(id) }, gettext('Load the latest version'))));
          }
        }
      }
    } finally {
      polling = false;
    }
  }
  function pollNow() { setTimeout(poll, 200); }
  setInterval(poll, Math.max(1, CONFIG.poll_s) * 1000);

  /* --- heat and repeat problems ---------------------------------------------------------- */
  async function loadHeat() {
    if (!map.hasLayer(heat)) return;
    const params = filters();
    params.set('days', form.querySelector('[name=days]').value);
    const result = await api(`${MAP_API}heat/?${params}`);
    if (!result.ok) return;
    const max = result.data.max || 1;
    heat.setOptions({ max: max });
    heat.setLatLngs(result.data.points.map(([lat, lon, n]) => [lat, lon, n / max]));
  }

  async function loadRepeats() {
    const params = filters();
    params.set('days', form.querySelector('[name=days]').value);
    params.set('min', form.querySelector('[name=min]').value);
    const list = document.getElementById('repeat-list');
    const result = await api(`${MAP_API}repeats/?${params}`);
    if (!result.ok) { list.replaceChildren(el('li', { class: 'error' }, errorText(result))); return; }
    const grids = result.data.grids;
    list.replaceChildren(...(grids.length ? grids.map((g) => el('li', {},
      el('button', { type: 'button', class: 'link', onclick: () => map.setView([g.lat, g.lon], 17) },
        `${g.grid} ${g.street} ${g.community}`),
      el('div', {}, `${g.category_name} × ${g.count}`),
      el('div', { class: 'muted' }, `${when(g.first)} — ${when(g.last)}`))) : [el('li', { class: 'muted' }, gettext('None.'))]));
  }

  /* --- legend: the states' colours ------------------------------------------------------ */
  document.getElementById('state-legend').replaceChildren(...Object.entries(STATE_COLOURS).map(([state, colour]) => el('li', {},
    el('span', { class: 'case-icon round', style: `--c:${colour}` }), ' ', CONFIG.choices.states[state] || state)));

  /* --- find by number -------------------------------------------------------------------- */
  const findForm = document.getElementById('find-form');
  const findResults = document.getElementById('find-results');

  /* Open a case's panel and bring the map to it. */
  async function openAt(id) {
    await panel.open(id);
    const g = panel.current && panel.current.geometry;
    if (!g || !g.coordinates) return;
    map.setView([g.coordinates[1], g.coordinates[0]], Math.max(map.getZoom(), POINT_ZOOM), { animate: false });
  }

  /* What the search box (or ?case=) names: a case code or id, a 12345 ticket number. One
   * exact match opens at once; otherwise the matches are listed to choose from. */
  async function find(text) {
    findResults.replaceChildren();
    if (!text) return;
    const result = await api(`${MAP_API}find/?q=${encodeURIComponent(text)}`);
    if (!result.ok) { findResults.replaceChildren(el('li', { class: 'error', role: 'alert' }, errorText(result))); return; }
    const { cases, tickets } = result.data;
    const candidates = result.data.candidates || [];
    const exact = cases.filter((c) => c.exact);
    const exactTickets = tickets.filter((t) => t.exact && t.case);
    if (exact.length === 1) { openAt(exact[0].id); return; }
    if (!exact.length && exactTickets.length === 1) {
      findResults.replaceChildren(el('li', { class: 'muted' }, interpolate(gettext('12345 ticket %s is on case %s.'),
        [exactTickets[0].external_id, exactTickets[0].case_code])));
      openAt(exactTickets[0].case);
      return;
    }
    if (!exact.length && !tickets.length && candidates.length === 1 && candidates[0].case) {
      findResults.replaceChildren(el('li', { class: 'muted' }, interpolate(gettext('Video candidate #%s is on case %s.'),
        [candidates[0].id, candidates[0].case_code])));
      openAt(candidates[0].case);
      return;
    }
    if (!cases.length && !tickets.length && !candidates.length) {
      findResults.replaceChildren(el('li', { class: 'error', role: 'alert' }, interpolate(gettext('Nothing numbered %s.'), [text])));
      return;
    }
    findResults.replaceChildren(...cases.map((c) => el('li', {}, el('button', { type: 'button', class: 'link', onclick: () => openAt(c.id) },
      c.code), ' ', el('span', { class: 'tag' }, c.state_display), ' ', el('span', { class: 'muted' }, c.category_name || c.address || ''))),
    ...tickets.map((t) => el('li', {}, gettext('12345 ticket'), ' ', el('strong', {}, t.external_id), ' → ',
      t.case ? el('button', { type: 'button', class: 'link', onclick: () => openAt(t.case) }, t.case_code)
        : el('span', { class: 'muted' }, gettext('no case yet')))),
    ...candidates.map((v) => el('li', {}, gettext('Video candidate'), ' ', el('strong', {}, `#${v.id}`), ' ',
      el('span', { class: 'tag' }, v.status_display), ' ', el('span', { class: 'muted' }, v.camera), ' → ',
      v.case ? el('button', { type: 'button', class: 'link', onclick: () => openAt(v.case) }, v.case_code)
        : el('span', { class: 'muted' }, gettext('no case yet')))));
  }
  findForm.addEventListener('submit', (event) => { event.preventDefault(); find(findForm.elements.q.value.trim()); });

  /* --- exports --------------------------------------------------------------------------- */
  // Asked for with a POST: a small export downloads at once, a large one is made in the
  // background and followed in #export-job (urbanmgmt/static/urbanmgmt/exports.js).
  function exportLink(event) {
    const link = event.currentTarget;
    const params = filters();
    params.set('as', link.dataset.format);
    params.set('layer', link.dataset.layer);
    if (document.getElementById('export-view').checked) params.set('bbox', bboxParams().get('bbox'));
    link.href = `${MAP_API}export/?${params}`;
    if (!window.UMExports) return;
    event.preventDefault();
    window.UMExports.ask(link.href, document.getElementById('export-job'));
  }
  document.querySelectorAll('a[data-format]').forEach((a) => a.addEventListener('click', exportLink));

  /* --- wiring ------------------------------------------------------------------------------ */
  function say(text, error) {
    status.textContent = text;
    status.classList.toggle('error', Boolean(error));
  }

  // Leaflet's layer button is titled in English.
  const layersButton = control.getContainer().querySelector('.leaflet-control-layers-toggle');
  layersButton.title = gettext('Map layers');
  layersButton.setAttribute('aria-label', gettext('Map layers'));

  let moveTimer = null;
  map.on('moveend', () => {
    clearTimeout(moveTimer);
    moveTimer = setTimeout(() => { loadGrids(); loadCases(); }, 150);
  });
  map.on('overlayadd', (e) => {
    if (e.layer === heat) loadHeat();
    if (e.layer === cluster) clusterLayer.addTo(map);
  });
  map.on('overlayremove', (e) => { if (e.layer === cluster) map.removeLayer(clusterLayer); });
  // Community names only when close enough to read them (street names always); after the data's
  // own moveend, so that the names never stand between a move and the layers it loads.
  const COMMUNITY_NAMES_ZOOM = 14;
  window.UrbanLabels.follow(map, window.UM_LAYERS.streets, window.UM_LAYERS.communities, COMMUNITY_NAMES_ZOOM);
  form.addEventListener('change', (event) => {
    const custom = form.querySelector('[name=period]').value === 'custom';
    document.getElementById('custom-period').hidden = !custom;
    if (event.target.name === 'days' || event.target.name === 'min') { loadHeat(); loadRepeats(); return; }
    loadGrids(); loadCases(); loadHeat(); loadRepeats();
  });
  form.addEventListener('submit', (event) => event.preventDefault());

  const params = new URLSearchParams(location.search);
  if (params.get('case')) {
    findForm.elements.q.value = params.get('case');
    find(params.get('case').trim());
  }
  // What bulk.js (the bulk dispatch) works with: the map, its grid layer, the filters, a reload.
  window.UrbanMap = { map, gridLayer, filters, reload: () => { loadGrids(); loadCases(); } };
  loadGrids();
  // A link that names its cases (a figure of the managers' dashboard) opens the map on them,
  // close enough to show each one, unless the first view already does.
  async function firstLoad() {
    const named = !params.get('case') && Array.from(params.keys()).length > 0;
    const data = await loadCases(named ? { fit: 'true' } : undefined);
    const extent = data && data.extent;
    if (!extent) return;
    const bounds = L.latLngBounds([extent[1], extent[0]], [extent[3], extent[2]]);
    if (data.mode === 'points' && map.getBounds().contains(bounds)) return;
    map.fitBounds(bounds.pad(0.2), { maxZoom: POINT_ZOOM, animate: false });
    clearTimeout(moveTimer); // the move's own reload, done here before the page says it is ready
    loadGrids();
    await loadCases();
  }
  firstLoad().then(() => { document.body.dataset.ready = '1'; });
  loadRepeats();
}());
