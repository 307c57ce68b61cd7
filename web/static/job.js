// One job: live progress from the event stream (stage, elapsed time, queue position, the source),
// then the result first (compare views, live preview at three widths, scores, code).
import { api, el, fmtScore, scoreClass, scoreEntries, scoreMeter, showError, TERMINAL } from './app.js';

const root = document.getElementById('job');
const jobId = root.dataset.jobId;
const $ = (id) => document.getElementById(id);
let job = null;
let events = null;
let seenRunning = false; // the job was not finished when this page opened: say so when it ends
let resultShown = false;
let clock = null;
let poll = null;

// Hints for errors a person can act on (the message itself says what happened).
const HINTS = {
  provider_auth: 'The GLM-4.5V API key is missing or was refused. The local backend works offline.',
  backend_unavailable: 'The local backend works offline.',
  provider_account: 'The GLM-4.5V account cannot be used (balance or plan). The local backend works offline.',
  provider_unavailable: 'The model provider is not answering; try again later or use the local backend.',
  provider_timeout: 'The model provider took too long; try again later or use the local backend.',
};

async function load() {
  try {
    job = await api(`/api/v1/replications/${jobId}`);
  } catch (error) {
    showError($('job-error'), error);
    $('state').textContent = 'unknown';
    return;
  }
  if (!TERMINAL.has(job.state)) seenRunning = true;
  showJob();
  if (!events) follow();
  if (job.state === 'succeeded' && !resultShown) showResult();
  if (TERMINAL.has(job.state)) finished();
}

function showJob() {
  const state = $('state');
  state.textContent = job.state;
  state.className = `badge badge-${job.state}`;
  const opts = job.options;
  const rounds = `${opts.refine_rounds} refine round${opts.refine_rounds === 1 ? '' : 's'}`;
  const parts = [job.filename || 'upload', job.kind, `backend ${opts.backend}`, rounds, opts.mode];
  if (job.duration_s !== null && TERMINAL.has(job.state)) parts.push(`${job.duration_s.toFixed(1)} s`);
  $('meta').textContent = parts.filter(Boolean).join(' · ');
  $('cancel').hidden = TERMINAL.has(job.state);
  const stopped = job.state === 'failed' || job.state === 'cancelled';
  $('retry-local').hidden = !(stopped && opts.backend !== 'local');
  $('retry').hidden = !stopped;
  if (job.error && job.state !== 'succeeded') {
    const hint = HINTS[job.error.code];
    showError($('job-error'), new Error(hint ? `${job.error.message} ${hint}` : job.error.message));
  } else {
    showError($('job-error'), null);
  }
  showStatus();
  const source = $('progress-source-img');
  if (job.urls.source && !source.getAttribute('src')) {
    source.addEventListener('load', () => { $('progress-source').hidden = false; }, { once: true });
    source.src = job.urls.source;
  }
}

// --- the status line: state, stage, queue position, elapsed time (ticking while it runs) ---------

function showStatus() {
  const text = $('status-text');
  if (job.state === 'queued') {
    const position = job.queue_position;
    text.textContent = position === 1 ? 'Queued: next to start.' : position ? `Queued: ${position - 1} job(s) ahead.` : 'Queued.';
  } else if (job.state === 'running') {
    text.textContent = `Running: ${stageLabel(job.stage) || 'starting'}.`;
  } else if (job.state === 'succeeded') {
    text.textContent = 'Finished.';
  } else {
    text.textContent = job.state === 'failed' ? `Failed${job.stage ? ` during ${job.stage}` : ''}.` : 'Cancelled.';
  }
  clearInterval(clock);
  clearTimeout(poll);
  if (TERMINAL.has(job.state)) {
    $('elapsed').textContent = job.duration_s !== null ? `${job.duration_s.toFixed(1)} s` : '';
    return;
  }
  const base = job.elapsed_s || 0;
  const since = performance.now();
  const tick = () => { $('elapsed').textContent = `${(base + (performance.now() - since) / 1000).toFixed(1)} s`; };
  tick();
  clock = setInterval(tick, 200);
  if (job.state === 'queued') poll = setTimeout(load, 2000); // the queue position moves without events
}

function stageLabel(stage, round) {
  if (!stage) return '';
  return round ? `${stage} (round ${round})` : stage;
}

function announce(message) {
  $('announce').textContent = message;
}

// --- progress ---------------------------------------------------------------------------------

function follow() {
  events = new EventSource(job.urls.events);
  const on = (kind, handler) => events.addEventListener(kind, (message) => handler(JSON.parse(message.data).data || {}));
  on('stage', (data) => {
    addStage(data);
    if (data.stage !== 'done' && job && !TERMINAL.has(job.state)) {
      job.stage = data.stage;
      $('status-text').textContent = `Running: ${stageLabel(data.stage, data.round)}.`;
    }
  });
  on('thinking', (data) => appendStream('thinking', data.text));
  on('answer', (data) => appendStream('answer', data.text));
  on('note', (data) => $('notes').append(el('li', { text: data.message })));
  on('candidate', (data) => $('notes').append(el('li', { text: `Round ${data.round} scored ${fmtScore(data.score.overall)}.` })));
  on('usage', (data) => {
    if (!data.prompt_tokens && !data.completion_tokens) return; // an offline backend uses no tokens
    $('notes').append(el('li', { class: 'muted', text: `Round ${data.round}: ${data.prompt_tokens} prompt + ${data.completion_tokens} completion tokens.` }));
  });
  on('state', (data) => {
    if (TERMINAL.has(data.state)) markStagesDone(data.state === 'succeeded');
    if (job && !TERMINAL.has(job.state) && data.state !== job.state) load(); // not for replayed history
  });
  events.addEventListener('end', () => events.close());
}

function addStage(data) {
  markStagesDone(true);
  if (data.stage === 'done') return;
  $('stages').append(el('li', { class: 'stage running', text: stageLabel(data.stage, data.round) }));
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

// The job has ended: the progress log folds away under the result; if it ended while watched, say so.
function finished() {
  $('progress').open = false;
  $('answer-box').open = false;
  if (!seenRunning) return;
  seenRunning = false;
  if (job.state === 'succeeded') {
    const score = fmtScore(job.score);
    $('ready').hidden = false;
    $('ready').textContent = `Done: the replica scored ${score}. The result is below.`;
    announce(`Replication finished: score ${score}.`);
    $('result-title').focus({ preventScroll: true });
    $('result').scrollIntoView({ block: 'start' });
  } else {
    announce(`Replication ${job.state}.${job.error ? ` ${job.error.message}` : ''}`);
  }
}

// --- result -----------------------------------------------------------------------------------

function showResult() {
  resultShown = true;
  const result = job.result;
  const urls = job.urls;
  $('result').hidden = false;
  for (const id of ['img-source', 'slider-source', 'blend-source']) $(id).src = urls.source;
  for (const id of ['img-render', 'slider-render', 'blend-render']) $(id).src = urls.render;
  $('img-diff').src = urls.diff;
  // The code in the job's stack (page.html, Page.jsx, Page.vue); older jobs have only the page.
  const stack = (result && result.stack) || { name: 'html-css', filename: 'page.html' };
  const component = stack.name === 'react-tailwind' || stack.name === 'vue-tailwind';
  const codeUrl = urls.code || urls.html;
  $('download').href = codeUrl;
  $('download').setAttribute('download', component ? stack.filename : `replication-${jobId.slice(0, 8)}.html`);
  $('download').textContent = `Download ${component ? stack.filename : 'HTML'}`;
  $('code-stack').textContent = stack.label ? `(${stack.label})` : '';
  $('open-preview').href = `/jobs/${jobId}/preview`;
  if (result) {
    showVariants(result.variants || []);
    showScores(result);
    showStates(result.states || []);
    showSteps(result.interactions);
  }
  loadCode(codeUrl, stack.name === 'react-tailwind' ? 'javascript' : 'xml');
  sameScale();
}

function showScores(result) {
  const overall = $('overall');
  overall.textContent = fmtScore(result.score.overall);
  overall.className = `score-big ${scoreClass(result.score.overall)}`;
  $('breakdown').replaceChildren(...scoreEntries(result.score).filter(([k]) => k !== 'overall').map(
    ([name, value]) => el('tr', {},
      el('th', { scope: 'row', text: name }),
      el('td', {}, scoreMeter(value, `${name} ${fmtScore(value)} of 100`)),
      el('td', { class: 'value', text: fmtScore(value) }))));
  $('rounds').replaceChildren(...result.rounds.map((r) => {
    const what = r.round === 0 ? 'Round 0 (generation)' : `Round ${r.round} (refinement)`;
    const best = r.round === result.best_round && result.rounds.length > 1 ? ' · best' : '';
    return el('li', { class: r.round === result.best_round ? 'best' : '' },
      `${what}: ${fmtScore(r.score.overall)}${best}${r.truncated ? ' · answer cut off' : ''}${groundingLabel(r.grounding)}`);
  }));
  showRepairs(result.grounding);
  $('refinement').textContent = result.refinement || '';
  $('refinement').hidden = !result.refinement;
  $('discrepancies').replaceChildren(...result.discrepancies.slice(0, 10).map(
    (d) => el('li', {}, el('span', { class: 'tag', text: d.kind }), ` ${d.message}`)));
  const rows = Object.entries(result.timings_ms).map(([stage, ms]) => [stage, `${(ms / 1000).toFixed(2)} s`]);
  const usage = result.usage;
  const brief = result.grounding && result.grounding.brief;
  if (brief) rows.push(['brief', `about ${brief.tokens} tokens · ${brief.lines_listed} of ${brief.lines_total} text lines`]);
  if (usage.prompt_tokens || usage.completion_tokens) {
    rows.push(['tokens', `${usage.prompt_tokens} in / ${usage.completion_tokens} out`]);
    rows.push(['cost', `$${usage.cost_usd.toFixed(4)}`]);
  } else {
    rows.push(['tokens', 'none (no model was called)']);
  }
  $('timings').replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { scope: 'row', text: k }), el('td', { text: v }))));
}

// A grounded round: the brief its prompt carried and what repairing the model's page changed.
function groundingLabel(grounding) {
  if (!grounding) return '';
  const count = Object.values(grounding.repaired).reduce((a, b) => a + b, 0);
  const brief = grounding.brief ? ` · brief ~${grounding.brief.tokens} tokens` : '';
  return `${brief} · ${count} repair${count === 1 ? '' : 's'}`;
}

function showRepairs(grounding) {
  const repairs = grounding ? grounding.repairs : [];
  const missing = grounding ? grounding.missing_text : [];
  $('repairs-head').hidden = !repairs.length && !missing.length;
  $('repairs').replaceChildren(
    ...repairs.slice(0, 50).map((r) => el('li', {}, el('span', { class: 'tag', text: r.kind }),
      ` ${r.before || '(none)'} → ${r.after || '(unchanged)'} (${r.why})`)),
    ...missing.slice(0, 20).map((text) => el('li', {}, el('span', { class: 'tag', text: 'missing' }), ` “${text}”`)));
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

// Each recorded click replayed on the replica: what was clicked, what should and did change.
function showSteps(report) {
  if (!report || !report.steps || !report.steps.length) return;
  $('steps-title').hidden = false;
  $('steps-table').hidden = false;
  const verdict = $('steps-verdict');
  verdict.textContent = report.passed ? 'all steps work' : `${report.steps.filter((s) => !s.ok).length} failing`;
  verdict.className = `tag ${report.passed ? 'ok' : 'bad'}`;
  $('steps').replaceChildren(...report.steps.map((s) => el('tr', { class: s.ok ? 'ok' : 'failed' },
    el('td', { text: `${s.step}${s.phase === 'recorded' ? '' : ` (${s.phase})`}` }),
    el('td', { text: s.clicked ? `“${s.clicked}”` : '(by place)' }),
    el('td', { text: s.expected }),
    el('td', { text: s.observed }),
    el('td', { class: 'value', text: s.score == null ? '–' : fmtScore(s.score) }),
    el('td', { text: s.ok ? 'works' : `fails: ${s.reason}` }))));
}

// Round 0's candidates side by side (when the job asked for more than one).
function showVariants(variants) {
  $('variants-card').hidden = variants.length < 2;
  $('variants').replaceChildren(...variants.map((v) => el('figure', { class: v.chosen ? 'variant chosen' : 'variant' },
    el('figcaption', {},
      el('strong', { text: `#${v.variant}` }),
      ` ${fmtScore(v.score.overall)}`,
      v.chosen ? el('span', { class: 'badge badge-succeeded', text: 'refined into the result' }) : null),
    el('a', { href: v.urls['render.png'], target: '_blank', rel: 'noopener' },
      el('img', { src: v.urls['render.png'], alt: `render of candidate ${v.variant}`, loading: 'lazy' })),
    el('button', { type: 'button', text: 'Edit this one', onclick: () => editVariant(v) }))));
}

async function editVariant(v) {
  const text = await api(v.urls.code, { as: 'text' });
  if (editor) editor.setText(editor.view, text);
  else $('code').textContent = text;
  $('editing').hidden = false;
  $('editing').textContent = `Showing candidate #${v.variant}. "Render & score" makes a revision from it.`;
  $('editor').scrollIntoView({ block: 'nearest' });
}

// --- code, the editor and revisions ------------------------------------------------------------

let editor = null; // { view, textOf, setText } once CodeMirror has loaded
let revisions = [];
let current = 0; // the revision shown in the editor (0: the result)

async function loadCode(url, language) {
  let text;
  try {
    text = await api(url, { as: 'text' });
  } catch (error) {
    $('code').textContent = `Could not load the code: ${error.message}`;
    return;
  }
  $('code').textContent = text;
  $('copy').onclick = async () => {
    await navigator.clipboard.writeText(editor ? editor.textOf(editor.view) : $('code').textContent);
    $('copy').textContent = 'Copied';
    setTimeout(() => { $('copy').textContent = 'Copy'; }, 1500);
  };
  try {
    // The editor: CodeMirror 6 from node_modules, bundled at set-up (no CDN).
    const mod = await import('/vendor/editor.js');
    const mode = language === 'javascript' ? 'jsx' : (job.options.stack === 'vue-tailwind' ? 'vue' : 'html');
    const view = mod.createEditor($('editor'), text, mode);
    editor = { view, textOf: mod.textOf, setText: mod.setText };
    $('editor').hidden = false;
    $('code-view').hidden = true;
    $('render-score').hidden = false;
    $('render-score').onclick = renderAndScore;
  } catch (error) {
    console.warn('editor unavailable, showing the code read-only', error);
    highlight($('code'), text, language);
  }
  setUpRevisions();
}

async function highlight(code, text, language) {
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
    code.innerHTML = hljs.highlight(text, { language }).value;
    code.classList.add('hljs');
  } catch (error) {
    console.warn('highlighting unavailable', error);
  }
}

async function setUpRevisions() {
  if (job.kind === 'recording' || !job.urls.revisions) return;
  $('instruct').hidden = false;
  $('instruct').onsubmit = async (event) => {
    event.preventDefault();
    const instruction = $('instruction').value.trim();
    if (!instruction) return;
    await revise({ instruction, base: current }, `Revising with your instruction…`);
  };
  await listRevisions();
}

async function listRevisions() {
  try {
    revisions = (await api(job.urls.revisions)).revisions;
  } catch (error) {
    showError($('revise-error'), error);
    return;
  }
  $('revisions-card').hidden = revisions.length < 2;
  const made = { generated: 'generated', imported: 'imported', edit: 'your edit', instruction: 'instruction' };
  $('revisions').replaceChildren(...revisions.map((r) => el('tr', { 'aria-current': r.number === current ? 'true' : 'false' },
    el('td', { text: String(r.number) }),
    el('td', { text: r.instruction ? `${made[r.kind]}: “${r.instruction}”` : `${made[r.kind] || r.kind}${r.parent != null ? ` (from #${r.parent})` : ''}` }),
    el('td', { class: `value ${r.score ? scoreClass(r.score.overall) : ''}`, text: r.score ? fmtScore(r.score.overall) : '–' }),
    el('td', {}, el('button', { type: 'button', text: r.number === current ? 'Shown' : 'Open', disabled: r.number === current, onclick: () => openRevision(r.number) })))));
}

async function revise(body, status) {
  $('revise-error').hidden = true;
  $('revise-status').textContent = status;
  $('render-score').disabled = true;
  $('instruct-submit').disabled = true;
  try {
    const made = await api(job.urls.revisions, { method: 'POST', json: body });
    $('revise-status').textContent = `Revision #${made.number} scores ${fmtScore(made.score.overall)} (was ${fmtScore(scoreOf(made.parent))}).`;
    current = made.number;
    await listRevisions();
    compare(made);
    if (body.instruction) {
      $('instruction').value = '';
      await showRevisionCode(made);
    }
  } catch (error) {
    $('revise-status').textContent = '';
    showError($('revise-error'), error);
  } finally {
    $('render-score').disabled = false;
    $('instruct-submit').disabled = false;
  }
}

function scoreOf(number) {
  const r = revisions.find((x) => x.number === number);
  return r && r.score ? r.score.overall : NaN;
}

async function renderAndScore() {
  if (!editor) return;
  await revise({ code: editor.textOf(editor.view) }, 'Rendering and scoring your code…');
}

async function openRevision(number) {
  const r = revisions.find((x) => x.number === number);
  if (!r) return;
  current = number;
  await showRevisionCode(r);
  compare(r);
  await listRevisions();
}

async function showRevisionCode(r) {
  const text = await api(r.urls.code, { as: 'text' });
  if (editor) editor.setText(editor.view, text);
  else $('code').textContent = text;
  $('editing').hidden = false;
  $('editing').textContent = `Showing revision #${r.number}. "Render & score" makes a new revision from the code as edited.`;
}

function compare(r) {
  const parent = revisions.find((x) => x.number === r.parent);
  $('revision-compare').hidden = false;
  $('cmp-old').src = parent ? parent.urls['render.png'] : job.urls.render;
  $('cmp-old-label').textContent = parent ? `Before: #${parent.number} (${fmtScore(parent.score.overall)})` : 'Before';
  $('cmp-new').src = r.urls['render.png'];
  $('cmp-new-label').textContent = `After: #${r.number} (${fmtScore(r.score.overall)})`;
  $('cmp-diff').src = r.urls['diff.png'];
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

// --- compare views: tabs (arrow keys, roving focus), slider seam, blend, live preview -----------

function tabs() {
  const buttons = [...document.querySelectorAll('[role="tab"]')];
  const select = (button, focus) => {
    for (const other of buttons) {
      const on = other === button;
      other.setAttribute('aria-selected', String(on));
      other.tabIndex = on ? 0 : -1;
      $(other.getAttribute('aria-controls')).hidden = !on;
    }
    if (focus) button.focus();
    if (button.dataset.view === 'live') showPreview();
    if (button.dataset.view === 'side') sameScale();
  };
  for (const button of buttons) {
    button.addEventListener('click', () => select(button, false));
    button.addEventListener('keydown', (event) => {
      const i = buttons.indexOf(button);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: buttons.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select(buttons[(next + buttons.length) % buttons.length], true);
    });
  }
}

function slider() {
  const range = $('slider');
  const stack = $('slider-stack');
  const set = (value) => {
    range.value = String(value);
    $('slider-source').style.clipPath = `inset(0 ${100 - value}% 0 0)`;
    $('seam').style.left = `${value}%`;
  };
  range.addEventListener('input', () => set(Number(range.value)));
  // Dragging on the picture moves the seam too.
  const drag = (event) => {
    const box = stack.getBoundingClientRect();
    set(Math.round(Math.min(100, Math.max(0, ((event.clientX - box.left) / box.width) * 100))));
  };
  stack.addEventListener('pointerdown', (event) => {
    stack.setPointerCapture(event.pointerId);
    drag(event);
    stack.addEventListener('pointermove', drag);
  });
  stack.addEventListener('pointerup', () => stack.removeEventListener('pointermove', drag));
  set(50);
  $('blend').addEventListener('input', (event) => {
    $('blend-source').style.opacity = String(event.target.value / 100);
  });
  $('blend-source').style.opacity = '0.5';
}

// The live preview is laid out at the chosen width (the source's by default) and scaled to fit.
let previewWidth = 'source';

function showPreview() {
  if (!job || !job.urls.preview) return;
  const frame = $('live');
  if (!frame.getAttribute('src')) frame.src = job.urls.preview;
  fitPreview();
}

function fitPreview() {
  const render = (job && job.result && job.result.render) || {};
  const sourceWidth = render.width || 1280;
  const width = previewWidth === 'source' ? sourceWidth : Number(previewWidth);
  const box = $('frame-box');
  const available = box.clientWidth - 2;
  if (available <= 0) return;
  const scale = Math.min(1, available / width);
  const frame = $('live');
  frame.style.width = `${width}px`;
  frame.style.height = `${Math.floor((box.clientHeight - 2) / scale)}px`;
  frame.style.transform = scale < 1 ? `scale(${scale})` : '';
  $('preview-size').textContent = `${width} px wide${scale < 1 ? `, shown at ${Math.round(scale * 100)}%` : ''}`;
}

function previewWidths() {
  const buttons = [...document.querySelectorAll('[data-width]')];
  for (const button of buttons) {
    button.addEventListener('click', () => {
      previewWidth = button.dataset.width;
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
      fitPreview();
    });
  }
  window.addEventListener('resize', () => { if (!$('view-live').hidden) fitPreview(); });
}

// --- actions ----------------------------------------------------------------------------------

$('cancel').addEventListener('click', async () => {
  try {
    job = await api(job.urls.cancel, { method: 'POST' });
    showJob();
  } catch (error) {
    showError($('job-error'), error);
  }
});

async function retry(backend) {
  try {
    const url = backend ? `${job.urls.retry}?backend=${backend}` : job.urls.retry;
    const again = await api(url, { method: 'POST' });
    window.location.assign(again.urls.page);
  } catch (error) {
    showError($('job-error'), error);
  }
}

$('retry-local').addEventListener('click', () => retry('local'));
$('retry').addEventListener('click', () => retry(null));

syncScroll($('scroll-source'), $('scroll-render'));
tabs();
slider();
previewWidths();
load();
