// Design check page: the same check as POST /api/v1/checks.
import { api, el, fmtScore, scoreEntries, showError } from './app.js';

const form = document.getElementById('check-form');
const errorBox = document.getElementById('check-error');
const card = document.getElementById('check-result');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = form.querySelector('button');
  button.disabled = true;
  showError(errorBox, null);
  try {
    const result = await api('/api/v1/checks', { method: 'POST', body: new FormData(form) });
    const verdict = document.getElementById('verdict');
    verdict.textContent = result.passed ? 'passed' : 'failed';
    verdict.className = `badge badge-${result.passed ? 'succeeded' : 'failed'}`;
    document.getElementById('check-score').textContent = `${fmtScore(result.score.overall)} / threshold ${fmtScore(result.threshold)}`;
    document.getElementById('check-breakdown').replaceChildren(
      ...scoreEntries(result.score).map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', { text: fmtScore(v) }))));
    document.getElementById('check-discrepancies').replaceChildren(
      ...result.discrepancies.map((d) => el('li', {}, el('span', { class: 'tag', text: d.kind }), ` ${d.message}`)));
    document.getElementById('check-render').src = result.render_url;
    document.getElementById('check-heatmap').src = result.heatmap_url;
    card.hidden = false;
  } catch (error) {
    showError(errorBox, error);
  } finally {
    button.disabled = false;
  }
});
