// The list of past replications (home page: the latest few; /history: all, filtered, deletable).
import { api, el, fmtScore, scoreClass, timeAgo, TERMINAL } from './app.js';

export class HistoryList {
  constructor(list, { empty, limit, deletable = false, onChange = () => {} }) {
    this.list = list;
    this.empty = empty;
    this.limit = limit;
    this.deletable = deletable;
    this.onChange = onChange;
    this.filters = {};
    this.shown = 0;
    this.timer = null;
  }

  async load({ more = false } = {}) {
    clearTimeout(this.timer);
    const params = new URLSearchParams({ limit: String(this.limit), offset: String(more ? this.shown : 0) });
    for (const [key, value] of Object.entries(this.filters)) if (value) params.set(key, value);
    const page = await api(`/api/v1/replications?${params}`);
    const items = page.items.map((job) => this.item(job));
    if (more) this.list.append(...items);
    else this.list.replaceChildren(...items);
    this.shown = this.list.children.length;
    this.empty.hidden = this.shown > 0;
    this.onChange({ shown: this.shown, total: page.total });
    if (page.items.some((job) => !TERMINAL.has(job.state))) this.timer = setTimeout(() => this.load(), 3000);
    return page;
  }

  item(job) {
    const done = job.state === 'succeeded';
    const label = done ? fmtScore(job.score) : job.state;
    const name = job.filename || job.id.slice(0, 8);
    // The replica once there is one (its own thumbnail), else the source.
    const thumb = el('img', { src: done ? job.urls.render_thumbnail : job.urls.thumbnail, alt: '', loading: 'lazy', class: 'thumb' });
    if (done) thumb.addEventListener('error', () => { thumb.src = job.urls.thumbnail; }, { once: true });
    const badge = el('span', {
      class: `badge ${done ? scoreClass(job.score) : `badge-${job.state}`}`,
      text: label,
      title: done ? `score ${label} of 100` : undefined,
    });
    const item = el('li', { class: `history-item state-${job.state}` },
      el('a', { href: job.urls.page, 'aria-label': `${name}: ${done ? `score ${label}` : job.state}` },
        thumb,
        el('span', { class: 'history-name', text: name })),
      el('div', { class: 'row' },
        badge,
        el('span', { class: 'muted', text: `${job.options.backend} · ${timeAgo(job.created_at)}` })));
    if (this.deletable) {
      const remove = el('button', { type: 'button', class: 'link-button delete', text: 'Delete', 'aria-label': `Delete ${name}` });
      remove.addEventListener('click', () => this.remove(job, item, remove));
      item.querySelector('.row').append(remove);
    }
    return item;
  }

  // Two clicks: the first asks, the second deletes (no modal to dismiss for an undoable-looking act).
  async remove(job, item, button) {
    if (button.dataset.armed !== 'true') {
      button.dataset.armed = 'true';
      button.textContent = 'Really delete?';
      setTimeout(() => { button.dataset.armed = ''; button.textContent = 'Delete'; }, 4000);
      return;
    }
    button.disabled = true;
    await api(job.urls.self, { method: 'DELETE' });
    item.remove();
    this.shown = this.list.children.length;
    this.empty.hidden = this.shown > 0;
    this.onChange({ shown: this.shown, total: null, deleted: job });
  }
}
