// Design check page: the same check as POST /api/v1/checks, with the design, the render and the heatmap.
import { api, el, fmtScore, scoreEntries, scoreMeter, showError } from './app.js';

const form = document.getElementById('check-form');
const errorBox = document.getElementById('check-error');
const status = document.getElementById('check-status');
const card = document.getElementById('check-result');
const $ = (id) => document.getElementById(id);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const button = form.querySelector('button');
  button.disabled = true;
  showError(errorBox, null);
  status.textContent = 'Rendering and scoring…';
  try {
    const result = await api('/api/v1/checks', { method: 'POST', body: new FormData(form) });
    const verdict = $('verdict');
    verdict.textContent = result.passed ? 'passed' : 'failed';
    verdict.className = `badge badge-${result.passed ? 'succeeded' : 'failed'}`;
    const score = $('check-score');
    score.textContent = `${fmtScore(result.score.overall)} / threshold ${fmtScore(result.threshold)}`;
    // The colour is the verdict's: red when the check fails, whatever the number.
    score.className = `score-big ${result.passed ? 'score-good' : 'score-poor'}`;
    $('check-failures').replaceChildren(...result.failures.map((reason) => el('li', { class: 'error', text: reason })));
    $('check-breakdown').replaceChildren(...scoreEntries(result.score).map(([name, value]) => el('tr', {},
      el('th', { scope: 'row', text: name }),
      el('td', {}, scoreMeter(value, `${name} ${fmtScore(value)} of 100`)),
      el('td', { class: 'value', text: fmtScore(value) }))));
    $('check-discrepancies').replaceChildren(
      ...result.discrepancies.map((d) => el('li', {}, el('span', { class: 'tag', text: d.kind }), ` ${d.message}`)));
    $('check-design').src = result.design_url;
    $('check-render').src = result.render_url;
    $('check-heatmap').src = result.heatmap_url;
    offerToIterate();
    card.hidden = false;
    status.textContent = `Check ${result.passed ? 'passed' : 'failed'}: ${fmtScore(result.score.overall)} against a threshold of ${fmtScore(result.threshold)}.`;
    $('check-title').focus();
  } catch (error) {
    status.textContent = '';
    showError(errorBox, error);
  } finally {
    button.disabled = false;
  }
});

// An HTML implementation can be taken further: imported as a replication of the design, where its
// code is edited or revised with instructions, each version scored against the design.
function offerToIterate() {
  const implementation = form.elements.implementation.files[0];
  const isPage = implementation && /\.html?$/i.test(implementation.name);
  $('iterate').hidden = !isPage;
  $('iterate-button').onclick = async () => {
    const body = new FormData();
    body.append('design', form.elements.design.files[0]);
    body.append('code', implementation);
    body.append('stack', 'html-css');
    $('iterate-button').disabled = true;
    status.textContent = 'Importing the page…';
    try {
      const job = await api('/api/v1/replications/import', { method: 'POST', body });
      window.location.href = `/jobs/${job.id}`;
    } catch (error) {
      status.textContent = '';
      showError(errorBox, error);
      $('iterate-button').disabled = false;
    }
  };
}
