// Shared by every page: API calls (with the bearer token when the server wants one), small helpers.
const TOKEN_KEY = 'replicator.apiToken';

export const authRequired = document.body.dataset.authRequired === 'true';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

let pendingAsk = null;

// Ask for the token in a dialog; resolves once one is saved. The token lives in this tab only.
export function askToken(message) {
  if (pendingAsk) return pendingAsk;
  const dialog = document.getElementById('token-dialog');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  const error = document.getElementById('token-error');
  error.hidden = !message;
  error.textContent = message || '';
  input.value = '';
  pendingAsk = new Promise((resolve) => {
    form.addEventListener('submit', () => {
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      pendingAsk = null;
      resolve();
    }, { once: true });
  });
  dialog.showModal();
  return pendingAsk;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// fetch() against our API: JSON in and out, errors as ApiError with the server's message.
export async function api(url, { method = 'GET', body = undefined, json = undefined, as = 'json' } = {}) {
  if (json !== undefined) body = JSON.stringify(json);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const headers = new Headers({ Accept: as === 'json' ? 'application/json' : '*/*' });
    if (json !== undefined) headers.set('Content-Type', 'application/json');
    if (token()) headers.set('Authorization', `Bearer ${token()}`);
    const response = await fetch(url, { method, body, headers });
    if (response.status === 401 && authRequired) {
      await askToken(token() ? 'That token was not accepted.' : '');
      continue;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      const error = data && data.error ? data.error : { code: 'http_error', message: `HTTP ${response.status}` };
      throw new ApiError(response.status, error.code, error.message);
    }
    if (response.status === 204) return null;
    return as === 'text' ? response.text() : response.json();
  }
  throw new ApiError(401, 'unauthorized', 'An API token is required.');
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key in node && typeof value !== 'string') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function fmtScore(value) {
  return value === null || value === undefined ? '–' : Number(value).toFixed(1);
}

// The score's parts in the order the CLI and the docs show them (stored results may come sorted).
const SCORE_ORDER = ['overall', 'block', 'text', 'position', 'color', 'typography', 'edges', 'graphics', 'visual'];

export function scoreEntries(score) {
  const rank = (name) => (SCORE_ORDER.includes(name) ? SCORE_ORDER.indexOf(name) : SCORE_ORDER.length);
  return Object.entries(score).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

export function timeAgo(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return 'just now';
  if (delta < 3600) return `${Math.round(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.round(delta / 3600)} h ago`;
  return new Date(seconds * 1000).toLocaleDateString();
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

// An error for a person: its message only (the machine code stays in the API's JSON and the console).
export function showError(node, error) {
  node.hidden = !error;
  node.textContent = error ? error.message || String(error) : '';
  if (error && error.code) console.info('error code:', error.code);
}

// The colour class of a score: good from 90 (the default target), fair from 75, poor below.
export function scoreClass(value) {
  if (value === null || value === undefined) return '';
  if (value >= 90) return 'score-good';
  if (value >= 75) return 'score-fair';
  return 'score-poor';
}

// A score as a meter: red below 75, amber below 90, green from 90.
export function scoreMeter(value, label) {
  const meter = el('meter', { min: 0, max: 100, low: 75, high: 90, optimum: 100, 'aria-label': label });
  meter.value = value;
  return meter;
}

const tokenButton = document.getElementById('token-button');
if (authRequired && tokenButton) {
  tokenButton.hidden = false;
  tokenButton.addEventListener('click', () => askToken(''));
}
