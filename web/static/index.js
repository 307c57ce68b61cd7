// Upload page: drag-and-drop, file picker or paste; options; the history of past jobs.
import { api, el, fmtScore, showError, timeAgo, TERMINAL } from './app.js';

const form = document.getElementById('upload-form');
const dropzone = document.getElementById('dropzone');
const input = document.getElementById('file-input');
const chosenLabel = document.getElementById('chosen');
const chosenPreview = document.getElementById('chosen-preview');
const submit = document.getElementById('submit');
const uploadError = document.getElementById('upload-error');
const history = document.getElementById('history');
const historyEmpty = document.getElementById('history-empty');
let chosen = null;
let previewUrl = null;

function choose(file) {
  if (!file) return;
  chosen = file;
  chosenLabel.hidden = false;
  chosenLabel.textContent = `${file.name || 'pasted image'} · ${(file.size / 1048576).toFixed(2)} MiB`;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  chosenPreview.hidden = true;
  if (file.type.startsWith('image/')) {
    previewUrl = URL.createObjectURL(file);
    chosenPreview.src = previewUrl;
    chosenPreview.hidden = false;
  }
  submit.disabled = false;
  showError(uploadError, null);
}

dropzone.addEventListener('click', (event) => {
  if (event.target.tagName !== 'LABEL') input.click();
});
dropzone.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    input.click();
  }
});
input.addEventListener('change', () => choose(input.files[0]));
for (const name of ['dragenter', 'dragover']) {
  dropzone.addEventListener(name, (event) => {
    event.preventDefault();
    dropzone.classList.add('over');
  });
}
for (const name of ['dragleave', 'drop']) {
  dropzone.addEventListener(name, () => dropzone.classList.remove('over'));
}
dropzone.addEventListener('drop', (event) => {
  event.preventDefault();
  choose(event.dataTransfer.files[0]);
});
window.addEventListener('paste', (event) => {
  const item = [...(event.clipboardData?.items || [])].find((i) => i.kind === 'file');
  if (item) {
    event.preventDefault();
    choose(item.getAsFile());
  }
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!chosen) return;
  const body = new FormData();
  body.append('file', chosen, chosen.name || 'pasted.png');
  for (const name of ['backend', 'refine_rounds', 'mode']) body.append(name, form.elements[name].value);
  submit.disabled = true;
  submit.textContent = 'Uploading…';
  try {
    const job = await api('/api/v1/replications', { method: 'POST', body });
    window.location.assign(`/jobs/${job.id}`);
  } catch (error) {
    showError(uploadError, error);
    submit.disabled = false;
  } finally {
    submit.textContent = 'Replicate';
  }
});

let refreshTimer = null;

async function loadHistory() {
  clearTimeout(refreshTimer);
  let page;
  try {
    page = await api('/api/v1/replications?limit=50');
  } catch (error) {
    historyEmpty.hidden = false;
    historyEmpty.textContent = `History unavailable: ${error.message}`;
    return;
  }
  history.replaceChildren(...page.items.map(historyItem));
  historyEmpty.hidden = page.items.length > 0;
  if (page.items.some((job) => !TERMINAL.has(job.state))) refreshTimer = setTimeout(loadHistory, 3000);
}

function historyItem(job) {
  const score = job.state === 'succeeded' ? fmtScore(job.score) : job.state;
  return el('li', { class: `history-item state-${job.state}` },
    el('a', { href: job.urls.page },
      el('img', { src: job.urls.thumbnail, alt: '', loading: 'lazy', class: 'thumb' }),
      el('span', { class: 'history-name', text: job.filename || job.id.slice(0, 8) }),
      el('span', { class: `badge badge-${job.state}`, text: score }),
      el('span', { class: 'muted', text: `${job.options.backend} · ${job.kind || ''} · ${timeAgo(job.created_at)}` })));
}

document.getElementById('refresh').addEventListener('click', loadHistory);
loadHistory();
