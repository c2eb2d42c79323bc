/* The intake pages: the import's progress, placing a ticket on the map, the review list.
   Actions go to /api/v1/hotline/ with the session's CSRF token; nothing leaves the server. */
(function () {
  "use strict";
  const {api, errorText, reveal, bound} = window.UM;

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
      const read = (s.summary && (s.summary.rows || s.summary.total)) || 0;
      count.textContent = s.waiting || interpolate(ngettext("%s row read…", "%s rows read…", read), [read]);
      if (!s.finished) {
        setTimeout(poll, 700);
        return;
      }
      run.dataset.finished = "1";
      if (s.error) { // the bar stays where the rows stopped (none read: the file was refused whole)
        const error = document.getElementById("import-error");
        error.textContent = s.error;
        error.hidden = false;
        bar.hidden = !s.done;
        count.textContent = gettext("The import stopped.");
        document.getElementById("import-again").hidden = false;
        return;
      }
      bar.value = 100;
      count.textContent = interpolate(ngettext("Finished: %s row.", "Finished: %s rows.", s.summary.total), [s.summary.total]);
      const summary = document.getElementById("import-summary");
      summary.querySelectorAll("[data-key]").forEach((cell) => { cell.textContent = s.summary[cell.dataset.key]; });
      const notes = document.getElementById("import-notes");
      (s.summary.notes || []).forEach((note) => {
        const li = document.createElement("li");
        li.textContent = note;
        notes.appendChild(li);
      });
      document.getElementById("import-rejects").hidden = !s.has_rejects;
      // The first refused rows, with why: the CSV below has them all.
      document.querySelector("#import-rejects-shown tbody").replaceChildren(...(s.rejects_shown || []).map((r) => {
        const tr = document.createElement("tr");
        [r.line, r.id || "—", r.reason].forEach((value) => {
          const td = document.createElement("td");
          td.textContent = value;
          tr.appendChild(td);
        });
        return tr;
      }));
      summary.hidden = false;
    };
    poll();
  }

  /* An error where the user looks: under the button pressed, scrolled into view. */
  function fail(node, message) {
    node.textContent = message;
    node.hidden = false;
    reveal(node);
  }

  function formValues(form) {
    const values = {};
    new FormData(form).forEach((value, key) => { values[key] = typeof value === 'string' ? value.trim() : value; });
    return values;
  }

  // --- placing a ticket on the map --------------------------------------------------------
  const DONE_KEY = "intake-done";
  const said = document.getElementById("intake-done");
  if (said && sessionStorage.getItem(DONE_KEY)) {
    said.textContent = sessionStorage.getItem(DONE_KEY);
    said.hidden = false;
  }
  sessionStorage.removeItem(DONE_KEY);
  const placing = document.getElementById("place-ticket");
  if (placing && window.L) {
    const config = JSON.parse(document.getElementById("intake-map").textContent);
    const map = L.map("place-map", {maxZoom: 19});
    if (config.tiles) {
      L.tileLayer(config.tiles, {attribution: config.attribution, maxZoom: 19}).addTo(map);
    }
    map.fitBounds([[config.bounds[1], config.bounds[0]], [config.bounds[3], config.bounds[2]]]);
    // The dispatch map's aggregated layer: streets when far, communities, then unit grids
    // (zoom 15 and closer), so the map draws tens of shapes, never thousands.
    const grids = L.geoJSON(null, {
      style: (f) => ({color: f.properties.level === "grid" ? "#3366aa" : "#1f3d66", weight: f.properties.level === "grid" ? 1 : 1.5,
        fillOpacity: 0.04}),
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, {sticky: true}),
    }).addTo(map);
    let loaded = "";
    const loadGrids = async () => {
      const b = map.getBounds();
      const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
      const key = `${bbox}/${map.getZoom()}`;
      if (key === loaded) return;
      loaded = key;
      const answer = await api(`/api/v1/map/grids/?bbox=${bbox}&zoom=${map.getZoom()}`);
      if (!answer.ok || !answer.data || !answer.data.features) return; // the grid layer is a help only
      grids.clearLayers();
      grids.addData(answer.data);
      const box = document.getElementById("place-map");
      box.dataset.level = answer.data.level || "";
      box.dataset.grids = String(answer.data.features.length);
    };
    map.on("moveend", loadGrids);
    loadGrids();
    let marker = null;
    let picked = null;
    const confirm = document.getElementById("place-confirm");
    const error = document.getElementById("place-error");
    // The next ticket's page says what became of this one (its number, and where it went).
    const next = (done) => {
      if (done) sessionStorage.setItem(DONE_KEY, done);
      window.location.assign(placing.dataset.next || window.location.pathname);
    };
    const number = placing.dataset.external;
    map.on("click", (event) => {
      picked = event.latlng;
      // A drawn circle: Leaflet's default pin is an image looked for beside the page (a 404 here).
      if (marker) marker.setLatLng(picked);
      else marker = L.circleMarker(picked, {radius: 9, color: "#b00020", weight: 3, fillOpacity: 0.35}).addTo(map);
      document.getElementById("place-picked").textContent = interpolate(gettext("Chosen: %s"), [`${picked.lng.toFixed(6)}, ${picked.lat.toFixed(6)}`]);
      confirm.disabled = false;
    });
    confirm.addEventListener("click", async () => {
      error.hidden = true;
      confirm.disabled = true;
      try {
        const ticket = await post(placing.dataset.place, {lon: picked.lng, lat: picked.lat});
        document.getElementById("place-picked").textContent = interpolate(gettext("Placed: case %s. Next ticket…"), [ticket.case_code || ""]);
        setTimeout(() => next(interpolate(gettext("Ticket %s placed: case %s."), [number, ticket.case_code || "—"])), 800);
      } catch (e) {
        fail(error, e.message);
        confirm.disabled = false;
      }
    });
    // Cannot place (set aside, with the reason) or not ours (forwarded to a bureau, 转办).
    [["set-aside-form", placing.dataset.setAside], ["forward-form", placing.dataset.forward]].forEach(([id, url]) => {
      const form = document.getElementById(id);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.hidden = true;
        const button = form.querySelector("button");
        button.disabled = true;
        try {
          const values = formValues(form);
          await post(url, values);
          form.dataset.done = "1";
          const bureau = form.querySelector("select[name=bureau]");
          next(bureau ? interpolate(gettext("Ticket %s forwarded to %s."), [number, bureau.selectedOptions[0].textContent])
            : interpolate(gettext("Ticket %s set aside."), [number]));
        } catch (e) {
          fail(error, e.message);
          button.disabled = false;
        }
      });
      bound(form);
    });
  }

  // --- the review list -----------------------------------------------------------------------
  document.querySelectorAll("tr.review-row").forEach((row) => {
    const result = row.querySelector(".result");
    const buttons = () => row.querySelectorAll("button");
    const decide = async (url, body, done) => {
      buttons().forEach((b) => { b.disabled = true; });
      result.classList.remove("done", "error");
      try {
        await post(url, body);
        result.textContent = done;
        result.classList.add("done");
        row.dataset.done = "1";
        return true;
      } catch (e) {
        result.textContent = e.message;
        result.classList.add("error");
        reveal(result);
        buttons().forEach((b) => { b.disabled = false; });
        return false;
      }
    };
    const field = row.querySelector("input.category-search");
    const chosen = row.querySelector(".chosen-category");
    // The list's entry of a category code ("E0102 暴露垃圾"), as the field shows a choice.
    const entryOf = (code) => Array.from(field.list ? field.list.options : [])
      .map((o) => o.value).find((v) => v.split(/\s+/)[0] === code) || code;
    // One click on a suggestion: a category files the ticket under it (the field then shows it),
    // a bureau forwards it (转办).
    row.querySelectorAll("button.choice").forEach((choice) => {
      choice.addEventListener("click", async () => {
        const bureau = choice.dataset.kind === "bureau";
        const entry = bureau ? "" : entryOf(choice.dataset.code);
        const saved = await decide(bureau ? row.dataset.forward : row.dataset.classify,
          bureau ? {bureau: choice.dataset.code} : {category: choice.dataset.code},
          bureau ? gettext("Forwarded.") : interpolate(gettext("Saved: %s."), [entry]));
        if (saved && !bureau) { field.value = entry; showChosen(); }
      });
    });
    // A long category name is cut inside a phone's field: the chosen one then reads whole under it.
    const showChosen = () => {
      field.title = field.value;
      chosen.textContent = field.value;
      chosen.hidden = !field.value || field.scrollWidth <= field.clientWidth;
    };
    field.addEventListener("input", showChosen);
    new ResizeObserver(showChosen).observe(field);
    row.querySelector("button.classify").addEventListener("click", () => {
      // The list's entries read "E0102 暴露垃圾": the code is the first word.
      const code = row.querySelector("input.category-search").value.trim().split(/\s+/)[0];
      if (!code) {
        result.textContent = gettext("Choose a category first.");
        result.classList.add("error");
        reveal(result);
        return;
      }
      decide(row.dataset.classify, {category: code}, interpolate(gettext("Saved: %s."), [entryOf(code)]));
    });
    row.querySelector("button.forward").addEventListener("click", () => {
      const bureau = row.querySelector("select[name=bureau]").value;
      if (!bureau) {
        result.textContent = gettext("Choose the bureau to forward to.");
        result.classList.add("error");
        reveal(result);
        return;
      }
      decide(row.dataset.forward, {bureau, reason: row.querySelector("input[name=reason]").value.trim()}, gettext("Forwarded."));
    });
    // Skip: no decision; the row folds away and the next one is where the eye goes.
    row.querySelector("button.skip").addEventListener("click", () => {
      row.dataset.skipped = "1";
      row.hidden = true;
      let next = row.nextElementSibling;
      while (next && next.hidden) next = next.nextElementSibling;
      if (next && next.querySelector("button")) next.querySelector("button").focus();
    });
  });

  // --- one ticket: answer (答复), callback (回访), take back -----------------------------------
  const page = document.getElementById("ticket");
  if (page) {
    const error = document.getElementById("ticket-error");
    const done = document.getElementById("ticket-done");
    // An error goes under the button pressed (the form's own line), where the user looks.
    const errorOf = (button) => (button.form && button.form.querySelector(".error")) || error;
    const act = async (url, body, button, message) => {
      page.querySelectorAll(".error").forEach((node) => { node.hidden = true; });
      button.disabled = true;
      try {
        await post(url, body);
        done.textContent = message;
        setTimeout(() => window.location.reload(), 600);
      } catch (e) {
        fail(errorOf(button), e.message);
        button.disabled = false;
      }
    };
    const answer = document.getElementById("answer-form");
    if (answer) {
      const send = answer.querySelector("button[type=submit]");
      answer.addEventListener("submit", (event) => {
        event.preventDefault();
        act(`${page.dataset.api}answer/`, formValues(answer), send, gettext("Answer sent."));
      });
      // A knowledge base entry (知识库): sent as it is in one click, or put in the form to edit;
      // either way the entry goes with the answer. What the clerk had typed is kept aside and
      // comes back if the entry is dropped before its text is edited.
      const from = document.getElementById("answer-entry");
      let typed = null;
      const choose = (item) => {
        if (!answer.elements.entry.value) typed = answer.elements.answer.value;
        answer.elements.answer.value = item.querySelector(".kb-answer").textContent.trim();
        answer.elements.entry.value = item.dataset.code;
        from.querySelector("span").textContent = item.dataset.code;
        from.hidden = false;
      };
      page.querySelectorAll(".kb-match").forEach((item) => {
        item.querySelector(".kb-send").addEventListener("click", (event) => {
          choose(item);
          act(`${page.dataset.api}answer/`, formValues(answer), event.currentTarget, gettext("Answer sent."));
        });
        item.querySelector(".kb-use").addEventListener("click", () => {
          choose(item);
          answer.elements.answer.focus();
        });
      });
      from.querySelector(".kb-drop").addEventListener("click", () => {
        const entry = page.querySelector(`.kb-match[data-code="${CSS.escape(answer.elements.entry.value)}"] .kb-answer`);
        if (typed !== null && entry && answer.elements.answer.value === entry.textContent.trim()) {
          answer.elements.answer.value = typed;
        }
        typed = null;
        answer.elements.entry.value = "";
        from.hidden = true;
      });
    }
    const callback = document.getElementById("callback-form");
    if (callback) callback.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = formValues(callback);
      if (!values.satisfaction) {
        fail(errorOf(callback.querySelector("button")),
          gettext("Choose what the citizen said: satisfied, basically satisfied, unsatisfied or not reached."));
        return;
      }
      const body = {satisfaction: values.satisfaction, note: values.note || ""};
      if (values.resolved) body.resolved = values.resolved;
      act(`${page.dataset.api}callback/`, body, callback.querySelector("button"), gettext("Callback recorded."));
    });
    // A forwarded ticket taken back into city management (the clerk overrules the 转办).
    const takeIn = document.getElementById("take-in-form");
    if (takeIn) {
      takeIn.addEventListener("submit", (event) => {
        event.preventDefault();
        const code = formValues(takeIn).category.split(/\s+/)[0];
        act(takeIn.dataset.url, {category: code}, takeIn.querySelector("button"), gettext("Saved."));
      });
    }
    const back = document.getElementById("take-back");
    if (back) back.addEventListener("click", () => act(back.dataset.url, {}, back, gettext("Back in the placement queue.")));
    bound(page);
  }
})();
