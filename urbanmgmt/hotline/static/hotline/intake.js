/* The intake pages: the import's progress, placing a ticket on the map, the review list.
   Actions go to /api/v1/hotline/ with the session's CSRF token; nothing leaves the server. */
(function () {
  "use strict";
  const {api, errorText} = window.UM;

  async function post(url, body) {
    const result = await api(url, {method: "POST", json: body});
    if (!result.ok) throw new Error(errorText(result));
    return result.data;
  }

  // --- the import's progress -----------------------------------------------------------
  const run = document.getElementById("import-run");
  if (run) {
    const bar = document.getElementById("import-progress");
    const count = document.getElementById("import-count");
    const poll = async () => {
      const answer = await api(run.dataset.status);
      if (!answer.ok) {
        count.textContent = errorText(answer);
        setTimeout(poll, 2000);
        return;
      }
      const s = answer.data;
      bar.value = s.total ? Math.round(100 * s.done / s.total) : 0;
      count.textContent = s.waiting || interpolate(gettext("%s rows read…"), [(s.summary && (s.summary.rows || s.summary.total)) || 0]);
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
        count.textContent = gettext("The import stopped.");
        return;
      }
      count.textContent = interpolate(gettext("Finished: %s rows."), [s.summary.total]);
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
      const answer = await api(`/api/v1/grids/?in_bbox=${bbox}&page_size=2000`);
      if (!answer.ok || !answer.data || !answer.data.features) return; // the grid layer is a help only
      grids.clearLayers();
      grids.addData(answer.data);
      document.getElementById("place-map").dataset.grids = String(answer.data.features.length);
    };
    map.on("moveend", loadGrids);
    loadGrids();
    let marker = null;
    let picked = null;
    const confirm = document.getElementById("place-confirm");
    map.on("click", (event) => {
      picked = event.latlng;
      if (marker) marker.setLatLng(picked); else marker = L.marker(picked).addTo(map);
      document.getElementById("place-picked").textContent = interpolate(gettext("Chosen: %s"), [`${picked.lng.toFixed(6)}, ${picked.lat.toFixed(6)}`]);
      confirm.disabled = false;
    });
    confirm.addEventListener("click", async () => {
      const error = document.getElementById("place-error");
      error.hidden = true;
      confirm.disabled = true;
      try {
        const ticket = await post(placing.dataset.place, {lon: picked.lng, lat: picked.lat});
        document.getElementById("place-picked").textContent = interpolate(gettext("Placed: case %s. Next ticket…"), [ticket.case_code || ""]);
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
    // One click on a suggestion: a category files the ticket under it, a bureau forwards it (转办).
    row.querySelectorAll("button.choice").forEach((choice) => {
      choice.addEventListener("click", async () => {
        const bureau = choice.dataset.kind === "bureau";
        row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
        try {
          await post(bureau ? row.dataset.forward : row.dataset.classify,
            bureau ? {bureau: choice.dataset.code} : {category: choice.dataset.code});
          result.textContent = bureau ? gettext("Forwarded.") : gettext("Saved.");
          result.classList.add("done");
          row.dataset.done = "1";
        } catch (e) {
          result.textContent = e.message;
          row.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        }
      });
    });
    button.addEventListener("click", async () => {
      const code = row.querySelector("select").value;
      if (!code) {
        result.textContent = gettext("Choose a category first.");
        return;
      }
      button.disabled = true;
      try {
        await post(row.dataset.classify, {category: code});
        result.textContent = gettext("Saved.");
        result.classList.add("done");
        row.dataset.done = "1";
      } catch (e) {
        result.textContent = e.message;
        button.disabled = false;
      }
    });
  });
})();
