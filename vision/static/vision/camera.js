/* A camera's page (vision/camera.html): its zones drawn on the clean still, each in its own
 * colour with its name; click the corners of a new zone, or load one with "Edit" and click its
 * corners again. A zone of fewer than 3 corners is refused here, beside the picture, before the
 * server refuses it. */
(function () {
  'use strict';
  const { format, reveal } = window.UM;
  // Told apart on any picture: high-contrast hues, in the list's order.
  const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6', '#9a6324'];
  const canvas = document.getElementById('zone-canvas');
  const ctx = canvas.getContext('2d');
  const form = document.getElementById('zone-form');
  const field = (name) => form.elements[name];
  const error = document.getElementById('zone-error');
  const mode = document.getElementById('zone-mode');
  const cancel = document.getElementById('zone-cancel');
  const zones = JSON.parse(document.getElementById('zones-data').textContent);
  const colour = (i) => COLOURS[i % COLOURS.length];
  const still = new Image();
  let points = [];
  try { points = JSON.parse(field('polygon').value || '[]'); } catch (e) { points = []; }

  function path(pts, close) {
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
    if (close) ctx.closePath();
  }

  function label(z, i) {
    const [sx, sy] = z.polygon.reduce(([x, y], p) => [x + p[0], y + p[1]], [0, 0]);
    const x = sx / z.polygon.length, y = sy / z.polygon.length;
    ctx.font = `bold ${Math.round(canvas.width / 45)}px sans-serif`;
    const w = ctx.measureText(z.name).width, h = Math.round(canvas.width / 40);
    // White on near-black, the zone's colour a stripe beside it: the colour alone on the dark box
    // read poorly (blue, red), and a light picture shows through less at .8.
    ctx.fillStyle = 'rgba(0, 0, 0, .8)';
    ctx.fillRect(x - w / 2 - 6, y - h / 2 - 4, w + 12, h + 8);
    ctx.fillStyle = colour(i);
    ctx.fillRect(x - w / 2 - 12, y - h / 2 - 4, 6, h + 8);
    ctx.fillStyle = '#fff';
    ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText(z.name, x, y);
  }

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (still.complete && still.naturalWidth) ctx.drawImage(still, 0, 0, canvas.width, canvas.height);
    else { ctx.fillStyle = '#dde3ea'; ctx.fillRect(0, 0, canvas.width, canvas.height); }
    ctx.lineWidth = Math.max(2, canvas.width / 400);
    const editing = field('zone').value;
    zones.forEach((z, i) => {
      if (String(z.id) === editing) return;
      path(z.polygon, true);
      ctx.fillStyle = colour(i) + '33'; ctx.fill();
      ctx.strokeStyle = colour(i); ctx.stroke();
      label(z, i);
    });
    if (points.length) {
      path(points, points.length > 2);
      ctx.setLineDash([10, 6]); ctx.strokeStyle = '#fff'; ctx.stroke(); ctx.setLineDash([]);
      points.forEach((p) => { ctx.fillStyle = '#fff'; ctx.fillRect(p[0] - 5, p[1] - 5, 10, 10); });
    }
    field('polygon').value = JSON.stringify(points);
  }

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
    if (text) reveal(error);
  }

  function edit(id) {
    const z = zones.find((zone) => String(zone.id) === String(id));
    if (!z) return;
    field('zone').value = z.id;
    field('name').value = z.name;
    field('rule').value = z.rule;
    field('category').value = z.category;
    field('dwell_s').value = z.dwell_s;
    field('classes').value = z.classes;
    points = z.polygon.map((p) => p.slice());
    mode.textContent = format(gettext('Editing the zone “%(name)s”: “Start again” and click its new corners, or change its name.'), { name: z.name });
    cancel.hidden = false;
    showError('');
    draw();
    reveal(canvas);
  }

  function stopEditing() {
    field('zone').value = '';
    form.reset();
    field('zone').value = '';
    points = [];
    mode.textContent = mode.dataset.new;
    cancel.hidden = true;
    draw();
  }

  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect();
    points.push([Math.round((e.clientX - r.left) * canvas.width / r.width),
      Math.round((e.clientY - r.top) * canvas.height / r.height)]);
    if (points.length >= 3 && !error.hidden) showError('');
    draw();
  });
  document.getElementById('zone-clear').addEventListener('click', () => { points = []; draw(); });
  cancel.addEventListener('click', stopEditing);
  form.addEventListener('submit', (e) => {
    if (points.length >= 3) return;
    e.preventDefault();
    showError(format(gettext('A zone needs at least 3 corners; %(n)s drawn. Click the picture to add corners.'), { n: points.length }));
  });
  document.querySelectorAll('#zone-list li[data-zone]').forEach((li) => {
    const i = zones.findIndex((z) => String(z.id) === li.dataset.zone);
    li.querySelector('.swatch').style.background = colour(i);
  });
  document.querySelectorAll('.zone-edit').forEach((b) => b.addEventListener('click', () => edit(b.dataset.zone)));
  document.querySelectorAll('.zone-delete').forEach((f) => f.addEventListener('submit', (e) => {
    if (!window.confirm(format(gettext('Delete the zone “%(name)s”?'), { name: f.dataset.name }))) e.preventDefault();
  }));
  if (field('zone').value) {
    const z = zones.find((zone) => String(zone.id) === field('zone').value);
    if (z) { mode.textContent = format(gettext('Editing the zone “%(name)s”: “Start again” and click its new corners, or change its name.'), { name: z.name }); cancel.hidden = false; }
  }
  if (!error.hidden) reveal(error);
  still.onload = draw;
  if (canvas.dataset.still) still.src = canvas.dataset.still;
  draw();
}());
