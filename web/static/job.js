// One job: live progress from the event stream, then the result (compare views, scores, code).
import { api, el, fmtScore, scoreEntries, showError, TERMINAL } from './app.js';

const root = document.getElementById('job');
const jobId = root.dataset.jobId;
const $ = (id) => document.getElementById(id);
let job = null;
let events = null;

async function load() {
  try {
    job = await api(`/api/v1/replications/${jobId}`);
  } catch (error) {
    showError($('job-error'), error);
    $('state').textContent = 'unknown';
    return;
  }
  showJob();
  if (!events) follow();
  if (job.state === 'succeeded') showResult();
}

function showJob() {
  const state = $('state');
  state.textContent = job.state;
  state.className = `badge badge-${job.state}`;
  const opts = job.options;
  const parts = [job.filename || 'upload', job.kind, `backend ${opts.backend}`, `${opts.refine_rounds} refine round(s)`, opts.mode];
  if (job.duration_s !== null) parts.push(`${job.duration_s.toFixed(1)} s`);
  $('meta').textContent = parts.filter(Boolean).join(' · ');
  $('cancel').hidden = TERMINAL.has(job.state);
  showError($('job-error'), job.error && job.state !== 'succeeded' ? job.error : null);
}

// --- progress ---------------------------------------------------------------------------------

function follow() {
  events = new EventSource(job.urls.events);
  const on = (kind, handler) => events.addEventListener(kind, (message) => handler(JSON.parse(message.data).data || {}));
  on('stage', (data) => addStage(data));
  on('thinking', (data) => appendStream('thinking', data.text));
  on('answer', (data) => appendStream('answer', data.text));
  on('note', (data) => $('notes').append(el('li', { text: data.message })));
  on('candidate', (data) => $('notes').append(el('li', { text: `Round ${data.round} scored ${fmtScore(data.score.overall)}.` })));
  on('usage', (data) => $('notes').append(el('li', { class: 'muted', text: `Round ${data.round}: ${data.prompt_tokens} prompt + ${data.completion_tokens} completion tokens.` })));
  on('state', (data) => {
    if (TERMINAL.has(data.state)) {
      markStagesDone(data.state === 'succeeded');
      load();
    } else {
      $('state').textContent = data.state;
    }
  });
  events.addEventListener('end', () => events.close());
}

function addStage(data) {
  markStagesDone(true);
  if (data.stage === 'done') return;
  const label = data.round ? `${data.stage} (round ${data.round})` : data.stage;
  $('stages').append(el('li', { class: 'stage running', text: label }));
}

function markStagesDone(ok) {
  for (const item of $('stages').querySelectorAll('.running')) {
    item.classList.remove('running');
    item.classList.add(ok ? 'done' : 'stopped');
  }
}

function appendStream(id, text) {
  const box = $(`${id}-box`);
  box.hidden = false;
  const pre = $(id);
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.append(text);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

// --- result -----------------------------------------------------------------------------------

function showResult() {
  const result = job.result;
  const urls = job.urls;
  $('result').hidden = false;
  for (const id of ['img-source', 'slider-source', 'blend-source']) $(id).src = urls.source;
  for (const id of ['img-render', 'slider-render', 'blend-render']) $(id).src = urls.render;
  $('img-diff').src = urls.diff;
  $('download').href = urls.html;
  $('download').setAttribute('download', `replication-${jobId.slice(0, 8)}.html`);
  if (result) {
    showScores(result);
    showStates(result.states || []);
  }
  loadCode(urls.html);
  sameScale();
}

function showScores(result) {
  $('overall').textContent = fmtScore(result.score.overall);
  $('breakdown').replaceChildren(...scoreEntries(result.score).filter(([k]) => k !== 'overall').map(
    ([name, value]) => el('tr', {}, el('th', { text: name }), el('td', {}, bar(value), el('span', { text: fmtScore(value) })))));
  $('rounds').replaceChildren(...result.rounds.map((r) => el('li', { class: r.round === result.best_round ? 'best' : '' },
    `Round ${r.round}: ${fmtScore(r.score.overall)}`, r.round === result.best_round ? ' (best)' : '', r.truncated ? ' · answer cut off' : '')));
  $('discrepancies').replaceChildren(...result.discrepancies.slice(0, 10).map(
    (d) => el('li', {}, el('span', { class: 'tag', text: d.kind }), ` ${d.message}`)));
  const rows = Object.entries(result.timings_ms).map(([stage, ms]) => [stage, `${(ms / 1000).toFixed(2)} s`]);
  const usage = result.usage;
  rows.push(['tokens', `${usage.prompt_tokens} in / ${usage.completion_tokens} out`]);
  rows.push(['cost', `$${usage.cost_usd.toFixed(4)}`]);
  $('timings').replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { text: k }), el('td', { text: v }))));
}

function bar(value) {
  const meter = el('meter', { min: 0, max: 100, low: 60, high: 85, optimum: 100 });
  meter.value = value;
  return meter;
}

function showStates(states) {
  if (!states.length) return;
  $('states-card').hidden = false;
  $('states').replaceChildren(...states.map((s) => el('li', { class: s.reached ? 'reached' : 'missed' },
    el('div', { class: 'pair' },
      el('img', { src: s.source_url, alt: `key frame ${s.index}`, loading: 'lazy' }),
      s.render_url ? el('img', { src: s.render_url, alt: `state ${s.index} reached`, loading: 'lazy' }) : el('div', { class: 'placeholder', text: 'not reached' })),
    el('p', { text: `#${s.index} at ${s.timestamp_s.toFixed(1)} s · ${s.reached ? 'reached' : 'not reached'} · ${s.score ? fmtScore(s.score.overall) : '–'}` }))));
}

async function loadCode(url) {
  let html;
  try {
    html = await api(url, { as: 'text' });
  } catch (error) {
    $('code').textContent = `Could not load the code: ${error.message}`;
    return;
  }
  const code = $('code');
  code.textContent = html;
  $('copy').onclick = async () => {
    await navigator.clipboard.writeText(html);
    $('copy').textContent = 'Copied';
    setTimeout(() => { $('copy').textContent = 'Copy'; }, 1500);
  };
  try {
    const [{ default: hljs }, xml, css, javascript] = await Promise.all([
      import('/vendor/hljs/core.js'),
      import('/vendor/hljs/languages/xml.js'),
      import('/vendor/hljs/languages/css.js'),
      import('/vendor/hljs/languages/javascript.js'),
    ]);
    hljs.registerLanguage('xml', xml.default);
    hljs.registerLanguage('css', css.default);
    hljs.registerLanguage('javascript', javascript.default);
    // highlight() escapes the text itself; its output is markup of <span class="hljs-...">.
    code.innerHTML = hljs.highlight(html, { language: 'xml' }).value;
    code.classList.add('hljs');
  } catch (error) {
    console.warn('highlighting unavailable', error);
  }
}

// Source and render at one scale (the render is at the source's viewport width, so one factor fits both).
function sameScale() {
  const images = [$('img-source'), $('img-render')];
  const apply = () => {
    const widest = Math.max(...images.map((img) => img.naturalWidth || 0));
    if (!widest) return;
    const column = $('scroll-source').clientWidth;
    const scale = Math.min(1, column / widest);
    for (const img of images) img.style.width = `${img.naturalWidth * scale}px`;
  };
  for (const img of images) img.addEventListener('load', apply);
  window.addEventListener('resize', apply);
  apply();
}

function syncScroll(a, b) {
  let syncing = false;
  const mirror = (from, to) => () => {
    if (syncing) { syncing = false; return; }
    syncing = true;
    to.scrollTop = from.scrollTop;
    to.scrollLeft = from.scrollLeft;
  };
  a.addEventListener('scroll', mirror(a, b));
  b.addEventListener('scroll', mirror(b, a));
}

function tabs() {
  const buttons = document.querySelectorAll('[role="tab"]');
  for (const button of buttons) {
    button.addEventListener('click', () => {
      for (const other of buttons) other.setAttribute('aria-selected', String(other === button));
      for (const view of document.querySelectorAll('.view')) view.hidden = view.dataset.view !== button.dataset.view;
      if (button.dataset.view === 'live' && job && job.urls.preview && !$('live').src) $('live').src = job.urls.preview;
    });
  }
  $('slider').addEventListener('input', (event) => {
    $('slider-source').style.clipPath = `inset(0 ${100 - event.target.value}% 0 0)`;
  });
  $('blend').addEventListener('input', (event) => {
    $('blend-source').style.opacity = String(event.target.value / 100);
  });
  $('slider-source').style.clipPath = 'inset(0 50% 0 0)';
  $('blend-source').style.opacity = '0.5';
}

$('cancel').addEventListener('click', async () => {
  try {
    job = await api(job.urls.cancel, { method: 'POST' });
    showJob();
  } catch (error) {
    showError($('job-error'), error);
  }
});

syncScroll($('scroll-source'), $('scroll-render'));
tabs();
load();
