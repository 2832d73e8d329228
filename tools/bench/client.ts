// A client of the running service, as the bench uses it: upload, wait through the job's event
// stream (no polling delay), download the result.
import fs from 'node:fs';
import path from 'node:path';

export interface Client {
  /** POST /remove-bg; accepts 202 (queued) and 200 (answered from the result cache). */
  send(file: string, fields?: Record<string, string>): Promise<{ id: string; status: number }>;
  /** send(), and the job must be queued (202). */
  submit(file: string): Promise<string>;
  /** Waits for the job to be done, then downloads its result. */
  finish(id: string): Promise<void>;
  /** submit() then finish(); its milliseconds. */
  timed(file: string): Promise<number>;
}

export function client(base: string): Client {
  const c: Client = {
    async send(file, fields = {}) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(fs.readFileSync(file))]), path.basename(file));
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const res = await fetch(`${base}/remove-bg`, { method: 'POST', body: form });
      if (res.status !== 202 && res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
      return { id: ((await res.json()) as { job_id: string }).job_id, status: res.status };
    },
    async submit(file) {
      const { id, status } = await c.send(file);
      if (status !== 202) throw new Error(`upload of ${file} answered ${status}, not 202`);
      return id;
    },
    async finish(id) {
      const text = await (await fetch(`${base}/events/${id}`)).text(); // the stream ends after the terminal event
      if (!/event: done/.test(text)) throw new Error(`job ${id} did not finish: ${text.slice(-300)}`);
      const res = await fetch(`${base}/result/${id}`);
      if (!res.ok) throw new Error(`result ${res.status}`);
      await res.arrayBuffer();
    },
    async timed(file) {
      const t = performance.now();
      await c.finish(await c.submit(file));
      return performance.now() - t;
    },
  };
  return c;
}
