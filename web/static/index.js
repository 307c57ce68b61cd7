// Upload page: drag-and-drop, file picker or paste; options checked before upload; recent jobs.
import { api, showError } from './app.js';
import { HistoryList } from './history-list.js';

const form = document.getElementById('upload-form');
const dropzone = document.getElementById('dropzone');
const input = document.getElementById('file-input');
const chosenLabel = document.getElementById('chosen');
const chosenPreview = document.getElementById('chosen-preview');
const submit = document.getElementById('submit');
const uploadError = document.getElementById('upload-error');
const rounds = document.getElementById('refine-rounds');
const roundsError = document.getElementById('rounds-error');
const maxBytes = Number(form.dataset.maxMib) * 1048576;
const ACCEPTED = input.accept.split(',');
// What the server says about a file it will not take: the file must go, the options may stay.
const FILE_ERRORS = new Set(['unsupported_media', 'corrupt_input', 'input_too_large', 'video_rejected']);
let chosen = null;
let previewUrl = null;

function kindOf(file) {
  const dot = (file.name || '').lastIndexOf('.');
  return dot > 0 ? file.name.slice(dot) : file.type || 'this';
}

// Checked at once, not at upload: a wrong type or an oversized file is refused and not kept.
function problemWith(file) {
  if (!ACCEPTED.includes(file.type)) {
    return `${kindOf(file)} files cannot be replicated. Choose a PNG, JPEG or WebP screenshot, or an MP4, MOV or WebM recording.`;
  }
  if (file.size > maxBytes) {
    return `That file is ${(file.size / 1048576).toFixed(1)} MiB; the limit is ${form.dataset.maxMib} MiB.`;
  }
  if (file.size === 0) return 'That file is empty.';
  return null;
}

function clearChoice() {
  chosen = null;
  input.value = '';
  chosenLabel.hidden = true;
  chosenPreview.hidden = true;
  chosenPreview.removeAttribute('src');
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = null;
  submit.disabled = true;
}

function choose(file) {
  if (!file) return;
  const problem = problemWith(file);
  clearChoice();
  if (problem) {
    showError(uploadError, new Error(problem));
    return;
  }
  chosen = file;
  chosenLabel.hidden = false;
  chosenLabel.textContent = `${file.name || 'pasted image'} · ${(file.size / 1048576).toFixed(2)} MiB`;
  if (file.type.startsWith('image/')) {
    previewUrl = URL.createObjectURL(file);
    chosenPreview.src = previewUrl;
    chosenPreview.alt = `preview of ${file.name || 'the pasted image'}`;
    chosenPreview.hidden = false;
  }
  submit.disabled = false;
  showError(uploadError, null);
}

function roundsProblem() {
  const value = rounds.value.trim();
  const n = Number(value);
  if (value === '' || !Number.isInteger(n) || n < 0 || n > 10) return 'Refine rounds must be a whole number from 0 to 10.';
  return null;
}

function checkRounds() {
  const problem = roundsProblem();
  rounds.setAttribute('aria-invalid', String(Boolean(problem)));
  showError(roundsError, problem ? new Error(problem) : null);
  return !problem;
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
rounds.addEventListener('input', checkRounds);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!chosen || !checkRounds()) return;
  const body = new FormData();
  body.append('file', chosen, chosen.name || 'pasted.png');
  for (const name of ['backend', 'refine_rounds', 'mode', 'stack', 'variants']) body.append(name, form.elements[name].value);
  submit.disabled = true;
  submit.textContent = 'Uploading…';
  try {
    const job = await api('/api/v1/replications', { method: 'POST', body });
    window.location.assign(`/jobs/${job.id}`);
  } catch (error) {
    showError(uploadError, error);
    if (FILE_ERRORS.has(error.code)) clearChoice();
    else submit.disabled = false;
  } finally {
    submit.textContent = 'Replicate';
  }
});

const recent = new HistoryList(document.getElementById('history'), {
  empty: document.getElementById('history-empty'),
  limit: Number(document.getElementById('history').dataset.limit),
});
recent.load().catch((error) => {
  const empty = document.getElementById('history-empty');
  empty.hidden = false;
  empty.textContent = `History unavailable: ${error.message}`;
});
