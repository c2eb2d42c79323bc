/* A camera's page: click the corners of a new zone on its still picture (vision/camera.html). */
(function () {
  const canvas = document.getElementById("zone-canvas"), ctx = canvas.getContext("2d");
  const zones = JSON.parse(document.getElementById("zones-data").textContent);
  const still = new Image(); let points = [];
  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (still.complete && still.naturalWidth) ctx.drawImage(still, 0, 0, canvas.width, canvas.height);
    ctx.lineWidth = 3;
    for (const z of zones) { path(z.polygon, true); ctx.strokeStyle = "#ffd000"; ctx.stroke(); }
    if (points.length) { path(points, false); ctx.strokeStyle = "#e00"; ctx.stroke(); }
    document.getElementById("polygon").value = JSON.stringify(points);
  }
  function path(pts, close) {
    ctx.beginPath(); pts.forEach((p, i) => i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])); if (close) ctx.closePath();
  }
  canvas.addEventListener("click", (e) => {
    const r = canvas.getBoundingClientRect();
    points.push([Math.round((e.clientX - r.left) * canvas.width / r.width), Math.round((e.clientY - r.top) * canvas.height / r.height)]);
    draw();
  });
  document.getElementById("zone-clear").addEventListener("click", () => { points = []; draw(); });
  still.onload = draw; if (canvas.dataset.still) still.src = canvas.dataset.still; draw();
})();
