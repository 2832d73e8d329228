// Following a batch for one client: every item's job events (the same payload as /events/{job_id},
// plus the item's filename), each item sequenced on its own, then one final `done` event with the
// counts once every item is terminal. It rides on the api's one EventsHub: no Redis connection per
// client, one in-memory listener per item.
import type { Socket } from 'node:net';
import { jobExpired } from '../../errors.js';
import type { EventsHub, JobEvent } from '../events-hub.js';
import { isTerminal } from '../events-hub.js';
import { EventSequencer, FINAL_ID, type Streamable, type StreamOut } from './event-streams.js';
import type { ItemStatus } from '../../jobs/batch-contract.js';
import { loadBatch, mapLimit, summarise, type BatchDeps } from './batches.js';

export interface BatchFollowing extends Streamable {
  /** Every item was already terminal when the stream began. */
  finished: boolean;
}

interface ItemState {
  filename: string;
  status: ItemStatus;
  percent?: number;
  terminal: boolean;
  seq: EventSequencer;
  buffered: JobEvent[];
}

/**
 * Per-connection order for a batch: each item's events through its own EventSequencer (never
 * back, no repeats, nothing after its terminal event), numbered across the batch, and the final
 * `done` once every item is terminal; nothing after it.
 */
export class BatchSequencer {
  private counter = 0;
  private ended = false;

  constructor(
    private readonly batchId: string,
    private readonly items: Map<string, ItemState>,
    private readonly rejected: number,
  ) {}

  next(jobId: string, e: JobEvent): StreamOut[] {
    const item = this.items.get(jobId)!;
    if (this.ended || !item.seq.next(e)) return [];
    Object.assign(item, { status: e.data.status, percent: e.data.percent, terminal: isTerminal(e) });
    const out: StreamOut[] = [{ id: String(++this.counter), event: { type: e.type, data: { ...e.data, filename: item.filename } } }];
    const all = [...this.items.values()];
    if (all.every((i) => i.terminal)) {
      this.ended = true;
      const { counts } = summarise([...Array.from({ length: this.rejected }, () => ({ status: 'rejected' as const })), ...all]);
      out.push({ id: FINAL_ID, event: { type: 'done', data: { batch_id: this.batchId, status: 'done', counts, progress: 100 } } });
    }
    return out;
  }
}

/**
 * Subscribes to every item before reading its state (no change lost between the two); 404 for an
 * unknown batch. The connection going away releases every subscription.
 */
export async function followBatch(
  hub: EventsHub,
  deps: Pick<BatchDeps, 'config' | 'batches'>,
  batchId: string,
  connection: Socket,
): Promise<BatchFollowing> {
  const record = await loadBatch(deps, batchId);
  const items = new Map<string, ItemState>();
  for (const item of record.items) {
    if ('job_id' in item) items.set(item.job_id, { filename: item.filename, status: 'queued', terminal: false, seq: new EventSequencer(), buffered: [] });
  }
  let deliver: (jobId: string, e: JobEvent) => void = (jobId, e) => items.get(jobId)!.buffered.push(e);
  const unsubscribes = [...items.keys()].map((jobId) => hub.subscribe(jobId, (e) => deliver(jobId, e)));
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const unsubscribe of unsubscribes) unsubscribe();
    connection.off('close', stop);
  };
  connection.once('close', stop);
  let snapshots: JobEvent[];
  try {
    snapshots = await mapLimit([...items.keys()], 16, async (jobId) => (await hub.snapshot(jobId)) ?? gone(jobId, deps.config.RESULT_TTL_MINUTES));
  } catch (err) {
    stop();
    throw err;
  }
  const sequencer = new BatchSequencer(batchId, items, record.items.length - items.size);
  return {
    finished: snapshots.every(isTerminal),
    stop,
    start(send: (out: StreamOut) => void) {
      const push = (jobId: string, e: JobEvent) => {
        if (!stopped) for (const out of sequencer.next(jobId, e)) send(out);
      };
      [...items.keys()].forEach((jobId, n) => push(jobId, snapshots[n]!));
      for (const [jobId, item] of items) for (const e of item.buffered.splice(0)) push(jobId, e);
      deliver = push;
    },
  };
}

/** A job whose every trace is gone (its tombstone expired too): it ends as expired. */
const gone = (jobId: string, ttlMinutes: number): JobEvent => ({
  type: 'expired',
  data: { job_id: jobId, status: 'failed', error: jobExpired(ttlMinutes).message },
});
