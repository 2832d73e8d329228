// The list of cards and its toolbar: adds cards (newest first), turns an accepted ZIP into one card
// per item (following the batch on one stream), and acts on many cards at once: "Download all
// (ZIP)" once two or more are done (the archive is written in the browser from the results, named
// as each card's download), "Retry failed" and "Clear finished". The cards' jobs (the last 50) are
// kept in localStorage, so a reload brings them back (restore()); a card removed is forgotten.
import { followBatch, type JobEvent } from './follow.js';
import type { BatchAccepted } from './api-client.js';
import { isWorking } from './render.js';
import { Card, type CardHost, type CardSource, type OptionsSource, type Session } from './card.js';
import type { JobRequest } from './options-request.js';
import { zipBlob, type ZipEntry } from './zip-writer.js';
import { uniqueNames } from '../names.js';
import { parseOptions } from '../options/options.js';
import { DEFAULT_REQUEST } from './options-request.js';

interface Toolbar {
  root: HTMLElement;
  summary: HTMLElement;
  downloadAll: HTMLButtonElement;
  retryFailed: HTMLButtonElement;
  clearFinished: HTMLButtonElement;
}

const DOWNLOAD_ALL = 'Download all (ZIP)';
/** Where the cards' jobs are kept between visits: [job id, name, options as sent] each, newest first. */
const SAVED = 'cutout-cards';
type Saved = [jobId: string, name: string, fields: Record<string, string>];
/** A path inside the archive with no way out of it: no empty, `.` or `..` segment, no backslash. */
const safePath = (name: string): string => name.split(/[\\/]/).filter((p) => p && p !== '.' && p !== '..').join('/') || 'cutout';

export class CardList implements CardHost {
  private readonly cards = new WeakMap<Element, Card>();
  private readonly items = new Map<string, Card>();
  private readonly batches = new Map<string, { stop: () => void; jobs: string[] }>();
  private pending = false;
  private zipping = false;
  private note = '';

  constructor(
    private readonly list: HTMLElement,
    private readonly bar: Toolbar,
    private readonly session: Session,
    private readonly panel: OptionsSource,
  ) {
    bar.downloadAll.addEventListener('click', () => void this.downloadAll());
    bar.retryFailed.addEventListener('click', () => this.all().forEach((c) => c.phase !== 'done' && !isWorking(c.phase) && c.canRetry && void c.start()));
    bar.clearFinished.addEventListener('click', () => this.all().forEach((c) => !isWorking(c.phase) && c.dispose()));
  }

  /** The cards in the order shown. */
  all(): Card[] {
    return Array.from(this.list.children, (el) => this.cards.get(el)).filter((c): c is Card => !!c);
  }

  add(source: CardSource, request: JobRequest, before?: Element): Card {
    const card = new Card(source, this.session, this.panel, request, this);
    this.cards.set(card.el, card);
    if (before) before.before(card.el);
    else this.list.prepend(card.el);
    void card.start();
    return card;
  }

  /** The cards of the last visit, each following its job (one that expired or is unknown is dropped). */
  restore(): void {
    try {
      for (const [jobId, name, fields] of (JSON.parse(localStorage.getItem(SAVED)!) as Saved[]).reverse()) {
        let request = DEFAULT_REQUEST;
        try {
          request = { fields, options: parseOptions(fields), key: JSON.stringify(fields) };
        } catch {
          /* options this page no longer knows: shown as defaults */
        }
        this.add({ kind: 'job', name, jobId }, request);
      }
    } catch {
      /* nothing kept, or unreadable */
    }
  }

  changed(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.renderBar();
    });
  }

  expanded(zip: Card, batch: BatchAccepted, request: JobRequest): void {
    const jobs: string[] = [];
    for (const item of batch.items) {
      const source: CardSource = 'job_id' in item ? { kind: 'item', name: item.filename, jobId: item.job_id } : { kind: 'rejected', name: item.filename, error: item.error.message };
      const card = this.add(source, request, zip.el);
      if ('job_id' in item) {
        this.items.set(item.job_id, card);
        jobs.push(item.job_id);
      }
    }
    zip.dispose();
    const following = {
      client: this.session.client,
      onEvent: (e: JobEvent) => this.items.get(e.job_id!)?.receive(e),
      onTrouble: (line: string) => jobs.forEach((id) => this.items.get(id)?.trouble(line)),
    };
    const stop = followBatch(following, batch.batch_id, jobs);
    this.batches.set(batch.batch_id, { stop, jobs });
  }

  removed(card: Card): void {
    for (const [jobId, c] of this.items) if (c === card) this.items.delete(jobId);
    // A batch none of whose cards is left is no longer followed.
    for (const [id, b] of this.batches) {
      if (b.jobs.some((j) => this.items.has(j))) continue;
      b.stop();
      this.batches.delete(id);
    }
    this.changed();
  }

  private renderBar(): void {
    const cards = this.all();
    const saved = cards.filter((c) => c.jobId).slice(0, 50).map((c): Saved => [c.jobId, c.name(), c.request.fields]);
    localStorage.setItem(SAVED, JSON.stringify(saved));
    const done = cards.filter((c) => c.phase === 'done').length;
    const working = cards.filter((c) => isWorking(c.phase)).length;
    const failed = cards.length - done - working;
    const { root, summary, downloadAll, retryFailed, clearFinished } = this.bar;
    root.hidden = cards.length < 2;
    const parts = [`${done} done`, working ? `${working} in progress` : '', failed ? `${failed} failed` : ''].filter(Boolean);
    summary.textContent = `${cards.length} images: ${parts.join(', ')}${this.note ? `. ${this.note}` : ''}`;
    downloadAll.hidden = done < 2;
    downloadAll.disabled = this.zipping;
    if (!this.zipping) downloadAll.textContent = DOWNLOAD_ALL;
    retryFailed.hidden = !cards.some((c) => c.phase !== 'done' && !isWorking(c.phase) && c.canRetry);
    clearFinished.hidden = cards.length === working;
  }

  /** Fetches every done card's result (four at a time) and downloads them as one ZIP. */
  private async downloadAll(): Promise<void> {
    const results = this.all().flatMap((c) => (c.result ? [c.result] : []));
    if (results.length === 0 || this.zipping) return;
    this.zipping = true;
    this.note = '';
    const button = this.bar.downloadAll;
    let fetched = 0;
    const say = () => (button.textContent = `Preparing ZIP… ${fetched} of ${results.length}`);
    this.changed();
    say();
    const names = uniqueNames(results.map((r) => safePath(r.name)));
    const entries: (ZipEntry | null)[] = new Array<ZipEntry | null>(results.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < results.length) {
        const i = next++;
        try {
          const res = await fetch(results[i]!.url);
          if (res.ok) entries[i] = { name: names[i]!, data: new Uint8Array(await res.arrayBuffer()) };
        } catch {
          /* counted below */
        }
        fetched++;
        say();
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, results.length) }, worker));
    const got = entries.filter((e): e is ZipEntry => !!e);
    const missing = results.length - got.length;
    if (missing) this.note = `${missing} result${missing > 1 ? 's' : ''} could not be fetched (expired or unreachable) and ${missing > 1 ? 'are' : 'is'} not in the ZIP`;
    if (got.length) save(zipBlob(got), 'cutouts.zip');
    this.zipping = false;
    this.changed();
  }
}

/** Hands a Blob to the browser as a download. */
function save(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}
