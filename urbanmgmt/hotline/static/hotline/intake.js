/* The intake pages: the import's progress, placing a ticket on the map, the review list.
   Actions go to /api/v1/hotline/ with the session's CSRF token; nothing leaves the server. */
(function () {
  "use strict";
  const strings = JSON.parse((document.getElementById("intake-strings") || {}).textContent || "{}");
  const t = (key, value) => (strings[key] || key).replace("%s", value === undefined ? "" : value);

  function csrf() {
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  async function post(url, body) {
    let response;
    try {
      response = await fetch(url, {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json"},
        body: JSON.stringify(body)});
    } catch (e) {
      throw new Error(t("offline"));
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = data.detail || data.message || Object.values(data).flat().join(" ") || response.statusText;
      throw new Error(detail);
    }
    return data;
  }

  // --- the import's progress -----------------------------------------------------------
  const run = document.getElementById("import-run");
  if (run) {
    const bar = document.getElementById("import-progress");
    const count = document.getElementById("import-count");
    const poll = async () => {
      let s;
      try {
        s = await (await fetch(run.dataset.status, {credentials: "same-origin"})).json();
      } catch (e) {
        count.textContent = t("offline");
        setTimeout(poll, 2000);
        return;
      }
      bar.value = s.total ? Math.round(100 * s.done / s.total) : 0;
      count.textContent = s.waiting || t("rows_read", (s.summary && (s.summary.rows || s.summary.total)) || 0);
      if (!s.finished) {
        setTimeout(poll, 700);
        return;
      }
      bar.value = 100;
      run.dataset.finished = "1";
      if (s.error) {
        const error = document.getElementById("import-error");
        error.textContent = s.error;
        error.hidden = false;
        count.textContent = t("stopped");
        return;
      }
      count.textContent = t("finished", s.summary.total);
      const summary = document.getElementById("import-summary");
      summary.querySelectorAll("[data-key]").forEach((cell) => { cell.textContent = s.summary[cell.dataset.key]; });
      const notes = document.getElementById("import-notes");
      (s.summary.notes || []).forEach((note) => {
        const li = document.createElement("li");
        li.textContent = note;
        notes.appendChild(li);
      });
      document.getElementById("import-rejects").hidden = !s.has_rejects;
      summary.hidden = false;
    };
    poll();
  }

  // --- placing a ticket on the map --------------------------------------------------------
  const placing = document.getElementById("place-ticket");
  if (placing && window.L) {
    const config = JSON.parse(document.getElementById("intake-map").textContent);
    const map = L.map("place-map", {maxZoom: 19});
    if (config.tiles) {
      L.tileLayer(config.tiles, {attribution: config.attribution, maxZoom: 19}).addTo(map);
    }
    map.fitBounds([[config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]]);
    const grids = L.geoJSON(null, {style: {color: "#3366aa", weight: 1, fillOpacity: 0.05}}).addTo(map);
    let loaded = "";
    const loadGrids = async () => {
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
      if (bbox === loaded) return;
      loaded = bbox;
      try {
        const data = await (await fetch(`/api/v1/grids/?in_bbox=${bbox}&page_size=2000`, {credentials: "same-origin"})).json();
        grids.clearLayers();
        grids.addData(data.features ? data : {type: "FeatureCollection", features: []});
        document.getElementById("place-map").dataset.grids = String((data.features || []).length);
      } catch (e) { /* the grid layer is a help only */ }
    };
    map.on("moveend", loadGrids);
    loadGrids();
    let marker = null;
    let picked = null;
    const confirm = document.getElementById("place-confirm");
    map.on("click", (event) => {
      picked = event.latlng;
      if (marker) marker.setLatLng(picked); else marker = L.marker(picked).addTo(map);
      document.getElementById("place-picked").textContent = t("picked", `${picked.lng.toFixed(6)}, ${picked.lat.toFixed(6)}`);
      confirm.disabled = false;
    });
    confirm.addEventListener("click", async () => {
      const error = document.getElementById("place-error");
      error.hidden = true;
      confirm.disabled = true;
      try {
        const ticket = await post(placing.dataset.place, {lon: picked.lng, lat: picked.lat});
        document.getElementById("place-picked").textContent = t("placed", ticket.case_code || "");
        setTimeout(() => window.location.reload(), 800);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        confirm.disabled = false;
      }
    });
  }

  // --- the review list -----------------------------------------------------------------------
  document.querySelectorAll("tr.review-row").forEach((row) => {
    const button = row.querySelector("button.classify");
    const result = row.querySelector(".result");
    button.addEventListener("click", async () => {
      const code = row.querySelector("select").value;
      if (!code) {
        result.textContent = t("choose_first");
        return;
      }
      button.disabled = true;
      try {
        await post(row.dataset.classify, {category: code});
        result.textContent = t("classified");
        result.classList.add("done");
        row.dataset.done = "1";
      } catch (e) {
        result.textContent = e.message;
        button.disabled = false;
      }
    });
  });
})();
