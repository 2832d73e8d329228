// BlobStore on a directory (DATA_DIR), shareable between processes and containers.
// Writes go to a temporary name and are renamed into place, so a reader never sees half a file.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isJobId } from '../jobs/contract.js';
import { BLOB_DIRS, resultKind, type BlobStore, type ExtraKind, type JobFiles, type ResultSlot, type StoredBlob } from './blob-store.js';

const KINDS = BLOB_DIRS;

export class FsBlobStore implements BlobStore {
  private readonly ready: Promise<void>;

  constructor(private readonly root: string) {
    this.ready = Promise.all(
      Object.values(KINDS).map((d) => fs.mkdir(path.join(root, d), { recursive: true })),
    ).then(() => undefined);
  }

  /** Job ids are validated before they become paths: nothing can escape the root. */
  private file(kind: keyof typeof KINDS, jobId: string): string {
    if (!isJobId(jobId)) throw new Error(`invalid job id: ${JSON.stringify(jobId)}`);
    return path.join(this.root, KINDS[kind], kind === 'result' || kind === 'result1' ? `${jobId}.png` : jobId);
  }

  private async write(target: string, bytes: Buffer): Promise<void> {
    await this.ready;
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await fs.writeFile(tmp, bytes, { flag: 'wx' });
      await fs.rename(tmp, target);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async putInput(jobId: string, bytes: Buffer) {
    return this.write(this.file('input', jobId), bytes);
  }

  async readInput(jobId: string) {
    return fs.readFile(this.file('input', jobId));
  }

  async putResult(jobId: string, bytes: Buffer, slot?: ResultSlot) {
    return this.write(this.file(resultKind(slot), jobId), bytes);
  }

  async copyResult(fromJobId: string, toJobId: string): Promise<boolean> {
    return this.copyFile('result', fromJobId, toJobId);
  }

  async copyFile(kind: keyof typeof KINDS, fromJobId: string, toJobId: string): Promise<boolean> {
    await this.ready;
    const target = this.file(kind, toJobId);
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // A copy-on-write clone where the filesystem has one, else a plain copy; then renamed into place.
      await fs.copyFile(this.file(kind, fromJobId), tmp, fsConstants.COPYFILE_FICLONE);
      await fs.rename(tmp, target);
      return true;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async hasFile(kind: keyof typeof KINDS, jobId: string): Promise<boolean> {
    return fs.access(this.file(kind, jobId)).then(
      () => true,
      () => false,
    );
  }

  async putExtra(kind: ExtraKind, jobId: string, bytes: Buffer) {
    return this.write(this.file(kind, jobId), bytes);
  }

  async readExtra(kind: ExtraKind, jobId: string): Promise<Buffer | null> {
    return fs.readFile(this.file(kind, jobId)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
  }

  async openResult(jobId: string, slot?: ResultSlot): Promise<StoredBlob | null> {
    const file = this.file(resultKind(slot), jobId);
    try {
      const handle = await fs.open(file, 'r');
      const { size } = await handle.stat();
      return { size, stream: createReadStream(file, { fd: handle }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async hasResult(jobId: string, slot?: ResultSlot) {
    return this.hasFile(resultKind(slot), jobId);
  }

  async deleteJob(jobId: string) {
    await Promise.all((Object.keys(KINDS) as (keyof typeof KINDS)[]).map((k) => fs.rm(this.file(k, jobId), { force: true })));
  }

  async *listJobs(): AsyncIterable<JobFiles> {
    await this.ready;
    const seen = new Map<string, number>();
    for (const dir of Object.values(KINDS)) {
      const full = path.join(this.root, dir);
      for (const name of await fs.readdir(full)) {
        const stat = await fs.stat(path.join(full, name)).catch(() => null);
        if (!stat) continue;
        const id = name.replace(/\.png$/, '');
        if (name.endsWith('.tmp')) {
          // A temp file left by a crash mid-write: no reader will ever want it; delete it after a minute.
          const owner = name.split('.')[0] ?? '';
          if (isJobId(owner) && Date.now() - stat.mtimeMs > 60_000) await fs.rm(path.join(full, name), { force: true });
          continue;
        }
        if (!isJobId(id)) continue;
        seen.set(id, Math.max(seen.get(id) ?? 0, stat.mtimeMs));
      }
    }
    for (const [jobId, modifiedAt] of seen) yield { jobId, modifiedAt };
  }
}
