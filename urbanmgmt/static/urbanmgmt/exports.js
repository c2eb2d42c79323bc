/*
 * Asking for an export and following it (urbanmgmt/storage/exports.py): a POST to the
 * export's address answers either where to download a small one at once ({download}) or the
 * job making a large one in the background, whose state and progress this script polls
 * (/exports/<id>/) and shows in a panel until its file can be downloaded or its error read.
 * Loaded after ui.js; used by the dispatch map and the managers' dashboard (UMExports.ask),
 * and by "my exports", whose unfinished rows it keeps up to date.
 */
(function (root) {
  'use strict';

  const POLL_MS = 1000;

  function UM() { return root.UM; }

  function progressText(job) {
    if (!job.total) return '';
    return UM().format(gettext('%(done)s of %(total)s done'), { done: job.done, total: job.total });
  }

  function render(panel, job) {
    const { el } = UM();
    panel.replaceChildren();
    panel.hidden = false;
    panel.dataset.state = job.state;
    panel.append(el('p', {}, el('strong', {}, job.title), ' ', el('span', { class: 'tag', dataset: { field: 'state' } },
      job.state_label)));
    if (!job.finished) {
      panel.append(el('progress', { max: job.total || 1, value: job.total ? job.done : 0 }),
        el('span', { class: 'muted', dataset: { field: 'progress' } }, progressText(job)));
    }
    if (job.state === 'retrying' && job.error) panel.append(el('p', { class: 'muted' }, job.error));
    if (job.state === 'failed') panel.append(el('p', { class: 'error', role: 'alert' }, job.error));
    if (job.download) {
      panel.append(el('p', {}, el('a', { href: job.download, download: job.filename || '', class: 'export-download' },
        gettext('Download')), ' ', el('span', { class: 'muted' }, UM().fileSize(job.size || 0))));
    }
    panel.append(el('p', { class: 'muted' }, el('a', { href: '/exports/' }, gettext('My exports'))));
  }

  function fail(panel, text) {
    const { el, reveal } = UM();
    panel.hidden = false;
    panel.dataset.state = 'failed';
    const message = el('p', { class: 'error', role: 'alert' }, text);
    panel.replaceChildren(message);
    reveal(message);
  }

  /* Follow the job until it is finished, calling `show(job)` at every answer. */
  async function follow(job, show, onError) {
    show(job);
    let current = job;
    while (!current.finished) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const answer = await UM().api(current.status_url);
      if (!answer.ok) {
        if (answer.status === 0) continue; // the network again: keep asking
        onError(UM().errorText(answer));
        return;
      }
      current = answer.data;
      show(current);
    }
  }

  /* Ask for the export at `url` (its parameters in the query), showing what becomes of it in `panel`. */
  async function ask(url, panel) {
    const { el } = UM();
    panel.hidden = false;
    panel.replaceChildren(el('p', { class: 'muted' }, gettext('Asking for the export…')));
    const answer = await UM().api(url, { method: 'POST' });
    if (!answer.ok) {
      fail(panel, UM().errorText(answer));
      return;
    }
    if (answer.data.id === undefined) { // small: made at once, as a plain download
      panel.replaceChildren(el('p', { class: 'muted' }, gettext('The download starts now.')));
      root.location.href = answer.data.download;
      return;
    }
    await follow(answer.data, (job) => render(panel, job), (text) => fail(panel, text));
  }

  /* "My exports": keep the rows of unfinished exports up to date. */
  function watchList() {
    document.querySelectorAll('#my-exports tr[data-status-url]').forEach((row) => {
      if (row.dataset.state === 'done' || row.dataset.state === 'failed') return;
      follow({ finished: false, status_url: row.dataset.statusUrl }, (job) => {
        if (job.state === undefined) return;
        if (job.finished) root.location.reload();
        else row.querySelector('[data-field=state]').textContent = job.state_label;
      }, () => {});
    });
  }

  /* A link with data-export-ask (and data-export-panel, the id of its panel) asks on click;
   * its href stays the plain download for a page without this script. */
  function askOnClick(event) {
    const link = event.target.closest && event.target.closest('a[data-export-ask]');
    if (!link) return;
    event.preventDefault();
    ask(link.dataset.exportAsk, document.getElementById(link.dataset.exportPanel));
  }

  root.UMExports = { ask, follow };
  document.addEventListener('DOMContentLoaded', watchList);
  document.addEventListener('click', askOnClick);
}(window));
