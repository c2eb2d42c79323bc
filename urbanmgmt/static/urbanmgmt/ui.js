/*
 * The pages' one toolkit (window.UM), loaded by every page after Django's JavaScript
 * catalogue (/jsi18n/, which defines gettext and interpolate): building elements, calling the
 * API (the session's CSRF token, or a token for 城管通), reading the server's errors, and
 * writing numbers, dates and times.
 *
 * Times are written in the city's time zone (the page's <html data-time-zone>, from
 * settings.TIME_ZONE), never the browser's: a phone set to UTC must show the same deadline
 * as the command centre's screen.
 */
(function (root) {
  'use strict';

  const html = document.documentElement;
  const TIME_ZONE = html.dataset.timeZone || 'Asia/Shanghai';
  const LOCALE = html.lang || 'zh-hans';
  // The catalogue's functions; the text as it is if the catalogue failed to load.
  const gettext = typeof root.gettext === 'function' ? root.gettext : (text) => text;
  const format = (text, values) => (typeof root.interpolate === 'function'
    ? root.interpolate(text, values, true)
    : text.replace(/%\((\w+)\)s/g, (all, name) => String(values[name])));

  /* el('div', {class: 'x', onclick: f}, 'text', child, [more]): strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      // CSSOM, not the style attribute: the pages' CSP refuses inline style attributes.
      else if (key === 'style') node.style.cssText = value;
      else if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key in node && typeof value !== 'string') node[key] = value;
      else node.setAttribute(key, value === true ? '' : String(value));
    });
    append(node, children);
    return node;
  }

  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach((c) => append(node, c)); return; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }

  function cookie(name) {
    const found = document.cookie.split('; ').find((part) => part.startsWith(name + '='));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : '';
  }

  /**
   * fetch, answering {ok, status, data, headers, error}: never throws. status 0 means no
   * answer came (error: 'timeout', 'network', or 'aborted' when the caller's `signal` fired).
   * A JSON body is parsed; any other body is left as text. With the session cookie (the
   * default), a write carries the CSRF token.
   */
  async function api(path, options) {
    const opts = Object.assign({ method: 'GET', credentials: 'same-origin', timeoutMs: 30000 }, options || {});
    const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    const write = opts.method !== 'GET' && opts.method !== 'HEAD';
    if (write && opts.credentials !== 'omit') headers['X-CSRFToken'] = cookie('csrftoken');
    let body = opts.body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs);
    if (opts.signal) opts.signal.addEventListener('abort', () => ctrl.abort(), { once: true });
    let response;
    try {
      response = await fetch(path, { method: opts.method, headers, body, credentials: opts.credentials, signal: ctrl.signal });
    } catch (error) {
      const why = opts.signal && opts.signal.aborted ? 'aborted' : ctrl.signal.aborted ? 'timeout' : 'network';
      return { ok: false, status: 0, data: null, headers: null, error: why };
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    const type = response.headers.get('Content-Type') || '';
    try {
      data = type.includes('json') ? await response.json() : await response.text();
    } catch (error) {
      data = null;
    }
    return { ok: response.ok, status: response.status, data, headers: response.headers, error: null };
  }

  /* The messages of a DRF error body: detail, or "field: message" (labels name the fields). */
  function describe(data, labels) {
    if (Array.isArray(data)) return data.map((v) => (typeof v === 'string' ? v : describe(v, labels))).join(' ');
    if (!data || typeof data !== 'object') return '';
    if (typeof data.detail === 'string' && data.detail) return data.detail;
    if (typeof data.message === 'string' && data.message) return data.message;
    const parts = [];
    Object.entries(data).forEach(([key, value]) => {
      if (key === 'code' || key === 'status_code') return;
      const text = typeof value === 'string' ? value : describe(value, labels);
      if (!text) return;
      parts.push(key === 'non_field_errors' || key === 'detail' ? text : format(gettext('%(label)s: %(text)s'),
        { label: (labels && labels[key]) || key, text }));
    });
    return parts.join(gettext('; '));
  }

  /** A sentence a person can read for a failed api() answer, in the page's language. */
  function errorText(result, labels) {
    if (!result || result.status === 0) {
      return result && result.error === 'timeout' ? gettext('The server took too long to answer. Try again.')
        : gettext('The server cannot be reached. Nothing was changed; try again.');
    }
    const text = typeof result.data === 'string' ? '' : describe(result.data, labels);
    if (text) return text;
    if (result.status === 413) return gettext('Too large: the server refused it (413).');
    return format(gettext('The server answered with an error (%(status)s).'), { status: result.status });
  }

  /* Put a message where the user is looking: scrolled into view if it is not. */
  function reveal(node) {
    if (!node || !node.scrollIntoView) return;
    const box = node.getBoundingClientRect();
    if (box.top < 0 || box.bottom > (window.innerHeight || html.clientHeight)) {
      node.scrollIntoView({ block: 'nearest' });
    }
  }

  /* --- numbers ------------------------------------------------------------------------- */
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  function number(v, digits) {
    if (!isNum(v)) return '—';
    const d = digits || 0;
    return v.toLocaleString(LOCALE, { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  const percent = (v, digits) => (isNum(v) ? `${(v * 100).toFixed(digits === undefined ? 1 : digits)}%` : '—');
  /* A share beside its target: one decimal, or as many more (up to four) as it takes for the
     figure to read on the same side of the target as it is (97.96 % against 98 % reads 97.96 %,
     not a 98.0 % marked as missed). */
  const percentBeside = (v, target) => {
    if (!isNum(v) || !isNum(target)) return percent(v);
    let digits = 1;
    while (digits < 4 && (Number((v * 100).toFixed(digits)) >= Number((target * 100).toFixed(digits))) !== (v >= target)) {
      digits += 1;
    }
    return percent(v, digits);
  };
  const megabytes = (bytes) => format(gettext('%(size)s MB'), { size: (bytes / 1048576).toFixed(1) });
  /* A file's size: in KB below a megabyte, else in MB. */
  const fileSize = (bytes) => (bytes < 1048576
    ? format(gettext('%(size)s KB'), { size: (bytes / 1024).toFixed(1) }) : megabytes(bytes));

  /* --- times, in the city's zone --------------------------------------------------------- */
  const pad = (n) => String(n).padStart(2, '0');
  const PARTS = new Intl.DateTimeFormat('en-GB', {
    timeZone: TIME_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });

  /* {year, month, day, hour, minute, second} of an instant on the city's clocks. */
  function cityParts(value) {
    const d = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(d.getTime())) return null;
    const out = {};
    PARTS.formatToParts(d).forEach((p) => { if (p.type !== 'literal') out[p.type] = p.value; });
    return out;
  }

  function when(value) { // 2026-05-01 09:30
    const p = value === null || value === undefined || value === '' ? null : cityParts(value);
    return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : '—';
  }
  function shortWhen(value) { // 05-01 09:30
    const p = value === null || value === undefined || value === '' ? null : cityParts(value);
    return p ? `${p.month}-${p.day} ${p.hour}:${p.minute}` : '';
  }
  function clock(value) { // 09:30:12
    const p = cityParts(value);
    return p ? `${p.hour}:${p.minute}:${p.second}` : '';
  }
  function cityDate(value) { // 2026-05-01
    const p = cityParts(value);
    return p ? `${p.year}-${p.month}-${p.day}` : '';
  }
  const cityToday = () => cityDate(new Date());

  /* The instant the city's clocks show 00:00 on day "YYYY-MM-DD" (plus addDays days). */
  function cityMidnight(day, addDays) {
    const [y, m, d] = day.split('-').map(Number);
    const guess = Date.UTC(y, m - 1, d + (addDays || 0));
    const p = cityParts(new Date(guess));
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return new Date(guess - (shown - guess));
  }

  /* A page's buttons marked data-until-script come disabled: pressed before the page's script
   * has bound its handlers, a form without a method of its own would go as a plain GET (the
   * words in the address, the page reloaded, nothing saved). The script calls this once bound. */
  function bound(node) {
    node.querySelectorAll('button[data-until-script]').forEach((button) => { button.disabled = false; });
  }

  /* The address names the case open in a panel by its number (?case=<code>), which the user
   * reads and shares; null takes it out. The page opens that case when loaded with it. */
  function caseInAddress(code) {
    const query = new URLSearchParams(location.search);
    if (code) query.set('case', code); else query.delete('case');
    const search = query.toString();
    history.replaceState(history.state, '', `${location.pathname}${search ? `?${search}` : ''}${location.hash}`);
  }

  root.UM = {
    el, append, api, errorText, describe, reveal, cookie, format, bound, caseInAddress,
    isNum, number, percent, percentBeside, megabytes, fileSize, pad,
    TIME_ZONE, LOCALE, cityParts, when, shortWhen, clock, cityDate, cityToday, cityMidnight,
  };
}(window));
