/*
 * Bulk dispatch on the dispatch map (批量派遣): select filed cases by clicking unit grids,
 * by drawing a lasso, or all that match the filters (GET /api/v1/map/selection/, which says
 * for each case whether this user may dispatch it now and why not), check the list, choose
 * one department (the ownership register's suggestion preselected) and dispatch them in
 * one request (POST /api/v1/cases/dispatch-many/). The answer is per case: dispatched,
 * conflict (changed by someone else: reload it) or refused; the map then refreshes.
 * Loaded only for those who may dispatch, after dispatch.js (window.UrbanMap).
 */
(function () {
  'use strict';

  const CONFIG = JSON.parse(document.getElementById('map-config').textContent);
  const { api, el, append, errorText, reveal, when, format, LOCALE } = window.UM;
  const { map, gridLayer, filters, reload } = window.UrbanMap;
  const ENGLISH = LOCALE.startsWith('en');
  const SELECTION = `${CONFIG.api}map/selection/`;
  const DISPATCH = `${CONFIG.api}cases/dispatch-many/`;
  const MAX = 500;
  const LASSO_STEP_PX = 4; // a freehand lasso keeps a point every few pixels
  const MAX_CORNERS = 400; // and sends at most this many (the server takes 500)

  const tools = document.getElementById('bulk-tools');
  const root = document.getElementById('bulk-panel');
  const form = document.getElementById('bulk-form');
  const hint = document.getElementById('bulk-hint');
  const list = document.getElementById('bulk-list');
  const unselectable = document.getElementById('bulk-unselectable');
  const result = document.getElementById('bulk-result');
  const problem = document.getElementById('bulk-error');
  const department = form.elements.department;

  const chosen = new Map(); // id → a case of the selection that may be dispatched now
  const others = new Map(); // id → one that may not, with why
  const categories = new Map(CONFIG.choices.categories.map((k) => [k.service_code, k]));
  const departments = new Map(CONFIG.choices.departments.map((d) => [d.code, d]));
  const marks = L.layerGroup().addTo(map); // the selection on the map: rings and outlines
  const outlines = L.layerGroup().addTo(map);
  let mode = null;
  let pickedByHand = false; // once the dispatcher chooses the department, suggestions no longer change it

  const categoryName = (code) => { const k = categories.get(code); return k ? (ENGLISH && k.name_en) || k.name_zh : '—'; };
  const departmentName = (code) => { const d = departments.get(code); return d ? (ENGLISH && d.name_en) || d.name : code; };
  const stateName = (state) => CONFIG.choices.states[state] || state;

  /* --- selecting ----------------------------------------------------------------------------- */
  const HINTS = {
    grid: () => gettext('Click a unit grid to add its filed cases (zoom in until the grids show).'),
    lasso: () => gettext('Hold the mouse button down and draw around the cases; the map stays still while the lasso is on.'),
  };

  function setMode(next) {
    mode = mode === next ? null : next;
    tools.querySelectorAll('button[data-mode]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.mode === mode)));
    map.getContainer().classList.toggle('bulk-grid-mode', mode === 'grid');
    map.getContainer().classList.toggle('bulk-lasso-mode', mode === 'lasso');
    if (mode === 'lasso') map.dragging.disable(); else map.dragging.enable();
    if (mode) hint.textContent = HINTS[mode]();
  }

  async function select(params, outline) {
    const query = params.ids ? new URLSearchParams() : filters();
    Object.entries(params).forEach(([k, v]) => query.set(k, v));
    show();
    say(gettext('Loading…'));
    const answer = await api(`${SELECTION}?${query}`);
    if (!answer.ok) { say(errorText(answer), true); return; }
    if (outline) outlines.addLayer(outline);
    const left = answer.data.cases.filter((c) => !add(c)).length; // past the limit of one dispatch
    render(answer.data.truncated || left ? format(gettext('Only the first %(max)s were taken; narrow the filters for the rest.'), { max: MAX }) : '');
  }

  /* Into the selection, or apart with why; false when the selection is already full. */
  function add(c) {
    chosen.delete(c.id);
    others.delete(c.id);
    if (!c.selectable) others.set(c.id, c);
    else if (chosen.size < MAX) chosen.set(c.id, c);
    else return false;
    return true;
  }

  /* Whether [x, y] lies inside a GeoJSON Polygon or MultiPolygon (even-odd over its rings). */
  function inside(geometry, x, y) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    let hit = false;
    polygons.forEach((rings) => rings.forEach((ring) => {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
      }
    }));
    return hit;
  }

  // The map's click, not the grid layer's: it also answers where the grid layer has no grid
  // (zoomed out, or outside the city), with a hint.
  map.on('click', (e) => {
    if (mode !== 'grid') return;
    const found = [];
    gridLayer.eachLayer((layer) => { if (inside(layer.feature.geometry, e.latlng.lng, e.latlng.lat)) found.push(layer); });
    const layer = found[0];
    if (!layer || layer.feature.properties.level !== 'grid') { hint.textContent = gettext('Zoom in until the unit grids show, then click one.'); return; }
    select({ grid: layer.feature.properties.code },
      L.geoJSON(layer.toGeoJSON(), { interactive: false, style: { color: '#1565c0', weight: 3, dashArray: '5 4', fill: false } }));
  });

  /* The lasso: pointer held down and moved; released, the ring closes and is asked for. */
  const box = map.getContainer();
  let drawing = null;
  box.addEventListener('pointerdown', (ev) => {
    if (mode !== 'lasso' || ev.button !== 0 || ev.target.closest('.leaflet-control')) return;
    ev.preventDefault();
    ev.stopPropagation();
    box.setPointerCapture(ev.pointerId);
    const start = map.mouseEventToLatLng(ev);
    drawing = { points: [start], line: L.polyline([start], { interactive: false, color: '#1565c0', weight: 2 }).addTo(map) };
  }, true);
  box.addEventListener('pointermove', (ev) => {
    if (!drawing) return;
    const here = map.mouseEventToLatLng(ev);
    const last = drawing.points[drawing.points.length - 1];
    if (map.latLngToContainerPoint(last).distanceTo(map.latLngToContainerPoint(here)) < LASSO_STEP_PX) return;
    drawing.points.push(here);
    drawing.line.addLatLng(here);
  }, true);
  box.addEventListener('pointerup', () => {
    if (!drawing) return;
    const { points, line } = drawing;
    drawing = null;
    map.removeLayer(line);
    if (points.length < 3) { hint.textContent = gettext('Draw around the cases: a lasso needs an area.'); return; }
    const step = Math.ceil(points.length / MAX_CORNERS);
    const ring = points.filter((_p, i) => i % step === 0);
    const polygon = ring.map((p) => `${p.lng.toFixed(6)},${p.lat.toFixed(6)}`).join(',');
    select({ polygon }, L.polygon(ring, { interactive: false, color: '#1565c0', weight: 2, dashArray: '5 4', fillOpacity: 0.06 }));
  }, true);

  tools.addEventListener('click', (ev) => {
    const button = ev.target.closest('button');
    if (!button) return;
    if (button.dataset.mode) setMode(button.dataset.mode);
    if (button.dataset.select === 'filtered') select({});
  });
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && mode) setMode(mode); });

  /* --- the panel ------------------------------------------------------------------------------ */
  /* The panel takes a column of the page: the map is told its new size (its centre stays). */
  function show() {
    if (!root.hidden) return;
    root.hidden = false;
    map.invalidateSize();
  }

  function say(text, error) {
    const count = document.getElementById('bulk-count');
    count.textContent = text;
    count.classList.toggle('error', Boolean(error));
  }

  /* The register's suggestion for most of the selection, preselected until the dispatcher chooses. */
  function suggestion() {
    const votes = new Map();
    chosen.forEach((c) => { if (c.suggested) votes.set(c.suggested, (votes.get(c.suggested) || 0) + 1); });
    const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
    const line = document.getElementById('bulk-suggestion');
    line.textContent = best ? format(gettext('The ownership register suggests %(name)s for %(n)s of the %(total)s selected cases.'),
      { name: departmentName(best[0]), n: best[1], total: chosen.size }) : '';
    if (best && !pickedByHand) department.value = best[0];
  }

  function item(c) {
    const other = c.suggested && department.value && c.suggested !== department.value;
    return el('li', { dataset: { id: c.id } },
      el('div', {}, el('strong', {}, c.code), ' ', el('span', {}, categoryName(c.category)),
        el('button', { type: 'button', class: 'remove', 'aria-label': format(gettext('Remove %(code)s from the selection'), { code: c.code }),
          title: gettext('Remove from the selection'), onclick: () => { chosen.delete(c.id); render(); } }, '×')),
      el('div', { class: 'address' }, c.address || '—'),
      other ? el('div', { class: 'tag other-owner' }, format(gettext('register: %(name)s'), { name: departmentName(c.suggested) })) : null);
  }

  function render(note) {
    say(chosen.size ? format(ngettext('%(n)s case selected (at most %(max)s).', '%(n)s cases selected (at most %(max)s).', chosen.size), { n: chosen.size, max: MAX })
      : gettext('Nothing selected that can be dispatched now.'));
    if (note) say(`${document.getElementById('bulk-count').textContent} ${note}`);
    suggestion();
    list.replaceChildren(...[...chosen.values()].map(item));
    unselectable.hidden = !others.size;
    unselectable.querySelector('summary').textContent = format(ngettext('%(n)s case here cannot be dispatched by you now', '%(n)s cases here cannot be dispatched by you now', others.size), { n: others.size });
    unselectable.querySelector('ul').replaceChildren(...[...others.values()].map((c) => el('li', {},
      el('strong', {}, c.code), ' ', el('span', { class: 'tag' }, stateName(c.state)), ' ', el('span', {}, c.why))));
    const send = document.getElementById('bulk-send');
    form.hidden = !chosen.size; // nothing to dispatch: no department to choose
    send.disabled = !chosen.size;
    send.textContent = format(ngettext('Dispatch %(n)s case', 'Dispatch %(n)s cases', chosen.size), { n: chosen.size });
    marks.clearLayers();
    chosen.forEach((c) => marks.addLayer(L.circleMarker([c.lat, c.lon], { radius: 15, color: '#1565c0', weight: 3, fill: false, interactive: false })));
  }

  function clear() {
    chosen.clear(); others.clear(); marks.clearLayers(); outlines.clearLayers();
    result.hidden = true; problem.hidden = true; pickedByHand = false;
    render();
  }

  department.replaceChildren(el('option', { value: '' }, gettext('— choose —')),
    ...CONFIG.choices.departments.map((d) => el('option', { value: d.code }, departmentName(d.code))));
  department.addEventListener('change', () => { pickedByHand = true; list.replaceChildren(...[...chosen.values()].map(item)); });
  document.getElementById('bulk-clear').addEventListener('click', clear);
  root.querySelector('[data-close]').addEventListener('click', () => {
    clear();
    root.hidden = true;
    map.invalidateSize();
    if (mode) setMode(mode);
  });

  /* --- dispatching ------------------------------------------------------------------------------ */
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problem.hidden = true;
    if (!department.value) { fail(gettext('Choose the department to dispatch to.')); return; }
    const send = document.getElementById('bulk-send');
    send.disabled = true;
    const cases = [...chosen.values()].map((c) => ({ id: c.id, version: c.version }));
    const answer = await api(DISPATCH, { method: 'POST', json: { cases, department: department.value, reason: form.elements.reason.value } });
    send.disabled = false;
    if (!answer.ok) { fail(errorText(answer, { cases: gettext('Cases'), department: gettext('Department') })); return; }
    const codes = new Map([...chosen.values()].map((c) => [c.id, c.code]));
    answer.data.results.forEach((r) => {
      chosen.delete(r.id);
      if (r.outcome === 'refused') others.set(r.id, { id: r.id, code: r.case_code || String(r.id), state: r.state, why: r.detail });
    });
    render();
    outcome(answer.data, codes);
    reload();
  });

  function fail(text) {
    problem.textContent = text;
    problem.hidden = false;
    reveal(problem);
  }

  const OUTCOME_WORDS = () => ({ dispatched: gettext('Dispatched'), conflict: gettext('Conflict'), refused: gettext('Not dispatched') });

  function outcome(data, codes) {
    const words = OUTCOME_WORDS();
    const conflicts = data.results.filter((r) => r.outcome === 'conflict');
    const order = { conflict: 0, refused: 1, dispatched: 2 };
    const rows = [...data.results].sort((a, b) => order[a.outcome] - order[b.outcome]);
    result.replaceChildren();
    append(result, [
      el('h3', {}, gettext('Result of the dispatch')),
      el('p', { class: 'notice', role: 'status' }, format(gettext('Dispatched: %(d)s · Conflicts: %(c)s · Not dispatched: %(r)s'),
        { d: data.dispatched, c: data.conflicts, r: data.refused })),
      conflicts.length ? el('div', { class: 'conflict', role: 'alert' },
        gettext('Someone else changed these cases after you selected them; nothing was done to them. Reload them to see them as they are now.'), ' ',
        el('button', { type: 'button', class: 'small', onclick: () => reloadConflicts(conflicts.map((r) => r.id)) }, gettext('Reload the changed cases'))) : null,
      el('ol', { class: 'bulk-outcomes' }, rows.map((r) => el('li', { class: `outcome-${r.outcome}`, dataset: { id: r.id, outcome: r.outcome } },
        el('strong', {}, r.case_code || codes.get(r.id) || String(r.id)), ' ', el('span', { class: 'tag' }, words[r.outcome]), ' ',
        el('span', {}, r.outcome === 'dispatched' ? format(gettext('deadline %(when)s'), { when: when(r.due_at) }) : r.detail))))]);
    result.hidden = false;
    reveal(conflicts.length ? result.querySelector('.conflict') : result);
  }

  async function reloadConflicts(ids) {
    await select({ ids: ids.join(',') });
    reveal(list);
  }

  setMode(null);
  render();
  root.hidden = true;
  document.body.dataset.bulkReady = '1';
}());
