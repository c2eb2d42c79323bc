/*
 * The dispatch map's patrol layers (maps/patrols.py): each inspector's last fix coloured by
 * state, a red ring when it lies outside their grids, refreshed every half minute; and one
 * inspector's track for a day: runs of points as lines, gaps dashed with their reason, start
 * and end markers. The states' names are the legend's (the server writes them); a link may
 * open a track: /map/#patrol=<username>&day=<YYYY-MM-DD> (the managers' patrol page).
 */
(function () {
  'use strict';

  const { api, el, when, errorText, cityToday } = window.UM;
  const { map, control } = window.UM_LAYERS;
  const API = JSON.parse(document.getElementById('map-config').textContent).api + 'map/patrols/';
  const REFRESH_MS = 30000;

  const legend = document.getElementById('patrol-legend');
  const show = document.getElementById('patrol-show');
  const outsideOnly = document.getElementById('patrol-outside');
  const form = document.getElementById('track-form');
  const chooser = document.getElementById('track-inspector');
  const summary = document.getElementById('track-summary');
  const status = document.getElementById('map-status');
  const stateName = (state) => {
    const item = legend.querySelector(`li[data-state="${state}"]`);
    return item ? item.childNodes[1].textContent.trim() : state;
  };

  const inspectors = L.layerGroup().addTo(map);
  const track = L.featureGroup().addTo(map);
  control.addOverlay(inspectors, gettext('Inspectors'));
  control.addOverlay(track, gettext('Patrol track'));
  let latest = null;

  function tooltip(p) {
    const lines = [p.name, stateName(p.state), interpolate(gettext('Last fix: %(when)s'), { when: when(p.last_fix_at) }, true)];
    if (p.outside) lines.push(gettext('Outside their grids'));
    return lines.map((line) => el('div', null, line));
  }

  function draw() {
    inspectors.clearLayers();
    if (!latest || !show.checked) return;
    latest.features.forEach((f) => {
      const p = f.properties;
      if (!f.geometry || (outsideOnly.checked && !p.outside)) return;
      const [lon, lat] = f.geometry.coordinates;
      const icon = L.divIcon({ className: '', iconSize: [18, 18],
        html: `<span class="inspector-dot ${p.state}${p.outside ? ' outside' : ''}"></span>` });
      const marker = L.marker([lat, lon], { icon, title: p.name, keyboard: true });
      marker.bindTooltip(el('div', { class: 'inspector-tip' }, tooltip(p)));
      marker.on('click', () => { chooser.value = p.username; loadTrack(p.username, form.elements.day.value || cityToday()); });
      inspectors.addLayer(marker);
    });
  }

  function fillLegend(layer) {
    Object.entries(layer.counts).forEach(([state, n]) => {
      const item = legend.querySelector(`li[data-state="${state}"] .count`);
      if (item) item.textContent = String(n);
    });
    legend.querySelector('li[data-state="outside"] .count').textContent = String(layer.outside);
    const chosen = chooser.value;
    chooser.replaceChildren(el('option', { value: '' }, '—'),
      ...layer.features.map((f) => el('option', { value: f.properties.username }, f.properties.name)));
    chooser.value = chosen;
  }

  async function refresh() {
    const result = await api(API);
    if (!result.ok) { status.textContent = errorText(result); return; }
    latest = result.data;
    fillLegend(latest);
    draw();
  }

  const STYLE = { run: { color: '#1565c0', weight: 4, opacity: 0.85 },
    gap: { color: '#757575', weight: 3, dashArray: '6 8', opacity: 0.9 } };
  const MARKER = { start: 'start', end: 'end', last: 'end' };

  // SVG, not the map's canvas: a gap's line must take the pointer for its reason.
  const renderer = L.svg();

  function trackLayer(collection) {
    return L.geoJSON(collection, {
      renderer,
      filter: (f) => f.geometry !== null,
      style: (f) => STYLE[f.properties.kind] || STYLE.run,
      pointToLayer: (f, latlng) => (MARKER[f.properties.kind]
        ? L.marker(latlng, { icon: L.divIcon({ className: '', iconSize: [16, 16],
          html: `<span class="inspector-dot ${MARKER[f.properties.kind]}"></span>` }) })
        : L.circleMarker(latlng, { radius: 3, color: STYLE.run.color })),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        if (p.kind === 'gap') {
          layer.bindTooltip(interpolate(gettext('No position %(from)s – %(to)s: %(reason)s'),
            { from: when(p.from), to: when(p.to), reason: p.reason_label }, true));
        } else if (p.kind === 'start') {
          layer.bindTooltip(interpolate(gettext('Patrol started %(when)s'), { when: when(p.at) }, true));
        } else if (p.kind === 'end') {
          layer.bindTooltip(interpolate(gettext('Patrol ended %(when)s'), { when: when(p.at) }, true));
        } else if (p.kind === 'last') {
          layer.bindTooltip(interpolate(gettext('Still on patrol; last fix %(when)s'), { when: when(p.at) }, true));
        }
      },
    });
  }

  async function loadTrack(username, day) {
    if (!username || !day) return;
    chooser.value = username;
    form.elements.day.value = day;
    summary.textContent = gettext('Loading…');
    const result = await api(`${API}track/?${new URLSearchParams({ inspector: username, day })}`);
    track.clearLayers();
    if (!result.ok) { summary.textContent = errorText(result); return; }
    const data = result.data;
    if (!data.patrols.length) {
      summary.textContent = interpolate(gettext('%(name)s did not patrol on %(day)s.'), { name: data.name, day }, true);
      return;
    }
    track.addLayer(trackLayer(data));
    const gaps = data.features.filter((f) => f.properties.kind === 'gap').length;
    const metres = data.patrols.reduce((sum, p) => sum + p.distance_m, 0);
    const patrols = data.patrols.length;
    summary.textContent = interpolate(gettext('%(name)s on %(day)s: %(patrols)s, %(km)s km, %(gaps)s.'), {
      name: data.name, day, km: (metres / 1000).toFixed(2),
      patrols: interpolate(ngettext('%(n)s patrol', '%(n)s patrols', patrols), { n: patrols }, true),
      gaps: interpolate(ngettext('%(n)s gap', '%(n)s gaps', gaps), { n: gaps }, true) }, true);
    if (track.getBounds().isValid()) map.fitBounds(track.getBounds(), { maxZoom: 18, padding: [30, 30] });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    loadTrack(chooser.value, form.elements.day.value);
  });
  document.getElementById('track-clear').addEventListener('click', () => { track.clearLayers(); summary.textContent = ''; });
  show.addEventListener('change', draw);
  outsideOnly.addEventListener('change', draw);
  form.elements.day.value = cityToday();

  refresh().then(() => {
    const link = new URLSearchParams(location.hash.slice(1));
    if (link.get('patrol')) loadTrack(link.get('patrol'), link.get('day') || cityToday());
  });
  setInterval(refresh, REFRESH_MS);
}());
