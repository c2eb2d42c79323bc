/* 考核指标看板 (the managers' dashboard, /kpi/). Plain JS, no build step.
 *
 * Every section fetches its own JSON from /api/v1/kpi/… with the session cookie. The period
 * (start, end — both inclusive, YYYY-MM-DD) and the area code are read from the controls;
 * changing either reloads every section. Server data is only ever put into the page as text
 * (never as HTML). Its words come from Django's JavaScript catalogue; the labels it shares with the
 * Excel workbook (channels, periods, who is evaluated) from the page (#kpi-labels, views.py).
 */
(function () {
  "use strict";

  var root = document.getElementById("kpi-dashboard");
  if (!root) return;

  var API = root.getAttribute("data-api") || "/api/v1/kpi/";
  var EXPORT_URL = root.getAttribute("data-export") || "/kpi/export.xlsx";
  var ASK_EXPORT_URL = root.getAttribute("data-ask-export") || "/kpi/export/";
  var TODAY = parseDate(root.getAttribute("data-today")) || parseDate(UM.cityToday()); // the city's day
  var DEFAULT_TARGET = 0.95;

  // Which quotas ({year: [area code, "" for the city]}) and schemes (from a day) are set.
  var TARGETS = JSON.parse((document.getElementById("kpi-targets") || {}).textContent || "{}");
  TARGETS.quotas = TARGETS.quotas || {};
  var WORDS = JSON.parse((document.getElementById("kpi-labels") || {}).textContent || "{}");
  var CHANNELS = WORDS.channels || {};
  var BY_LABEL = WORDS.by || {};
  var PERIOD_LABEL = WORDS.periods || {};
  var WHO_LABEL = WORDS.who || {};
  var METHOD = { seasonal: gettext("seasonal"), linear: gettext("linear") };
  var GRADES = ["A", "B", "C", "D", "E"];
  // Numbers and names are formatted and sorted in the page's language.
  var LOCALE = document.documentElement.lang === "en" ? "en" : "zh-CN";

  /** `text` (from gettext) with its %(name)s filled in from `values` (and %% as %). */
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s|%%/g, function (all, name) {
      return name ? String(values && values[name] !== undefined ? values[name] : "") : "%";
    });
  }

  /** A whole count in words, in the language's plural form ("1 case", "3 cases"). */
  function cases(n) { return fmt(ngettext("%(n)s case", "%(n)s cases", n), { n: int(n) }); }
  function days(n) { return fmt(ngettext("%(n)s day", "%(n)s days", n), { n: int(n) }); }

  var els = {
    period: document.getElementById("period"),
    customBox: document.getElementById("custom-range"),
    start: document.getElementById("custom-start"),
    end: document.getElementById("custom-end"),
    area: document.getElementById("area"),
    periodText: document.getElementById("period-text"),
    controlsError: document.getElementById("controls-error"),
    exportLink: document.getElementById("export-link"),
    exportText: document.getElementById("export-text"),
    quota: document.getElementById("quota-card"),
    validRate: document.getElementById("valid-rate-card"),
    validRateChart: document.getElementById("valid-rate-chart"),
    hotline: document.getElementById("hotline-card"),
    campaigns: document.getElementById("campaigns-card"),
    evaluation: document.getElementById("evaluation-card")
  };

  // The controls stay at the top (position: sticky): a card scrolled to (a link to #hotline-card,
  // the keyboard's focus) must stop below them, however many lines they wrap to.
  (function keepCardsBelowTheControls() {
    var bar = document.getElementById("kpi-controls");
    var fit = function () { document.documentElement.style.setProperty("--kpi-bar", bar.offsetHeight + "px"); };
    fit();
    if (window.ResizeObserver) new ResizeObserver(fit).observe(bar);
  }());

  var state = {
    start: null, // Date
    end: null, // Date
    area: "",
    by: "channel",
    who: "inspector",
    target: DEFAULT_TARGET, // valid-report rate target, from the quota when there is one
    validRows: null, // last valid-rate results, for re-sorting / re-highlighting
    validSort: null, // {key, dir: 1|-1}
    chart: null
  };

  /* ---------- dates ---------- */

  var pad = UM.pad;

  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }

  function parseDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!m) return null;
    var d = new Date(+m[1], +m[2] - 1, +m[3]);
    return d.getMonth() === +m[2] - 1 ? d : null;
  }

  function addDays(d, n) { return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n); }

  /** [start, end] (inclusive) of a preset period, anchored on today. */
  function presetRange(kind, today) {
    var y = today.getFullYear(), m = today.getMonth();
    switch (kind) {
      case "day":
        return [today, today];
      case "week": {
        var monday = addDays(today, -((today.getDay() + 6) % 7)); // getDay: 0 = Sunday
        return [monday, addDays(monday, 6)];
      }
      case "month":
        return [new Date(y, m, 1), new Date(y, m + 1, 0)];
      case "quarter": {
        var q = Math.floor(m / 3) * 3;
        return [new Date(y, q, 1), new Date(y, q + 3, 0)];
      }
      case "year":
        return [new Date(y, 0, 1), new Date(y, 11, 31)];
    }
    return null;
  }

  /* ---------- formatting and DOM (the pages' toolkit, ui.js) ---------- */

  var isNum = UM.isNum;
  var h = UM.el;
  var append = UM.append;
  function int(v) { return UM.number(isNum(v) ? Math.round(v) : v); }
  function dec1(v) { return UM.number(v, 1); }
  function pct(v) { return UM.percent(v); }

  /** A link to the cases behind a figure, or plain text when there is no URL. */
  /* The cases behind a figure open on the dispatch map with the same filters (every state,
     unless the figure names some); the API URL stays in the JSON for other programs. */
  function mapUrl(apiUrl) {
    var query = new URLSearchParams(apiUrl.split("?")[1] || "");
    if (!query.has("state") && !query.has("open")) query.set("open", "all");
    return "/map/?" + query.toString();
  }

  function caseLink(url, text, title) {
    if (!url) return h("span", { title: title }, text);
    return h("a", { href: mapUrl(url), target: "_blank", rel: "noopener", class: "kpi-drill", title: title || gettext("See these cases on the map") }, text);
  }

  function body(card) { return card.querySelector("[data-body]"); }

  function fill(card, content) {
    var b = body(card);
    b.textContent = "";
    append(b, content);
  }

  function busy(card, on) {
    card.classList.toggle("kpi-loading", on);
    card.setAttribute("aria-busy", on ? "true" : "false");
  }

  function muted(text) { return h("p", { class: "kpi-muted" }, text); }

  /* ---------- fetching ---------- */

  var STATUS_TEXT = {};
  STATUS_TEXT[400] = gettext("bad request parameters");
  STATUS_TEXT[401] = gettext("not signed in, or the session has expired: sign in again");
  STATUS_TEXT[403] = gettext("no permission to see these figures");
  STATUS_TEXT[404] = gettext("no data found");
  STATUS_TEXT[500] = gettext("internal server error");
  STATUS_TEXT[502] = gettext("gateway error");
  STATUS_TEXT[503] = gettext("service unavailable");
  STATUS_TEXT[504] = gettext("gateway timeout");

  function ApiError(status, detail) {
    this.status = status;
    this.detail = detail;
    this.message = "HTTP " + status + (detail ? ": " + detail : "");
  }

  function buildUrl(path, params) {
    var q = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      // An empty area means the whole city: the parameter is left out (the API rejects `area=`).
      if (v === null || v === undefined || v === "") return;
      q.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
    });
    return path + (q.length ? "?" + q.join("&") : "");
  }

  var controllers = {};

  /** GET JSON for a section; aborts that section's previous request. */
  function getJSON(section, url) {
    if (controllers[section]) controllers[section].abort();
    var controller = new AbortController();
    controllers[section] = controller;
    return UM.api(url, { signal: controller.signal }).then(function (r) {
      if (r.error === "aborted") { var abort = new Error("aborted"); abort.name = "AbortError"; throw abort; }
      if (r.status === 0) throw new Error(UM.errorText(r));
      if (!r.ok) throw new ApiError(r.status, UM.describe(r.data));
      if (!r.data || typeof r.data !== "object") throw new ApiError(r.status, gettext("The server did not answer with JSON data"));
      return r.data;
    });
  }

  function isAbort(err) { return err && err.name === "AbortError"; }

  function errorBox(err, what) {
    if (err instanceof ApiError) {
      var head = fmt(gettext("Could not load %(what)s (HTTP %(status)s%(text)s)"), { what: what, status: err.status, text: STATUS_TEXT[err.status] ? " " + STATUS_TEXT[err.status] : "" });
      return h("div", { class: "kpi-error", role: "alert" },
        h("strong", null, head),
        err.detail ? h("p", null, err.detail) : null);
    }
    return h("div", { class: "kpi-error", role: "alert" },
      h("strong", null, fmt(gettext("Could not load %(what)s: the server cannot be reached"), { what: what })),
      err && err.message ? h("p", null, String(err.message)) : null);
  }

  /** Loads one section: fetch, then render, or show the error in the card. */
  function load(section, card, url, render, what) {
    busy(card, true);
    return getJSON(section, url).then(function (data) {
      busy(card, false);
      render(data);
    }, function (err) {
      if (isAbort(err)) return;
      busy(card, false);
      if (window.console && !(err instanceof ApiError)) console.warn(section, err);
      renderError(section, card, err, what);
    }).catch(function (err) {
      // A rendering bug must not take the other sections down; show it in the card.
      busy(card, false);
      if (window.console) console.warn(section, err);
      fill(card, h("div", { class: "kpi-error", role: "alert" }, h("strong", null, fmt(gettext("Error while showing %(what)s"), { what: what })), h("p", null, String(err && err.message || err))));
    });
  }

  /** A section whose target (quota, scheme) is not set: said so, with no request, and where
      to set it for a user who may (`link`), else who does (`who`). */
  function notSet(section, card, what, link, linkText, who) {
    if (controllers[section]) controllers[section].abort();
    busy(card, false);
    fill(card, h("div", { class: "kpi-notice", role: "status", "data-not-set": section }, h("strong", null, what),
      link ? h("p", null, h("a", { href: link }, linkText)) : h("p", null, who)));
  }

  function renderError(section, card, err, what) {
    if (section === "quota") { state.target = DEFAULT_TARGET; rerenderValidRate(); }
    if (section === "validRate") { state.validRows = null; showChart(false); }
    if (section === "quota" && err instanceof ApiError && err.status === 404 && err.detail) {
      // No quota for that year: the server says so (and where to set it).
      fill(card, h("div", { class: "kpi-notice", role: "status" }, h("strong", null, gettext("No annual collection quota is set")), h("p", null, err.detail)));
      return;
    }
    fill(card, errorBox(err, what));
  }

  /* ---------- controls ---------- */

  function readControls() {
    var kind = els.period.value;
    var range;
    if (kind === "custom") {
      var s = parseDate(els.start.value), e = parseDate(els.end.value);
      if (!s || !e) return { error: gettext("Choose a start date and an end date.") };
      if (s > e) return { error: gettext("The start date cannot be after the end date.") };
      range = [s, e];
    } else {
      range = presetRange(kind, TODAY);
    }
    return { kind: kind, start: range[0], end: range[1], area: els.area.value };
  }

  function onPeriodChange() {
    var custom = els.period.value === "custom";
    els.customBox.hidden = !custom;
    if (custom && (!els.start.value || !els.end.value) && state.start) {
      // Start the custom range from the period shown so far.
      els.start.value = iso(state.start);
      els.end.value = iso(state.end);
    }
    reload();
  }

  function areaName() {
    var opt = els.area.options[els.area.selectedIndex];
    return opt ? opt.textContent.trim() : gettext("Whole city");
  }

  function rememberInUrl(c) {
    if (!window.history || !history.replaceState) return;
    var params = { period: c.kind, area: c.area };
    if (c.kind === "custom") { params.start = iso(c.start); params.end = iso(c.end); }
    try { history.replaceState(null, "", buildUrl(location.pathname, params) + location.hash); } catch (e) { /* ignore */ }
  }

  function restoreFromUrl() {
    var q = new URLSearchParams(location.search);
    var kind = q.get("period");
    if (kind && PERIOD_LABEL[kind]) els.period.value = kind;
    if (kind === "custom") {
      if (parseDate(q.get("start"))) els.start.value = q.get("start");
      if (parseDate(q.get("end"))) els.end.value = q.get("end");
    }
    var area = q.get("area");
    if (area && Array.prototype.some.call(els.area.options, function (o) { return o.value === area; })) els.area.value = area;
    els.customBox.hidden = els.period.value !== "custom";
  }

  function periodParams() {
    return { start: iso(state.start), end: iso(state.end), area: state.area };
  }

  /** Every section again, for the period and area in the controls. */
  function reload() {
    var c = readControls();
    if (c.error) {
      els.controlsError.textContent = c.error;
      els.controlsError.hidden = false;
      if (!state.start) {  // nothing shown yet (a link with a wrong period): not "Loading…" for ever
        [els.quota, els.validRate, els.hotline, els.campaigns, els.evaluation].forEach(function (card) {
          fill(card, muted(gettext("Correct the period above to see the figures.")));
        });
        els.exportLink.hidden = true;
        root.setAttribute("data-ready", "1");
      }
      return;
    }
    els.exportLink.hidden = false;
    els.controlsError.hidden = true;
    state.start = c.start;
    state.end = c.end;
    state.area = c.area;
    var same = iso(c.start) === iso(c.end);
    els.periodText.textContent = fmt(gettext("Period (%(kind)s): %(range)s · %(area)s · today %(today)s"), { kind: PERIOD_LABEL[c.kind],
      range: same ? iso(c.start) : fmt(gettext("%(first)s to %(last)s"), { first: iso(c.start), last: iso(c.end) }), area: areaName(), today: iso(TODAY) });
    rememberInUrl(c);
    updateExport();
    track([loadQuota(), loadValidRate(), loadHotline(), loadCampaigns(), loadEvaluation()]);
  }

  /** data-ready="1" once every load under way has its figures or its error (for tests and
      the page-ready benchmark); "0" while any is. */
  var pending = 0;
  function track(loads) {
    pending += loads.length;
    root.setAttribute("data-ready", "0");
    loads.forEach(function (loading) {
      Promise.resolve(loading).then(settled, settled);
    });
  }

  function settled() {
    pending -= 1;
    if (!pending) root.setAttribute("data-ready", "1");
  }

  /** "first to last" of two days (one day alone when they are the same). */
  /** fmt with nodes for values: the sentence's text around them, for h(). */
  function fmtNodes(text, values) {
    return String(text).split(/(%\(\w+\)s)/).map(function (part) {
      var m = /^%\((\w+)\)s$/.exec(part);
      return m ? values[m[1]] : part.replace(/%%/g, "%");
    });
  }

  /** The range as rangeText, each day kept whole on its line (it broke as "2026-12-" / "06"). */
  function rangeNodes(first, last) {
    var day = function (d) { return h("span", { class: "nowrap" }, iso(d)); };
    if (!first || !last || iso(first) === iso(last)) return first ? day(first) : "";
    return fmtNodes(gettext("%(first)s to %(last)s"), { first: day(first), last: day(last) });
  }

  function updateExport() {
    els.exportLink.href = buildUrl(EXPORT_URL, periodParams());
    els.exportText.textContent = fmt(gettext("%(range)s, %(area)s"), { range: fmt(gettext("%(first)s to %(last)s"), { first: iso(state.start), last: iso(state.end) }), area: areaName() });
  }

  /* ---------- 1. the annual quota (年度采集指标) ---------- */

  function loadQuota() {
    var asOf = state.end < TODAY ? state.end : TODAY;
    var year = state.end.getFullYear();
    if ((TARGETS.quotas[year] || []).indexOf(state.area) < 0) {
      state.target = DEFAULT_TARGET;
      rerenderValidRate();
      notSet("quota", els.quota, fmt(gettext("No annual collection quota is set for %(year)s yet"), { year: year }),
        TARGETS.quota_admin ? buildUrl(TARGETS.quota_admin, { year: year }) : "",
        gettext("Set this year's quota"), gettext("An administrator sets it under Targets and indicators in the admin."));
      return null;
    }
    var url = buildUrl(API + "quota/", { year: year, area: state.area, as_of: iso(asOf) });
    return load("quota", els.quota, url, renderQuota, gettext("annual collection quota"));
  }

  function renderQuota(d) {
    state.target = isNum(d.valid_rate_target) ? d.valid_rate_target : DEFAULT_TARGET;
    rerenderValidRate();

    var quota = d.quota || 0;
    var share = isNum(d.share_of_quota) ? d.share_of_quota : quota ? d.collected / quota : null;
    var expectedShare = quota && isNum(d.expected_by_now) ? d.expected_by_now / quota : null;
    var width = function (v) { return Math.max(0, Math.min(1, v || 0)) * 100 + "%"; };
    var onPace = !!d.on_pace;
    var rateOk = isNum(d.valid_rate) && isNum(d.valid_rate_target) ? d.valid_rate >= d.valid_rate_target : null;

    var bar = h("div", { class: "kpi-bar kpi-bar-big", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(quota),
                         "aria-valuenow": String(d.collected), "aria-label": gettext("Collected, as a share of the annual quota") },
      h("div", { class: "kpi-bar-fill " + (onPace ? "ok" : "bad"), style: "width:" + width(share) }),
      expectedShare !== null ? h("div", { class: "kpi-bar-marker", style: "left:" + width(expectedShare),
                                          title: fmt(gettext("Due by %(date)s at this pace: %(n)s cases"), { date: d.as_of, n: int(d.expected_by_now) }) }) : null);

    fill(els.quota, [
      h("p", { class: "kpi-sub" }, fmt(gettext("%(year)s · as of %(date)s · %(area)s"), { year: d.year, date: d.as_of, area: areaName() })),
      h("div", { class: "kpi-quota-head" },
        h("div", { class: "kpi-big" }, h("span", { class: "kpi-num" }, int(d.collected)), h("span", { class: "kpi-of" }, fmt(gettext(" / %(n)s cases"), { n: int(quota) }))),
        h("span", { class: "kpi-badge " + (onPace ? "ok" : "bad") }, onPace ? gettext("On pace") : gettext("Behind pace"))),
      bar,
      h("p", { class: "kpi-bar-legend" },
        fmt(gettext("Done %(share)s"), { share: pct(share) }), h("span", { class: "kpi-legend-marker", "aria-hidden": "true" }),
        fmt(gettext("Due by now at this pace: %(n)s cases"), { n: int(d.expected_by_now) }) + (expectedShare !== null ? fmt(gettext(" (%(share)s)"), { share: pct(expectedShare) }) : "")),
      h("dl", { class: "kpi-facts" },
        h("div", null, h("dt", null, gettext("Working days left")), h("dd", null, days(d.working_days_remaining),
          h("small", null, fmt(gettext(" (%(elapsed)s of %(total)s days gone)"), { elapsed: int(d.working_days_elapsed), total: int(d.working_days_total) })))),
        h("div", null, h("dt", null, gettext("To collect each working day")), h("dd", { class: isNum(d.needed_per_working_day) && isNum(d.pace_per_working_day) &&
          d.needed_per_working_day > d.pace_per_working_day ? "bad" : "" }, fmt(ngettext("%(n)s case", "%(n)s cases", 2), { n: dec1(d.needed_per_working_day) }))),
        h("div", null, h("dt", null, gettext("Collected per working day so far")), h("dd", null, fmt(ngettext("%(n)s case", "%(n)s cases", 2), { n: dec1(d.pace_per_working_day) }))),
        h("div", null, h("dt", null, gettext("Projected for the year")), h("dd", { class: onPace ? "ok" : "bad" }, cases(d.projection),
          h("small", null, fmt(gettext(" (95%% range %(low)s–%(high)s, method: %(method)s)"), { low: int(d.projection_low), high: int(d.projection_high),
                                                     method: METHOD[d.method] || d.method || "—" })))),
        h("div", null, h("dt", null, fmtNodes(gettext("Valid-report rate, year to date (%(range)s)"), { range: rangeNodes(new Date(d.year, 0, 1), parseDate(d.as_of)) })), h("dd", { class: rateOk === null ? "" : rateOk ? "ok" : "bad" }, UM.percentBeside(d.valid_rate, d.valid_rate_target),
          h("small", null, fmt(gettext(" (target %(target)s; filed: %(filed)s)"), { target: pct(d.valid_rate_target), filed: int(d.filed) })))),
        h("div", null, h("dt", null, gettext("Collected, awaiting intake")), h("dd", null, cases(d.pending)))),
      h("p", { class: "kpi-summary" }, fmt(gettext("Working days left: %(days)s; to collect each working day: %(needed)s; collected per working day so far: %(pace)s."), { days: int(d.working_days_remaining),
        needed: dec1(d.needed_per_working_day), pace: dec1(d.pace_per_working_day) }))
    ]);
  }

  /* ---------- 2. the valid-report rate (有效上报率) ---------- */

  var VR_SHOWN = +root.getAttribute("data-table-rows") || 100;
  var VR_COLUMNS = [
    { key: "label", title: null, numeric: false },
    { key: "reports", title: pgettext("kpi", "Reports"), numeric: true },
    { key: "filed", title: pgettext("kpi", "Filed"), numeric: true },
    { key: "rejected", title: pgettext("kpi", "Rejected"), numeric: true },
    { key: "pending", title: pgettext("kpi", "Awaiting intake"), numeric: true },
    { key: "valid_rate", title: gettext("Valid-report rate"), numeric: true }
  ];

  function rowLabel(row) {
    if (state.by === "channel") return CHANNELS[row.key] || row.label || row.key;
    return row.label || row.key || gettext("(not given)");
  }

  function loadValidRate() {
    var url = buildUrl(API + "valid-rate/", { start: iso(state.start), end: iso(state.end), by: state.by, area: state.area });
    var by = state.by;
    state.validRows = null; // until the new figures arrive, the old table stays as it is (dimmed)
    return load("validRate", els.validRate, url, function (data) {
      if (by !== state.by) return;
      state.validRows = (data && data.results) || [];
      rerenderValidRate();
      drawMonthChart();
    }, gettext("Valid-report rate"));
  }

  function sortedRows() {
    var rows = state.validRows.slice();
    var s = state.validSort;
    if (!s) return rows;
    rows.sort(function (a, b) {
      var x = s.key === "label" ? rowLabel(a) : a[s.key];
      var y = s.key === "label" ? rowLabel(b) : b[s.key];
      var xn = x === null || x === undefined, yn = y === null || y === undefined;
      if (xn || yn) return xn && yn ? 0 : xn ? 1 : -1; // empty values last either way
      if (typeof x === "number" && typeof y === "number") return (x - y) * s.dir;
      return String(x).localeCompare(String(y), LOCALE, { numeric: true }) * s.dir;
    });
    return rows;
  }

  function rerenderValidRate() {
    if (!state.validRows) return;
    var rows = state.validRows;
    var target = state.target;
    if (!rows.length) {
      fill(els.validRate, muted(gettext("No reports in this period.")));
      return;
    }
    var sort = state.validSort;
    var head = h("tr", null, VR_COLUMNS.map(function (col) {
      var active = sort && sort.key === col.key;
      var title = col.title || BY_LABEL[state.by];
      return h("th", { scope: "col", class: col.numeric ? "num" : null,
                       "aria-sort": active ? (sort.dir > 0 ? "ascending" : "descending") : "none" },
        h("button", { type: "button", class: "kpi-sort", "data-sort": col.key, title: fmt(gettext("Click to sort by “%(column)s”"), { column: title }) },
          title, h("span", { class: "kpi-sort-mark", "aria-hidden": "true" }, active ? (sort.dir > 0 ? " ▲" : " ▼") : " ↕")));
    }));
    var below = 0;
    var all = sortedRows();
    var shown = all.slice(0, VR_SHOWN);  // a year's grids are thousands of rows: the first, in the order chosen
    rows.forEach(function (row) { if (isNum(row.valid_rate) && row.valid_rate < target) below++; });
    var body_ = h("tbody", null, shown.map(function (row) {
      var low = isNum(row.valid_rate) && row.valid_rate < target;
      var url = row.cases_url;
      var urls = row.cases_urls || {};
      return h("tr", { class: low ? "kpi-below" : null, title: low ? fmt(gettext("Below the target %(target)s"), { target: pct(target) }) : null },
        h("th", { scope: "row" }, caseLink(url, rowLabel(row))),
        ["reports", "filed", "rejected", "pending"].map(function (column) {
          return h("td", { class: "num" }, caseLink(row[column] ? urls[column] || url : null, int(row[column])));
        }),
        h("td", { class: "num kpi-rate" }, caseLink(url, UM.percentBeside(row.valid_rate, target))));
    }));
    fill(els.validRate, [
      h("p", { class: "kpi-sub", id: "valid-rate-period" }, fmtNodes(gettext("Valid-report rate of the period chosen: %(range)s"), { range: rangeNodes(state.start, state.end) })),
      h("div", { class: "kpi-table-wrap" }, h("table", { class: "kpi-table kpi-sortable" }, h("thead", null, head), body_)),
      all.length > shown.length ? h("p", { class: "kpi-note", id: "valid-rate-cut" }, fmt(gettext("The first %(shown)s of %(n)s rows in this order: sort by a column to see others, or export the workbook for all."), { shown: int(shown.length), n: int(all.length) })) : null,
      h("p", { class: "kpi-note" }, fmt(gettext("Target valid-report rate %(target)s; the rows below it are in red (%(below)s). Click a figure to see its cases, a heading to sort."), { target: pct(target), below: below }),
        " ", gettext("The reports of the inspectors and the cameras (the collection quota's); 12345 tickets are counted in the 12345 card."))
    ]);
  }

  function onValidSort(ev) {
    var btn = ev.target.closest("button[data-sort]");
    if (!btn) return;
    var key = btn.getAttribute("data-sort");
    var s = state.validSort;
    var numeric = key !== "label";
    if (s && s.key === key) state.validSort = { key: key, dir: -s.dir };
    else state.validSort = { key: key, dir: numeric ? -1 : 1 }; // numbers: largest first
    rerenderValidRate();
    var again = els.validRate.querySelector('button[data-sort="' + key + '"]');
    if (again) again.focus();
  }

  /** The month rows in order, with the period's months that have no reports filled in (up to 3 years). */
  function monthsOfPeriod(results) {
    var byKey = {};
    results.forEach(function (r) { byKey[r.key] = r; });
    var keys = [];
    var m = new Date(state.start.getFullYear(), state.start.getMonth(), 1);
    while (m <= state.end && keys.length <= 36) {
      keys.push(m.getFullYear() + "-" + pad(m.getMonth() + 1));
      m = new Date(m.getFullYear(), m.getMonth() + 1, 1);
    }
    if (keys.length > 36) keys = [];
    results.forEach(function (r) { if (keys.indexOf(r.key) < 0) keys.push(r.key); });
    keys.sort();
    return keys.map(function (k) { return byKey[k] || { key: k, label: k, reports: 0, valid_rate: null }; });
  }

  /* ECharts (1 MB) is fetched when the month chart is first wanted, not with every page. */
  var chartScript = { promise: null, failed: false };
  function loadChartScript() {
    if (!chartScript.promise) {
      chartScript.promise = new Promise(function (resolve) {
        var tag = document.createElement("script");
        tag.src = root.getAttribute("data-echarts");
        tag.onload = resolve;
        tag.onerror = function () { chartScript.failed = true; resolve(); };
        document.head.appendChild(tag);
      });
    }
    return chartScript.promise;
  }

  function showChart(on) {
    els.validRateChart.hidden = !on;
    if (!on && state.chart) { state.chart.dispose(); state.chart = null; }
  }

  function drawMonthChart() {
    if (state.by === "month" && state.validRows && state.validRows.length && typeof echarts === "undefined" && !chartScript.failed) {
      loadChartScript().then(drawMonthChart);
      return;
    }
    if (state.by !== "month" || !state.validRows || !state.validRows.length || typeof echarts === "undefined") {
      showChart(false);
      if (state.by === "month" && typeof echarts === "undefined") {
        append(body(els.validRate), muted(gettext("The chart could not be loaded: the table only.")));
      }
      return;
    }
    showChart(true);
    var rows = monthsOfPeriod(state.validRows);
    if (!state.chart) state.chart = echarts.init(els.validRateChart, null, { renderer: "canvas" });
    var targetPct = +(state.target * 100).toFixed(1);
    var rates = rows.map(function (r) { return isNum(r.valid_rate) ? +(r.valid_rate * 100).toFixed(1) : null; });
    // The rate axis starts at a round 10 % below the lowest rate (and the target), so that differences show.
    var lowest = Math.min.apply(null, rates.filter(isNum).concat([targetPct]));
    var rateMin = Math.max(0, Math.floor((lowest - 5) / 10) * 10);
    state.chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: {
        trigger: "axis",
        // Elements, not HTML: ECharts' own markers are style="" markup, which the CSP refuses.
        formatter: function (items) {
          var box = h("div", null, items[0] ? items[0].axisValueLabel : "");
          items.forEach(function (it) {
            box.appendChild(h("br"));
            append(box, h("span", { class: "kpi-tip-marker", style: "background-color:" + it.color }));
            append(box, fmt(gettext("%(label)s: %(text)s"), { label: it.seriesName,
              text: it.seriesIndex === 1 ? (isNum(it.value) ? it.value + "%" : "—") : cases(it.value) }));
          });
          return box;
        }
      },
      legend: { data: [pgettext("kpi", "Reports"), gettext("Valid-report rate")], bottom: 0 },
      grid: { left: 48, right: 52, top: 36, bottom: 52 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label || r.key; }) },
      yAxis: [
        { type: "value", name: gettext("Reports (cases)"), minInterval: 1 },
        { type: "value", name: gettext("Valid-report rate"), min: rateMin, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [
        { name: pgettext("kpi", "Reports"), type: "bar", data: rows.map(function (r) { return r.reports; }), itemStyle: { color: "#4c8dcc" }, barMaxWidth: 36 },
        { name: gettext("Valid-report rate"), type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 6, itemStyle: { color: "#0b6e4f" },
          data: rates,
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#c0392b", type: "dashed" },
                      label: { formatter: fmt(gettext("Target %(target)s"), { target: targetPct + "%" }), position: "insideStartTop", color: "#c0392b", backgroundColor: "rgba(255,255,255,.85)", padding: [1, 3] }, data: [{ yAxis: targetPct }] } }
      ]
    }, true);
    state.chart.resize();
  }

  function selectTab(container, attr, value) {
    container.querySelectorAll("button[" + attr + "]").forEach(function (b) {
      var on = b.getAttribute(attr) === value;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.classList.toggle("active", on);
      b.tabIndex = on ? 0 : -1;
    });
  }

  function tabKeys(ev, attr) {
    // Left/right arrows move between the tabs of a tab list.
    if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
    var tabs = Array.prototype.slice.call(ev.currentTarget.querySelectorAll("button[" + attr + "]"));
    var i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    var next = tabs[(i + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    next.focus();
    next.click();
    ev.preventDefault();
  }

  /* ---------- 3. 12345 and timeliness (12345 与处置时效) ---------- */

  var HOTLINE_TILES = ["on_time_signing", "on_time_completion", "dispatch_accuracy", "satisfaction", "actual_resolution",
    "online_answer", "kb_upkeep"]
    .map(function (key) { return [key, (WORDS.loop || {})[key] || key]; });

  function loadHotline() {
    var url = buildUrl(API + "hotline/", periodParams());
    return load("hotline", els.hotline, url, renderHotline, gettext("12345 and timeliness"));
  }

  function renderHotline(d) {
    var targets = d.targets || {};
    var tiles = HOTLINE_TILES.map(function (pair) {
      var key = pair[0], name = pair[1];
      var m = d[key] || {};
      var target = targets[key];
      var has = isNum(m.value);
      var cls = !has ? "none" : isNum(target) ? (m.value >= target ? "ok" : "bad") : "plain";
      var content = [
        h("span", { class: "kpi-tile-name" }, name),
        h("span", { class: "kpi-tile-value" }, has ? UM.percentBeside(m.value, target) : gettext("No data yet")),
        has || isNum(m.d) ? h("span", { class: "kpi-tile-nd" }, int(m.n) + " / " + int(m.d)) : null,
        isNum(target) ? h("span", { class: "kpi-tile-target" }, fmt(gettext("Target %(target)s"), { target: pct(target) }) + (has ? (m.value >= target ? gettext(" · met") : gettext(" · not met")) : "")) : null,
        !has && m.note ? h("span", { class: "kpi-tile-note" }, m.note) : null
      ];
      var attrs = { class: "kpi-tile " + cls, title: m.note || null };
      if (m.cases_url) {
        attrs.href = mapUrl(m.cases_url); attrs.target = "_blank"; attrs.rel = "noopener";
        attrs.title = m.note ? fmt(gettext("%(note)s. See these cases"), { note: m.note }) : gettext("See these cases");
        return h("a", attrs, content);
      }
      return h("div", attrs, content);
    });
    var avg = d.avg_handling_working_days || {};
    var workingDays = function (v) { return isNum(v) ? fmt(gettext("%(n)s working days"), { n: dec1(v) }) : gettext("No data yet"); };
    var kb = d.knowledge_base;
    var consult = d.online_answer_consultations || {};
    fill(els.hotline, [
      h("div", { class: "kpi-tiles" }, tiles),
      kb ? h("p", { class: "kpi-sub", id: "kb-facts" },
        fmt(gettext("Consultations answered from the knowledge base: %(share)s · entries in force: %(n)s, past their end: %(expired)s, ending within %(days)s days: %(expiring)s"),
          { share: isNum(consult.value) ? pct(consult.value) + " (" + int(consult.n) + " / " + int(consult.d) + ")" : gettext("No data yet"),
            n: int(kb.in_force), expired: int(kb.expired), days: int(kb.expiring_days), expiring: int(kb.expiring) })) : null,
      h("div", { class: "kpi-avg" },
        h("h3", null, gettext("Average handling time (working days)")),
        h("dl", { class: "kpi-facts kpi-facts-inline" },
          h("div", null, h("dt", null, pgettext("kpi", "Consultations")), h("dd", null, workingDays(avg.consultation))),
          h("div", null, h("dt", null, pgettext("kpi", "Others")), h("dd", null, workingDays(avg.other)))))
    ]);
  }

  /* ---------- 4. special campaigns (专项采集) ---------- */

  function loadCampaigns() {
    var url = buildUrl(API + "campaigns/", periodParams());
    return load("campaigns", els.campaigns, url, renderCampaigns, gettext("special collection campaigns"));
  }

  function renderCampaigns(d) {
    var rows = (d && d.results) || [];
    // The year's requirement (the annual quota's campaigns), whether or not one runs in the period.
    var required = d && isNum(d.required) && d.required > 0
      ? h("p", { class: "kpi-campaigns-year" + (d.held < d.required ? " bad" : ""), id: "campaigns-year" },
        fmt(gettext("Campaigns in %(year)s: %(held)s of the %(required)s the annual quota asks for."), { year: d.year, held: int(d.held), required: int(d.required) }))
      : null;
    if (!rows.length) { fill(els.campaigns, [required, muted(gettext("No special collection campaigns"))]); return; }
    fill(els.campaigns, [required, h("ul", { class: "kpi-campaigns" }, rows.map(function (c) {
      var share = isNum(c.share) ? c.share : isNum(c.target_count) && c.target_count > 0 ? c.count / c.target_count : null;
      var done = isNum(share) && share >= 1;
      return h("li", null,
        h("div", { class: "kpi-campaign-head" },
          h("span", { class: "kpi-campaign-name" }, c.name || gettext("(unnamed)")),
          h("span", { class: "kpi-muted" }, fmt(gettext("%(first)s to %(last)s"), { first: c.starts_on || "?", last: c.ends_on || "?" }))),
        h("div", { class: "kpi-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(c.target_count || 0),
                   "aria-valuenow": String(c.count || 0), "aria-label": c.name },
          h("div", { class: "kpi-bar-fill " + (done ? "ok" : "info"), style: "width:" + Math.max(0, Math.min(1, share || 0)) * 100 + "%" })),
        h("div", { class: "kpi-campaign-foot" },
          caseLink(c.cases_url, cases(c.count)),
          fmt(gettext(" / target %(target)s"), { target: isNum(c.target_count) ? cases(c.target_count) : "—" }),
          h("span", { class: "kpi-campaign-share" + (done ? " ok" : "") }, pct(share))));
    }))]);
  }

  /* ---------- 5. the overall evaluation (综合评价) ---------- */

  function loadEvaluation() {
    if (!TARGETS.schemes_from || iso(state.start) < TARGETS.schemes_from) {
      notSet("evaluation", els.evaluation, gettext("No evaluation scheme is in force for this period yet"),
        TARGETS.scheme_admin, gettext("Add an evaluation scheme"),
        gettext("An administrator adds one under Targets and indicators in the admin."));
      return null;
    }
    // The evaluation has no area filter: it always covers the whole city.
    var url = buildUrl(API + "evaluation/", { who: state.who, start: iso(state.start), end: iso(state.end) });
    var who = state.who;
    return load("evaluation", els.evaluation, url, function (d) { if (who === state.who) renderEvaluation(d); }, gettext("overall evaluation"));
  }

  function weightText(w) {
    if (!isNum(w)) return "";
    var v = w <= 1 ? w * 100 : w; // weights are percentages (they add up to 100); tolerate fractions
    return (Math.round(v * 10) / 10) + "%";
  }

  function renderEvaluation(d) {
    var indicators = d.indicators || [];
    var rows = d.rows || [];
    var info = h("p", { class: "kpi-sub" }, fmt(gettext("Evaluated: %(who)s · scheme version %(scheme)s"), { who: WHO_LABEL[d.who || state.who] || d.who, scheme: d.scheme || "—" }) +
      (state.area ? gettext(" · the overall evaluation covers the whole city, whatever the area chosen") : ""));
    if (!rows.length) { fill(els.evaluation, [info, muted(gettext("Nothing to evaluate in this period."))]); return; }
    var head = h("tr", null,
      h("th", { scope: "col", class: "num" }, gettext("Rank")),
      h("th", { scope: "col" }, gettext("Subject")),
      indicators.map(function (ind) {
        return h("th", { scope: "col", class: "num", title: ind.formula ? fmt(gettext("%(name)s: %(formula)s"), { name: ind.name, formula: ind.formula }) : ind.name },
          ind.name || ind.key, h("small", null, fmt(gettext("weight %(weight)s"), { weight: weightText(ind.weight) })));
      }),
      h("th", { scope: "col", class: "num" }, gettext("Overall score")),
      h("th", { scope: "col" }, gettext("Grade")));
    var tbody = h("tbody", null, rows.map(function (row) {
      var values = row.values || {};
      var grade = GRADES.indexOf(row.grade) >= 0 ? row.grade : null;
      return h("tr", null,
        h("td", { class: "num" }, row.rank !== undefined && row.rank !== null ? String(row.rank) : "—"),
        h("th", { scope: "row", title: row.subject || null }, row.name || row.subject || "—"),
        indicators.map(function (ind) {
          var v = values[ind.key];
          if (!v || !isNum(v.value)) {
            return h("td", { class: "num kpi-null", title: v && isNum(v.d) ? fmt(gettext("Nothing to count (%(n)s / %(d)s)"), { n: int(v.n), d: int(v.d) }) : gettext("Nothing to count") }, "—");
          }
          return h("td", { class: "num" }, pct(v.value), h("small", null, int(v.n) + " / " + int(v.d)));
        }),
        h("td", { class: "num kpi-score" }, isNum(row.score) ? dec1(row.score) : "—"),
        h("td", null, grade ? h("span", { class: "kpi-grade grade-" + grade, title: fmt(gettext("Grade %(grade)s"), { grade: grade }) }, grade) : "—"));
    }));
    fill(els.evaluation, [
      info,
      h("div", { class: "kpi-table-wrap" }, h("table", { class: "kpi-table kpi-eval" }, h("thead", null, head), tbody)),
      h("p", { class: "kpi-note" }, gettext("Hover over an indicator's name to see its formula; “—” means the subject had nothing to count in this period and is scored without it."))
    ]);
  }

  /* ---------- wiring ---------- */

  // The controls reload on change; Enter in a date field must not send the form away.
  document.getElementById("kpi-controls").addEventListener("submit", function (ev) { ev.preventDefault(); });
  els.period.addEventListener("change", onPeriodChange);
  els.start.addEventListener("change", reload);
  els.end.addEventListener("change", reload);
  els.area.addEventListener("change", reload);

  var vrTabs = els.validRate.querySelector(".kpi-tabs");
  vrTabs.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-by]");
    if (!btn || btn.getAttribute("data-by") === state.by) return;
    state.by = btn.getAttribute("data-by");
    state.validSort = null;
    state.validRows = null;
    selectTab(vrTabs, "data-by", state.by);
    if (state.by !== "month") showChart(false);
    track([loadValidRate()]);
  });
  vrTabs.addEventListener("keydown", function (ev) { tabKeys(ev, "data-by"); });
  els.validRate.addEventListener("click", onValidSort);

  var evTabs = els.evaluation.querySelector(".kpi-tabs");
  evTabs.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-who]");
    if (!btn || btn.getAttribute("data-who") === state.who) return;
    state.who = btn.getAttribute("data-who");
    selectTab(evTabs, "data-who", state.who);
    track([loadEvaluation()]);
  });
  evTabs.addEventListener("keydown", function (ev) { tabKeys(ev, "data-who"); });

  // The workbook is asked for: at once for a short period, else made in the background
  // while its progress shows below the button (urbanmgmt/static/urbanmgmt/exports.js).
  els.exportLink.addEventListener("click", function (ev) {
    if (!window.UMExports) return; // the plain link still answers a short period
    ev.preventDefault();
    window.UMExports.ask(buildUrl(ASK_EXPORT_URL, periodParams()), document.getElementById("export-job"));
  });

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (state.chart) state.chart.resize(); }, 120);
  });
  // Let the chart fit the printed page, then the screen again.
  window.addEventListener("beforeprint", function () { if (state.chart) state.chart.resize(); });
  window.addEventListener("afterprint", function () { if (state.chart) state.chart.resize(); });

  selectTab(vrTabs, "data-by", state.by);
  selectTab(evTabs, "data-who", state.who);
  restoreFromUrl();
  reload();
})();
