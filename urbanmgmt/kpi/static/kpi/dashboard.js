/* 考核指标看板 (the managers' dashboard, /kpi/). Plain JS, no build step.
 *
 * Every section fetches its own JSON from /api/v1/kpi/… with the session cookie. The period
 * (start, end — both inclusive, YYYY-MM-DD) and the area code are read from the controls;
 * changing either reloads every section. Server data is only ever put into the page as text
 * (never as HTML).
 */
(function () {
  "use strict";

  var root = document.getElementById("kpi-dashboard");
  if (!root) return;

  var API = root.getAttribute("data-api") || "/api/v1/kpi/";
  var EXPORT_URL = root.getAttribute("data-export") || "/kpi/export.xlsx";
  var TODAY = parseDate(root.getAttribute("data-today")) || localToday();
  var DEFAULT_TARGET = 0.95;

  var CHANNELS = { inspector: "监督员上报", video: "视频采集", hotline: "12345" };
  var BY_LABEL = { channel: "渠道", inspector: "监督员", grid: "网格", community: "社区", street: "街道", month: "月份" };
  var PERIOD_LABEL = { day: "日", week: "周", month: "月", quarter: "季", year: "年", custom: "自定义" };
  var WHO_LABEL = { inspector: "监督员", dispatcher: "派遣员", department: "专业部门", area: "区域" };
  var METHOD = { seasonal: "季节", linear: "线性" };
  var GRADES = ["A", "B", "C", "D", "E"];

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

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }

  function parseDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!m) return null;
    var d = new Date(+m[1], +m[2] - 1, +m[3]);
    return d.getMonth() === +m[2] - 1 ? d : null;
  }

  function localToday() { var n = new Date(); return new Date(n.getFullYear(), n.getMonth(), n.getDate()); }

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

  /* ---------- formatting ---------- */

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  function int(v) { return isNum(v) ? Math.round(v).toLocaleString("zh-CN") : "—"; }

  function dec1(v) { return isNum(v) ? v.toLocaleString("zh-CN", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : "—"; }

  function pct(v) { return isNum(v) ? (v * 100).toFixed(1) + "%" : "—"; }

  /* ---------- DOM ---------- */

  /** h("a", {href: …, class: …}, child, "text", …): builds an element; strings become text. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "class") el.className = value;
        else if (name === "text") el.textContent = value;
        else if (name === "style") el.setAttribute("style", value);
        else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
        else el.setAttribute(name, value === true ? "" : value);
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }

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
    return h("a", { href: mapUrl(url), target: "_blank", rel: "noopener", class: "kpi-drill", title: title || "在地图上查看对应案件" }, text);
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

  var STATUS_TEXT = {
    400: "请求参数有误", 401: "未登录或登录已过期，请重新登录", 403: "没有查看此数据的权限",
    404: "未找到数据", 500: "服务器内部错误", 502: "网关错误", 503: "服务暂不可用", 504: "网关超时"
  };

  function ApiError(status, detail) {
    this.status = status;
    this.detail = detail;
    this.message = "HTTP " + status + (detail ? "：" + detail : "");
  }

  /** The text of a DRF error body: its `detail`, else its field errors. */
  function detailOf(data) {
    if (!data) return "";
    if (typeof data === "string") return data;
    if (data.detail !== undefined) return String(data.detail);
    if (typeof data === "object") {
      return Object.keys(data).map(function (key) {
        var v = data[key];
        var text = Array.isArray(v) ? v.join("；") : typeof v === "object" ? JSON.stringify(v) : String(v);
        return key === "non_field_errors" ? text : key + "：" + text;
      }).join("；");
    }
    return "";
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
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    controllers[section] = controller;
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) throw new ApiError(response.status, detailOf(data));
        if (data === null) throw new ApiError(response.status, "服务器返回的不是 JSON 数据");
        return data;
      });
    });
  }

  function isAbort(err) { return err && err.name === "AbortError"; }

  function errorBox(err, what) {
    if (err instanceof ApiError) {
      var head = "加载" + what + "失败（HTTP " + err.status + (STATUS_TEXT[err.status] ? " " + STATUS_TEXT[err.status] : "") + "）";
      return h("div", { class: "kpi-error", role: "alert" },
        h("strong", null, head),
        err.detail ? h("p", null, err.detail) : null);
    }
    return h("div", { class: "kpi-error", role: "alert" },
      h("strong", null, "加载" + what + "失败：无法连接服务器"),
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
      fill(card, h("div", { class: "kpi-error", role: "alert" }, h("strong", null, "显示" + what + "时出错"), h("p", null, String(err && err.message || err))));
    });
  }

  function renderError(section, card, err, what) {
    if (section === "quota") { state.target = DEFAULT_TARGET; rerenderValidRate(); }
    if (section === "validRate") { state.validRows = null; showChart(false); }
    if (section === "quota" && err instanceof ApiError && err.status === 404 && err.detail) {
      // No quota for that year: the server says so (and where to set it).
      fill(card, h("div", { class: "kpi-notice", role: "status" }, h("strong", null, "未设置年度采集指标"), h("p", null, err.detail)));
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
      if (!s || !e) return { error: "请选择开始日期和结束日期。" };
      if (s > e) return { error: "开始日期不能晚于结束日期。" };
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
    return opt ? opt.textContent.trim() : "全市";
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
      return;
    }
    els.controlsError.hidden = true;
    state.start = c.start;
    state.end = c.end;
    state.area = c.area;
    var same = iso(c.start) === iso(c.end);
    els.periodText.textContent = "统计周期（" + PERIOD_LABEL[c.kind] + "）：" + iso(c.start) + (same ? "" : " 至 " + iso(c.end)) +
      " · " + areaName() + " · 今天 " + iso(TODAY);
    rememberInUrl(c);
    updateExport();
    loadQuota();
    loadValidRate();
    loadHotline();
    loadCampaigns();
    loadEvaluation();
  }

  function updateExport() {
    els.exportLink.href = buildUrl(EXPORT_URL, periodParams());
    els.exportText.textContent = iso(state.start) + " 至 " + iso(state.end) + "，" + areaName();
  }

  /* ---------- 1. 年度采集指标 ---------- */

  function loadQuota() {
    var asOf = state.end < TODAY ? state.end : TODAY;
    var url = buildUrl(API + "quota/", { year: state.end.getFullYear(), area: state.area, as_of: iso(asOf) });
    return load("quota", els.quota, url, renderQuota, "年度采集指标");
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
                         "aria-valuenow": String(d.collected), "aria-label": "已采集占年度指标" },
      h("div", { class: "kpi-bar-fill " + (onPace ? "ok" : "bad"), style: "width:" + width(share) }),
      expectedShare !== null ? h("div", { class: "kpi-bar-marker", style: "left:" + width(expectedShare),
                                          title: "按进度截至 " + d.as_of + " 应采集 " + int(d.expected_by_now) + " 件" }) : null);

    fill(els.quota, [
      h("p", { class: "kpi-sub" }, d.year + " 年 · 截至 " + d.as_of + " · " + areaName()),
      h("div", { class: "kpi-quota-head" },
        h("div", { class: "kpi-big" }, h("span", { class: "kpi-num" }, int(d.collected)), h("span", { class: "kpi-of" }, " / " + int(quota) + " 件")),
        h("span", { class: "kpi-badge " + (onPace ? "ok" : "bad") }, onPace ? "进度正常" : "进度落后")),
      bar,
      h("p", { class: "kpi-bar-legend" },
        "已完成 " + pct(share), h("span", { class: "kpi-legend-marker", "aria-hidden": "true" }),
        "按进度应完成 " + int(d.expected_by_now) + " 件" + (expectedShare !== null ? "（" + pct(expectedShare) + "）" : "")),
      h("dl", { class: "kpi-facts" },
        h("div", null, h("dt", null, "剩余工作日"), h("dd", null, int(d.working_days_remaining) + " 天",
          h("small", null, "（已过 " + int(d.working_days_elapsed) + " / 全年 " + int(d.working_days_total) + " 天）"))),
        h("div", null, h("dt", null, "每个工作日需采集"), h("dd", { class: isNum(d.needed_per_working_day) && isNum(d.pace_per_working_day) &&
          d.needed_per_working_day > d.pace_per_working_day ? "bad" : "" }, dec1(d.needed_per_working_day) + " 件")),
        h("div", null, h("dt", null, "当前每工作日"), h("dd", null, dec1(d.pace_per_working_day) + " 件")),
        h("div", null, h("dt", null, "年底预计"), h("dd", { class: onPace ? "ok" : "bad" }, int(d.projection) + " 件",
          h("small", null, "（95% 区间 " + int(d.projection_low) + "–" + int(d.projection_high) + "，方法：" + (METHOD[d.method] || d.method || "—") + "）"))),
        h("div", null, h("dt", null, "有效上报率"), h("dd", { class: rateOk === null ? "" : rateOk ? "ok" : "bad" }, pct(d.valid_rate),
          h("small", null, "（目标 " + pct(d.valid_rate_target) + "，已立案 " + int(d.filed) + " 件）"))),
        h("div", null, h("dt", null, "待受理"), h("dd", null, int(d.pending) + " 件"))),
      h("p", { class: "kpi-summary" },
        "剩余工作日 " + int(d.working_days_remaining) + " 天、每个工作日需采集 " + dec1(d.needed_per_working_day) +
        " 件，当前每工作日 " + dec1(d.pace_per_working_day) + " 件。")
    ]);
  }

  /* ---------- 2. 有效上报率 ---------- */

  var VR_COLUMNS = [
    { key: "label", title: null, numeric: false },
    { key: "reports", title: "上报", numeric: true },
    { key: "filed", title: "立案", numeric: true },
    { key: "rejected", title: "不予立案", numeric: true },
    { key: "pending", title: "待受理", numeric: true },
    { key: "valid_rate", title: "有效上报率", numeric: true }
  ];

  function rowLabel(row) {
    if (state.by === "channel") return CHANNELS[row.key] || row.label || row.key;
    return row.label || row.key || "（未指定）";
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
    }, "有效上报率");
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
      return String(x).localeCompare(String(y), "zh-CN", { numeric: true }) * s.dir;
    });
    return rows;
  }

  function rerenderValidRate() {
    if (!state.validRows) return;
    var rows = state.validRows;
    var target = state.target;
    if (!rows.length) {
      fill(els.validRate, muted("该统计周期内暂无上报。"));
      return;
    }
    var sort = state.validSort;
    var head = h("tr", null, VR_COLUMNS.map(function (col) {
      var active = sort && sort.key === col.key;
      var title = col.title || BY_LABEL[state.by];
      return h("th", { scope: "col", class: col.numeric ? "num" : null,
                       "aria-sort": active ? (sort.dir > 0 ? "ascending" : "descending") : "none" },
        h("button", { type: "button", class: "kpi-sort", "data-sort": col.key, title: "点击按“" + title + "”排序" },
          title, h("span", { class: "kpi-sort-mark", "aria-hidden": "true" }, active ? (sort.dir > 0 ? " ▲" : " ▼") : " ↕")));
    }));
    var below = 0;
    var body_ = h("tbody", null, sortedRows().map(function (row) {
      var low = isNum(row.valid_rate) && row.valid_rate < target;
      if (low) below++;
      var url = row.cases_url;
      return h("tr", { class: low ? "kpi-below" : null, title: low ? "低于目标 " + pct(target) : null },
        h("th", { scope: "row" }, caseLink(url, rowLabel(row))),
        h("td", { class: "num" }, caseLink(url, int(row.reports))),
        h("td", { class: "num" }, caseLink(url, int(row.filed))),
        h("td", { class: "num" }, caseLink(url, int(row.rejected))),
        h("td", { class: "num" }, caseLink(url, int(row.pending))),
        h("td", { class: "num kpi-rate" }, caseLink(url, pct(row.valid_rate))));
    }));
    fill(els.validRate, [
      h("div", { class: "kpi-table-wrap" }, h("table", { class: "kpi-table kpi-sortable" }, h("thead", null, head), body_)),
      h("p", { class: "kpi-note" }, "目标有效上报率 " + pct(target) + "，低于目标的行以红色标出（" + below + " 行）。点击数字查看对应案件，点击表头排序。")
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

  function showChart(on) {
    els.validRateChart.hidden = !on;
    if (!on && state.chart) { state.chart.dispose(); state.chart = null; }
  }

  function drawMonthChart() {
    if (state.by !== "month" || !state.validRows || !state.validRows.length || typeof echarts === "undefined") {
      showChart(false);
      if (state.by === "month" && typeof echarts === "undefined") {
        append(body(els.validRate), muted("图表组件未能加载，仅显示表格。"));
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
        formatter: function (items) {
          var lines = [items[0] ? items[0].axisValueLabel : ""];
          items.forEach(function (it) {
            lines.push(it.marker + it.seriesName + "：" + (it.seriesIndex === 1 ? (isNum(it.value) ? it.value + "%" : "—") : int(it.value) + " 件"));
          });
          return lines.join("<br>");
        }
      },
      legend: { data: ["上报", "有效上报率"], bottom: 0 },
      grid: { left: 48, right: 52, top: 36, bottom: 52 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label || r.key; }) },
      yAxis: [
        { type: "value", name: "上报（件）", minInterval: 1 },
        { type: "value", name: "有效上报率", min: rateMin, max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { show: false } }
      ],
      series: [
        { name: "上报", type: "bar", data: rows.map(function (r) { return r.reports; }), itemStyle: { color: "#4c8dcc" }, barMaxWidth: 36 },
        { name: "有效上报率", type: "line", yAxisIndex: 1, connectNulls: false, symbolSize: 6, itemStyle: { color: "#0b6e4f" },
          data: rates,
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#c0392b", type: "dashed" },
                      label: { formatter: "目标 " + targetPct + "%", position: "insideStartTop", color: "#c0392b", backgroundColor: "rgba(255,255,255,.85)", padding: [1, 3] }, data: [{ yAxis: targetPct }] } }
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

  /* ---------- 3. 12345 与处置时效 ---------- */

  var HOTLINE_TILES = [
    ["on_time_signing", "按时签收率"],
    ["on_time_completion", "按时办结率"],
    ["dispatch_accuracy", "派遣准确率"],
    ["satisfaction", "满意率"],
    ["actual_resolution", "实际解决率"]
  ];

  function loadHotline() {
    var url = buildUrl(API + "hotline/", periodParams());
    return load("hotline", els.hotline, url, renderHotline, "12345 与处置时效");
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
        h("span", { class: "kpi-tile-value" }, has ? pct(m.value) : "暂无数据"),
        has || isNum(m.d) ? h("span", { class: "kpi-tile-nd" }, int(m.n) + " / " + int(m.d)) : null,
        isNum(target) ? h("span", { class: "kpi-tile-target" }, "目标 " + pct(target) + (has ? (m.value >= target ? " · 达标" : " · 未达标") : "")) : null,
        !has && m.note ? h("span", { class: "kpi-tile-note" }, m.note) : null
      ];
      var attrs = { class: "kpi-tile " + cls, title: m.note || null };
      if (m.cases_url) {
        attrs.href = mapUrl(m.cases_url); attrs.target = "_blank"; attrs.rel = "noopener";
        attrs.title = (m.note ? m.note + "。" : "") + "查看对应案件";
        return h("a", attrs, content);
      }
      return h("div", attrs, content);
    });
    var avg = d.avg_handling_working_days || {};
    var days = function (v) { return isNum(v) ? dec1(v) + " 个工作日" : "暂无数据"; };
    fill(els.hotline, [
      h("div", { class: "kpi-tiles" }, tiles),
      h("div", { class: "kpi-avg" },
        h("h3", null, "平均办理时长（工作日）"),
        h("dl", { class: "kpi-facts kpi-facts-inline" },
          h("div", null, h("dt", null, "咨询"), h("dd", null, days(avg.consultation))),
          h("div", null, h("dt", null, "其他"), h("dd", null, days(avg.other)))))
    ]);
  }

  /* ---------- 4. 专项采集 ---------- */

  function loadCampaigns() {
    var url = buildUrl(API + "campaigns/", periodParams());
    return load("campaigns", els.campaigns, url, renderCampaigns, "专项采集");
  }

  function renderCampaigns(d) {
    var rows = (d && d.results) || [];
    if (!rows.length) { fill(els.campaigns, muted("暂无专项采集")); return; }
    fill(els.campaigns, h("ul", { class: "kpi-campaigns" }, rows.map(function (c) {
      var share = isNum(c.share) ? c.share : isNum(c.target_count) && c.target_count > 0 ? c.count / c.target_count : null;
      var done = isNum(share) && share >= 1;
      return h("li", null,
        h("div", { class: "kpi-campaign-head" },
          h("span", { class: "kpi-campaign-name" }, c.name || "（未命名）"),
          h("span", { class: "kpi-muted" }, (c.starts_on || "?") + " 至 " + (c.ends_on || "?"))),
        h("div", { class: "kpi-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(c.target_count || 0),
                   "aria-valuenow": String(c.count || 0), "aria-label": c.name },
          h("div", { class: "kpi-bar-fill " + (done ? "ok" : "info"), style: "width:" + Math.max(0, Math.min(1, share || 0)) * 100 + "%" })),
        h("div", { class: "kpi-campaign-foot" },
          caseLink(c.cases_url, int(c.count) + " 件"),
          " / 目标 " + (isNum(c.target_count) ? int(c.target_count) + " 件" : "—"),
          h("span", { class: "kpi-campaign-share" + (done ? " ok" : "") }, pct(share))));
    })));
  }

  /* ---------- 5. 综合评价 ---------- */

  function loadEvaluation() {
    // The evaluation has no area filter: it always covers the whole city.
    var url = buildUrl(API + "evaluation/", { who: state.who, start: iso(state.start), end: iso(state.end) });
    var who = state.who;
    return load("evaluation", els.evaluation, url, function (d) { if (who === state.who) renderEvaluation(d); }, "综合评价");
  }

  function weightText(w) {
    if (!isNum(w)) return "";
    var v = w <= 1 ? w * 100 : w; // weights are percentages (they add up to 100); tolerate fractions
    return (Math.round(v * 10) / 10) + "%";
  }

  function renderEvaluation(d) {
    var indicators = d.indicators || [];
    var rows = d.rows || [];
    var info = h("p", { class: "kpi-sub" }, "评价对象：" + (WHO_LABEL[d.who || state.who] || d.who) + " · 评价方案 版本 " + (d.scheme || "—") + (state.area ? " · 综合评价按全市统计，不受区域筛选影响" : ""));
    if (!rows.length) { fill(els.evaluation, [info, muted("该统计周期内暂无可评价的对象。")]); return; }
    var head = h("tr", null,
      h("th", { scope: "col", class: "num" }, "排名"),
      h("th", { scope: "col" }, "对象"),
      indicators.map(function (ind) {
        return h("th", { scope: "col", class: "num", title: ind.formula ? ind.name + "：" + ind.formula : ind.name },
          ind.name || ind.key, h("small", null, "权重 " + weightText(ind.weight)));
      }),
      h("th", { scope: "col", class: "num" }, "综合得分"),
      h("th", { scope: "col" }, "等级"));
    var tbody = h("tbody", null, rows.map(function (row) {
      var values = row.values || {};
      var grade = GRADES.indexOf(row.grade) >= 0 ? row.grade : null;
      return h("tr", null,
        h("td", { class: "num" }, row.rank !== undefined && row.rank !== null ? String(row.rank) : "—"),
        h("th", { scope: "row" }, row.subject || "—"),
        indicators.map(function (ind) {
          var v = values[ind.key];
          if (!v || !isNum(v.value)) {
            return h("td", { class: "num kpi-null", title: v && isNum(v.d) ? "无可统计数据（" + int(v.n) + " / " + int(v.d) + "）" : "无可统计数据" }, "—");
          }
          return h("td", { class: "num" }, pct(v.value), h("small", null, int(v.n) + " / " + int(v.d)));
        }),
        h("td", { class: "num kpi-score" }, isNum(row.score) ? dec1(row.score) : "—"),
        h("td", null, grade ? h("span", { class: "kpi-grade grade-" + grade, title: "等级 " + grade }, grade) : "—"));
    }));
    fill(els.evaluation, [
      info,
      h("div", { class: "kpi-table-wrap" }, h("table", { class: "kpi-table kpi-eval" }, h("thead", null, head), tbody)),
      h("p", { class: "kpi-note" }, "将鼠标移到指标名称上可查看计算公式；“—”表示该对象在本周期内没有可统计的数据，不计入得分。")
    ]);
  }

  /* ---------- wiring ---------- */

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
    loadValidRate();
  });
  vrTabs.addEventListener("keydown", function (ev) { tabKeys(ev, "data-by"); });
  els.validRate.addEventListener("click", onValidSort);

  var evTabs = els.evaluation.querySelector(".kpi-tabs");
  evTabs.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-who]");
    if (!btn || btn.getAttribute("data-who") === state.who) return;
    state.who = btn.getAttribute("data-who");
    selectTab(evTabs, "data-who", state.who);
    loadEvaluation();
  });
  evTabs.addEventListener("keydown", function (ev) { tabKeys(ev, "data-who"); });

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
