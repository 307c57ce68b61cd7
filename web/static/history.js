// All past replications: filter by name and state, delete, show more.
import { showError } from './app.js';
import { HistoryList } from './history-list.js';

const $ = (id) => document.getElementById(id);
const count = $('history-count');
let total = 0;
const history = new HistoryList($('history'), {
  empty: $('history-empty'),
  limit: Number($('history').dataset.limit),
  deletable: true,
  onChange: ({ shown, total: known, deleted }) => {
    if (known !== null) total = known;
    else if (deleted) total -= 1;
    count.textContent = total ? `${shown} of ${total} shown` : '';
    const filtered = history.filters.q || history.filters.state;
    $('history-empty').textContent = filtered ? 'No replication matches these filters.' : 'No replications yet.';
    $('more').hidden = shown >= total;
  },
});

async function reload(options) {
  try {
    await history.load(options);
    showError($('history-error'), null);
  } catch (error) {
    showError($('history-error'), error);
  }
}

let typing = null;
$('filter-name').addEventListener('input', () => {
  clearTimeout(typing);
  typing = setTimeout(() => { history.filters.q = $('filter-name').value.trim(); reload(); }, 250);
});
$('filter-state').addEventListener('change', () => { history.filters.state = $('filter-state').value; reload(); });
$('filters').addEventListener('submit', (event) => event.preventDefault());
$('refresh').addEventListener('click', () => reload());
$('more').addEventListener('click', () => reload({ more: true }));
reload();
