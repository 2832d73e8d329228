// A ZIP archive of images, read as hostile until proven otherwise (yauzl, from a buffer). First the
// central directory alone: entry count, declared sizes and compression ratios, names, kinds: a
// zip bomb or an over-full archive is refused here, before one byte is inflated. Then each entry
// is inflated with its bytes counted (declared sizes can lie: yauzl's validateEntrySizes and our
// own counter both stop a stream that gives more than it said). Directories, macOS metadata
// (__MACOSX/) and dotfiles are skipped; symlinks, encrypted entries, nested archives and
// oversized entries are reported per item; names lose every folder, `..` and drive letter.
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { formatBytes } from '../../format.js';
import { badRequest, HttpError } from '../http-errors.js';
import { cleanFilename } from './upload.js';

/** One item of a batch: an image's bytes and name, or why that file cannot be an item. */
export type BatchSource = { bytes: Buffer; filename: string } | { filename: string; error: ItemError };
export interface ItemError {
  code: string;
  message: string;
}

export interface ZipLimits {
  /** Items a batch may have (MAX_BATCH_ITEMS). */
  maxItems: number;
  /** Bytes one image may have (MAX_UPLOAD_BYTES). */
  maxEntryBytes: number;
  /** Bytes all the items of a batch may have together, once expanded (MAX_BATCH_BYTES). */
  maxTotalBytes: number;
}

/** An entry may expand to at most this many times its compressed size (images barely compress)… */
export const MAX_ZIP_RATIO = 100;
/** …unless it is smaller than this once expanded (a tiny file cannot hurt). */
const RATIO_FLOOR_BYTES = 1024 * 1024;

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];
/** The first bytes of archives and compressed files that may hide more files. */
const ARCHIVE_MAGIC = [...ZIP_MAGIC, Buffer.from([0x1f, 0x8b]), Buffer.from('7z\xbc\xaf\x27\x1c', 'latin1'), Buffer.from('Rar!\x1a\x07', 'latin1'), Buffer.from('BZh', 'latin1'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])];
const ARCHIVE_NAME = /\.(zip|zipx|jar|cbz|rar|cbr|7z|tar|tgz|gz|bz2|xz|zst|lz|lzma)$/i;

/** True when the bytes are a ZIP archive (its first local header, or an empty archive's end record). */
export const isZip = (bytes: Buffer): boolean => ZIP_MAGIC.some((m) => bytes.subarray(0, 4).equals(m));

const isArchiveBytes = (bytes: Buffer): boolean =>
  ARCHIVE_MAGIC.some((m) => bytes.subarray(0, m.length).equals(m)) || bytes.subarray(257, 262).toString('latin1') === 'ustar';

export const tooManyItems = (max: number) =>
  badRequest(`The batch has more than ${max} files (MAX_BATCH_ITEMS). Split it into several batches.`, 'too_many_items');

export const batchTooLarge = (maxBytes: number) =>
  new HttpError(413, 'batch_too_large', `The batch is larger than the ${formatBytes(maxBytes)} limit (MAX_BATCH_BYTES), counting its archives' files once expanded. Split it into several batches.`);

/** `when`: "before it was expanded" (from its list of files), or "while it was expanded" (from the bytes counted). */
const suspicious = (why: string, when = 'before it was expanded') =>
  badRequest(`The archive was refused ${when}: ${why}. Send a plain ZIP of images.`, 'suspicious_archive');

export const itemError = (filename: string, code: string, message: string): BatchSource => ({ filename, error: { code, message } });

/** A name without folders, `..`, drive letters or control characters; null for entries to skip. */
export function entryName(raw: string): string | null {
  const segments = raw.replace(/\\/g, '/').replace(/^[A-Za-z]:/, '').split('/');
  if (segments.at(-1) === '') return null; // a directory
  const kept = segments.filter((s) => s !== '' && s !== '.' && s !== '..');
  if (kept.length === 0) return null;
  if (kept[0] === '__MACOSX' || kept.some((s) => s.startsWith('.'))) return null; // macOS metadata, dotfiles
  return cleanFilename(kept.at(-1));
}

/** Unix file types in the upper half of the external attributes (when the archive was made on Unix). */
function unixType(entry: Entry): number {
  return entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & 0o170000 : 0;
}

type Planned = { entry: Entry; filename: string } | { source: BatchSource };

/** What one central-directory entry is: skipped (null), an item error, or an entry to inflate. */
function plan(entry: Entry, limits: ZipLimits): Planned | null {
  const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
  const type = unixType(entry);
  if (type === 0o040000) return null;
  const filename = entryName(raw);
  if (filename === null) return null;
  const reject = (code: string, message: string) => ({ source: itemError(filename, code, message) });
  if (type === 0o120000) return reject('unsupported_entry', 'This archive entry is a symbolic link, not a file; it was not followed.');
  if (type !== 0 && type !== 0o100000) return reject('unsupported_entry', 'This archive entry is not a regular file.');
  if (entry.isEncrypted()) return reject('unsupported_entry', 'This archive entry is encrypted; send it unencrypted.');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    return reject('unsupported_entry', `This archive entry is compressed with method ${entry.compressionMethod}; only stored and deflated entries are read.`);
  }
  const { uncompressedSize: size, compressedSize: packed } = entry;
  if (size > RATIO_FLOOR_BYTES && size > Math.max(packed, 1) * MAX_ZIP_RATIO) {
    throw suspicious(`"${filename}" would expand ${Math.round(size / Math.max(packed, 1))} times (at most ${MAX_ZIP_RATIO} is accepted), which is what a zip bomb does`);
  }
  if (ARCHIVE_NAME.test(filename)) return reject('nested_archive', 'This is an archive inside the archive; archives are not opened recursively. Add its images directly.');
  if (size > limits.maxEntryBytes) return reject('file_too_large', `The file is larger than the ${formatBytes(limits.maxEntryBytes)} limit for one image.`);
  return { entry, filename };
}

/** Every entry of the central directory (nothing inflated), in order. */
function readDirectory(zip: ZipFile, onEntry: (entry: Entry) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      try {
        onEntry(entry);
        zip.readEntry();
      } catch (err) {
        reject(err as Error);
      }
    });
    zip.once('end', () => resolve());
    zip.on('error', reject);
    zip.readEntry();
  });
}

/** One entry inflated, its bytes counted against `budget`; throws `overBudget()` past it. */
async function inflate(zip: ZipFile, entry: Entry, budget: number, overBudget: () => Error): Promise<Buffer> {
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    got += chunk.length;
    if (got > budget || got > entry.uncompressedSize) {
      stream.destroy();
      throw got > entry.uncompressedSize ? lyingSize(entry) : overBudget();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, got);
}

const lyingSize = (entry: Entry) =>
  suspicious(`an entry holds more bytes than its header declares (${entry.uncompressedSize}), which is what a zip bomb does; expanding stopped there`, 'while it was expanded');

export interface ZipRead {
  sources: BatchSource[];
  /** Bytes inflated (the images' total). */
  expandedBytes: number;
}

/**
 * The items of a ZIP archive. `used` is what the batch already holds (items, bytes) from other
 * parts: the limits apply to the whole batch. An archive that cannot be read at all is one item
 * error; one that is over a limit or looks hostile throws (400 or 413) before inflating anything,
 * or as soon as an entry gives more bytes than it declared.
 */
export async function readZip(archive: { bytes: Buffer; filename: string }, limits: ZipLimits, used = { items: 0, bytes: 0 }): Promise<ZipRead> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(archive.bytes, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false });
  } catch {
    return { sources: [itemError(archive.filename, 'invalid_archive', 'This ZIP archive is damaged and cannot be read.')], expandedBytes: 0 };
  }
  try {
    if (zip.entryCount > limits.maxItems * 4 + 64) throw tooManyItems(limits.maxItems);
    const planned: Planned[] = [];
    let declared = 0;
    await readDirectory(zip, (entry) => {
      const p = plan(entry, limits);
      if (!p) return;
      planned.push(p);
      if (used.items + planned.length > limits.maxItems) throw tooManyItems(limits.maxItems);
      if ('entry' in p) declared += p.entry.uncompressedSize;
      if (used.bytes + declared > limits.maxTotalBytes) throw batchTooLarge(limits.maxTotalBytes);
    }).catch((err: unknown) => {
      if (err instanceof HttpError) throw err;
      throw badRequest(`The ZIP archive "${archive.filename}" is damaged: its list of files cannot be read.`, 'invalid_archive');
    });
    return await expand(zip, planned, limits, used.bytes);
  } finally {
    zip.close();
  }
}

async function expand(zip: ZipFile, planned: Planned[], limits: ZipLimits, usedBytes: number): Promise<ZipRead> {
  const sources: BatchSource[] = [];
  let expanded = 0;
  for (const p of planned) {
    if ('source' in p) {
      sources.push(p.source);
      continue;
    }
    let bytes: Buffer;
    try {
      bytes = await inflate(zip, p.entry, limits.maxTotalBytes - usedBytes - expanded, () => batchTooLarge(limits.maxTotalBytes));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (/bytes in the stream/.test((err as Error).message)) throw lyingSize(p.entry);
      sources.push(itemError(p.filename, 'damaged_entry', 'This archive entry is damaged and cannot be expanded.'));
      continue;
    }
    expanded += bytes.length;
    if (isArchiveBytes(bytes)) {
      sources.push(itemError(p.filename, 'nested_archive', 'This is an archive inside the archive; archives are not opened recursively. Add its images directly.'));
    } else {
      sources.push({ bytes, filename: p.filename });
    }
  }
  return { sources, expandedBytes: expanded };
}
