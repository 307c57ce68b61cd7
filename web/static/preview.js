// The generated page on a tab of its own, still inside a sandboxed frame (never opened bare).
import { api } from './app.js';

const jobId = document.body.dataset.jobId;
const frame = document.getElementById('live');
api(`/api/v1/replications/${jobId}`).then((job) => {
  if (job.urls.preview) frame.src = job.urls.preview;
  else document.title = `Replication ${jobId.slice(0, 8)} has no page yet`;
});
