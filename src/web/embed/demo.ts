// The embed demo page (/embed.html): the snippet names this server, and the live instance's
// events are listed as they come.
const snippet = document.getElementById('snippet');
if (snippet) snippet.textContent = (snippet.textContent ?? '').replace('https://cutout.example.com', location.origin);

const log = document.getElementById('log') as HTMLOListElement;
const demo = document.getElementById('demo');
// The key the Cutout page keeps for this server (when API_KEYS is on), for the live instance.
const key = localStorage.getItem('cutout-api-key');
if (key) demo?.setAttribute('api-key', key);

function line(type: string, text: string): void {
  log.querySelector('.empty')?.remove();
  const li = document.createElement('li');
  const name = document.createElement('code');
  name.textContent = type;
  li.append(name, ` ${text}`);
  log.prepend(li);
  while (log.children.length > 12) log.lastElementChild?.remove();
}

demo?.addEventListener('cutout-progress', (e) => {
  const d = e.detail;
  line(e.type, `${d.status}${d.stage ? ` · ${d.stage}` : ''} · ${Math.round(d.percent)}%`);
});
demo?.addEventListener('cutout-done', (e) => line(e.type, `${e.detail.jobId}: ${e.detail.blob.type}, ${e.detail.blob.size} bytes, ${e.detail.width}×${e.detail.height}`));
demo?.addEventListener('cutout-error', (e) => line(e.type, `${e.detail.code}: ${e.detail.message}`));
