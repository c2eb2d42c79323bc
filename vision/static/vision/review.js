/* The video review (vision/queue.html), à la Frigate: each item's clip (the worker's strip of
 * frames, side by side in one picture) played as a player; keyboard shortcuts for the item in
 * hand (shown by "?", silent while the analyst types in a field); several items rejected at
 * once with one reason, each answered on its own. */
(function () {
  'use strict';
  const { api, bound, errorText, format, reveal } = window.UM;
  const items = () => Array.from(document.querySelectorAll('article.cand'));
  const help = document.getElementById('help');
  let current = items()[0] || null;
  const players = new Map();

  /* A strip's frames are tiles of one height, each as wide as the camera's frame at that height. */
  function player(box) {
    const canvas = box.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const scrub = box.querySelector('.scrub');
    const play = box.querySelector('.play');
    const label = box.querySelector('.frame-no');
    const [fw, fh] = box.dataset.aspect.split('x').map(Number);
    const strip = new Image();
    let tile = 1, count = 0, frame = 0, timer = null;

    function show(i) {
      if (!count) return;
      frame = (i + count) % count;
      ctx.drawImage(strip, frame * tile, 0, tile, strip.naturalHeight, 0, 0, canvas.width, canvas.height);
      scrub.value = String(frame);
      label.textContent = format(gettext('frame %(n)s of %(count)s'), { n: frame + 1, count });
    }
    function stop() {
      clearInterval(timer);
      timer = null;
      play.textContent = play.dataset.play;
    }
    function toggle() {
      if (timer) { stop(); return; }
      if (!count) return;
      timer = setInterval(() => show(frame + 1), 600);
      play.textContent = play.dataset.pause;
    }
    strip.onload = () => {
      tile = Math.max(1, Math.floor((fw * strip.naturalHeight) / fh));
      count = Math.max(1, Math.round(strip.naturalWidth / tile));
      canvas.width = tile;
      canvas.height = strip.naturalHeight;
      scrub.max = String(count - 1);
      box.dataset.frames = String(count);
      show(0);
    };
    strip.src = box.dataset.strip;
    play.addEventListener('click', toggle);
    box.querySelectorAll('.step').forEach((b) => b.addEventListener('click', () => { stop(); show(frame + Number(b.dataset.step)); }));
    scrub.addEventListener('input', () => { stop(); show(Number(scrub.value)); });
    return { toggle, step: (d) => { stop(); show(frame + d); } };
  }
  document.querySelectorAll('.player').forEach((box) => players.set(box.closest('article'), player(box)));

  function choose(article) {
    if (!article) return;
    if (current) current.classList.remove('current');
    current = article;
    current.classList.add('current');
    current.focus({ preventScroll: true });
    // Taller than the room below the sticky bar (a phone), an item is shown from its top.
    const room = window.innerHeight - (parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0);
    current.scrollIntoView({ block: current.offsetHeight > room ? 'start' : 'nearest' });
  }
  function move(delta) {
    const all = items().filter((a) => !a.classList.contains('done'));
    if (!all.length) return;
    const at = all.indexOf(current);
    choose(all[Math.min(all.length - 1, Math.max(0, at < 0 ? 0 : at + delta))]);
  }
  items().forEach((a) => a.addEventListener('click', () => { if (a !== current) choose(a); }));
  // An item's address (…#candidate-12, where its confirm or reject sends a GET) makes it the current one.
  const named = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
  if (named && named.matches('article.cand')) choose(named);

  function toggleHelp(show) {
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) document.getElementById('help-close').focus();
  }
  document.getElementById('help-open').addEventListener('click', () => toggleHelp(true));
  document.getElementById('help-close').addEventListener('click', () => toggleHelp(false));

  const TYPING = /^(TEXTAREA|SELECT)$/;
  const TEXT_INPUT = /^(text|search|number|date|email|password|tel|url)$/;
  function typing(target) {
    if (!target || !target.tagName) return false;
    return TYPING.test(target.tagName) || target.isContentEditable
      || (target.tagName === 'INPUT' && TEXT_INPUT.test(target.type));
  }

  function act(key) {
    const article = current;
    const submit = (selector) => {
      const form = article && article.querySelector(selector);
      if (form) form.requestSubmit();
    };
    const actions = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      c: () => submit('form.confirm'),
      r: () => { const reason = article && article.querySelector('form.reject select[name=reason]'); if (reason) { reason.focus(); reveal(reason); } },
      x: () => { const pick = article && article.querySelector('input.pick'); if (pick) { pick.checked = !pick.checked; counted(); } },
      p: () => players.has(article) && players.get(article).toggle(),
      ' ': () => players.has(article) && players.get(article).toggle(),
      ArrowLeft: () => players.has(article) && players.get(article).step(-1),
      ArrowRight: () => players.has(article) && players.get(article).step(1),
      '?': () => toggleHelp(),
    };
    const action = actions[key];
    if (!action) return false;
    action();
    return true;
  }

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (!help.hidden) toggleHelp(false);
      else if (typing(e.target)) e.target.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (typing(e.target)) {
      // Enter in a reject form's reason sends it: "r", choose, Enter.
      if (e.key === 'Enter' && e.target.name === 'reason' && e.target.form && e.target.form.classList.contains('reject')) {
        e.preventDefault();
        e.target.form.requestSubmit();
      }
      return;
    }
    if (!help.hidden && e.key !== '?') return;
    if (act(e.key)) e.preventDefault();
  });

  /* --- several at once (the bar stays at the top of the window, so its answer is in view) --- */
  const bulk = document.getElementById('bulk');
  if (!bulk) return;
  // What the page scrolls to (an item's address, …#candidate-12; the current item) stops below the bar.
  const fitBar = () => document.documentElement.style.setProperty('--bulk-bar', `${bulk.offsetHeight}px`);
  fitBar();
  if (window.ResizeObserver) new ResizeObserver(fitBar).observe(bulk);
  const result = document.getElementById('bulk-result');
  const picks = () => Array.from(document.querySelectorAll('article.cand:not(.done) input.pick'));
  function counted() {
    const n = picks().filter((p) => p.checked).length;
    document.getElementById('bulk-count').textContent = n ? format(gettext('%(n)s selected'), { n }) : '';
  }
  document.addEventListener('change', (e) => { if (e.target.classList && e.target.classList.contains('pick')) counted(); });
  document.getElementById('pick-all').addEventListener('change', (e) => {
    picks().forEach((p) => { p.checked = e.target.checked; });
    counted();
  });
  function tell(text, bad) {
    result.textContent = text;
    result.className = bad ? 'error' : 'success';
    result.hidden = false;
    reveal(result);
  }
  bulk.addEventListener('submit', async (e) => {
    e.preventDefault();
    const ids = picks().filter((p) => p.checked).map((p) => Number(p.value));
    const reason = bulk.elements.bulk_reason.value;
    if (!ids.length) { tell(gettext('Select the candidates to reject first (x, or their boxes).'), true); return; }
    if (!reason) { tell(gettext('Choose a reason for rejecting.'), true); bulk.elements.bulk_reason.focus(); return; }
    const button = document.getElementById('bulk-reject');
    button.disabled = true;
    const answer = await api('/api/v1/vision/candidates/reject/', { method: 'POST', json: { ids, reason, note: bulk.elements.bulk_note.value } });
    button.disabled = false;
    if (!answer.ok) { tell(errorText(answer), true); return; }
    answer.data.results.forEach((outcome) => {
      const article = document.getElementById(`candidate-${outcome.id}`);
      if (!article) return;
      const line = article.querySelector('.outcome');
      line.textContent = outcome.ok ? gettext('Rejected.') : outcome.error;
      line.className = `outcome ${outcome.ok ? 'success' : 'error'}`;
      line.hidden = false;
      if (outcome.ok) {
        article.classList.add('done');
        article.querySelectorAll('form.confirm, form.reject').forEach((f) => f.remove());
      }
      article.querySelector('input.pick').checked = !outcome.ok;
    });
    if (current && current.classList.contains('done')) move(1);
    const failed = answer.data.results.length - answer.data.rejected;
    tell(format(gettext('%(ok)s of %(n)s rejected.'), { ok: answer.data.rejected, n: answer.data.results.length })
      + (failed ? ' ' + gettext('The others are still selected: see why beside each.') : ''), failed > 0);
    counted();
  });
  bound(bulk);
}());
