/*
 * Area names written on the map (without a base map they are what a dispatcher reads it by):
 * each street's, and close enough each community's, inside the part of the area that is in
 * view, so a street whose centre lies off screen is named all the same; a name that would
 * cover another name, or a control of the map, is left out until there is room for it.
 */
(function () {
  'use strict';

  const MARGIN = 24; // px kept clear at the map's edges (a name is centred on its point)
  const PROBES = 12; // a probe grid's columns and rows, where an area's visible centre falls outside it

  /* One edge of Sutherland–Hodgman: the ring's part on the inner side of `inside`. */
  function clipEdge(ring, inside, cut) {
    const out = [];
    ring.forEach((p, i) => {
      const q = ring[(i + 1) % ring.length];
      const pin = inside(p);
      const qin = inside(q);
      if (pin) out.push(p);
      if (pin !== qin) out.push(cut(p, q));
    });
    return out;
  }

  /* The ring (container points) cut to the rectangle [x0, x1] × [y0, y1]. */
  function clip(ring, x0, y0, x1, y1) {
    const atX = (x) => (p, q) => L.point(x, p.y + ((q.y - p.y) * (x - p.x)) / (q.x - p.x));
    const atY = (y) => (p, q) => L.point(p.x + ((q.x - p.x) * (y - p.y)) / (q.y - p.y), y);
    let out = ring;
    out = clipEdge(out, (p) => p.x >= x0, atX(x0));
    out = clipEdge(out, (p) => p.x <= x1, atX(x1));
    out = clipEdge(out, (p) => p.y >= y0, atY(y0));
    return clipEdge(out, (p) => p.y <= y1, atY(y1));
  }

  /* A ring's area and area-weighted centre. */
  function centre(ring) {
    let a = 0; let cx = 0; let cy = 0;
    ring.forEach((p, i) => {
      const q = ring[(i + 1) % ring.length];
      const f = p.x * q.y - q.x * p.y;
      a += f; cx += (p.x + q.x) * f; cy += (p.y + q.y) * f;
    });
    return a ? { area: Math.abs(a / 2), point: L.point(cx / (3 * a), cy / (3 * a)) } : { area: 0, point: null };
  }

  /* Whether `p` lies inside the rings (even–odd: holes are rings too). */
  function inside(p, rings) {
    let yes = false;
    rings.forEach((ring) => {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const a = ring[i]; const b = ring[j];
        if ((a.y > p.y) !== (b.y > p.y) && p.x < ((b.x - a.x) * (p.y - a.y)) / (b.y - a.y) + a.x) yes = !yes;
      }
    });
    return yes;
  }

  /* The polygons of a layer as lists of rings of container points. */
  function polygons(layer, map) {
    const toPoints = (ring) => ring.map((ll) => map.latLngToContainerPoint(ll));
    const latlngs = layer.getLatLngs();
    const nested = L.LineUtil.isFlat(latlngs) ? [[latlngs]] : L.LineUtil.isFlat(latlngs[0]) ? [latlngs] : latlngs;
    return nested.map((rings) => rings.map(toPoints));
  }

  /* Where to write an area's name: inside its largest part in view, near that part's centre. */
  function labelPoint(layer, map) {
    const size = map.getSize();
    let best = null;
    polygons(layer, map).forEach((rings) => {
      const seen = clip(rings[0], MARGIN, MARGIN, size.x - MARGIN, size.y - MARGIN);
      if (seen.length < 3) return;
      const { area, point } = centre(seen);
      if (!point || (best && area <= best.area)) return;
      const spot = inside(point, rings) ? point : probe(seen, rings, point);
      if (spot) best = { area, spot };
    });
    return best && best.spot;
  }

  /* The probe point inside the area nearest to `near` (a bent area's centre may lie outside it). */
  function probe(seen, rings, near) {
    const xs = seen.map((p) => p.x); const ys = seen.map((p) => p.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    let found = null; let distance = Infinity;
    for (let i = 0; i <= PROBES; i++) {
      for (let j = 0; j <= PROBES; j++) {
        const p = L.point(x0 + ((x1 - x0) * i) / PROBES, y0 + ((y1 - y0) * j) / PROBES);
        const d = p.distanceTo(near);
        if (d < distance && inside(p, rings) && inside(p, [seen])) { found = p; distance = d; }
      }
    }
    return found;
  }

  const overlap = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

  /* Write the names of `groups` ([{layer, className, show}], in order of precedence). */
  function place(map, groups) {
    // The map's controls, and the notes the page lays over the map (its status line, say).
    const over = [...map.getContainer().querySelectorAll('.leaflet-control')]
      .concat([...map.getContainer().parentElement.querySelectorAll(':scope > .map-status, :scope > .map-note')]);
    const taken = over.filter((n) => n.offsetParent !== null).map((n) => n.getBoundingClientRect());
    groups.forEach(({ layer, className, show }) => {
      if (!map.hasLayer(layer)) return;
      const areas = [];
      layer.eachLayer((area) => {
        if (!area.getTooltip()) {
          area.bindTooltip(area.feature.properties.name, { permanent: true, direction: 'center', className, interactive: false });
        }
        const spot = show && labelPoint(area, map);
        if (spot) areas.push({ area, spot }); else area.closeTooltip();
      });
      areas.forEach(({ area, spot }) => {
        area.openTooltip(map.containerPointToLatLng(spot));
        const first = area.getTooltip().getElement().getBoundingClientRect();
        // Where its spot is taken (an area inside a named one), a line or two above or below.
        const step = first.height + 4;
        const free = [0, 1, -1, 2, -2].map((k) => L.point(spot.x, spot.y + k * step)).find((p, k) => {
          const box = { left: first.left, right: first.right, top: first.top + (p.y - spot.y), bottom: first.bottom + (p.y - spot.y) };
          const fits = !k || (p.y > MARGIN && p.y < map.getSize().y - MARGIN && polygons(area, map).some((rings) => inside(p, rings)));
          if (!fits || taken.some((t) => overlap(box, t))) return false;
          taken.push(box);
          return true;
        });
        if (!free) area.closeTooltip(); else if (free !== spot && !free.equals(spot)) area.openTooltip(map.containerPointToLatLng(free));
      });
    });
  }

  /* Keep the names of the street and community layers placed as the map moves. */
  function follow(map, streets, communities, communityZoom) {
    const again = () => place(map, [
      { layer: streets, className: 'street-label', show: true },
      { layer: communities, className: 'community-label', show: map.getZoom() >= communityZoom },
    ]);
    map.on('moveend overlayadd overlayremove resize', again);
    again();
  }

  window.UrbanLabels = { follow };
}());
