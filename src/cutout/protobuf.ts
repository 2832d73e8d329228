// Protocol Buffers' wire format, as far as the ONNX model rewrites need it (widen.ts, prune.ts):
// reading a message's fields in order (views into the buffer, nothing copied), and writing one
// back as a list of parts that is concatenated once at the end.

const utf8 = new TextDecoder();

/** Text of a string field (UTF-8); "" when absent. */
export const text = (b?: Uint8Array): string => (b ? utf8.decode(b) : '');

/** A message under construction: its parts, written out once at the end. */
export interface Out {
  parts: Uint8Array[];
  length: number;
}

/** One field as it lies in the message: its number, wire type, the whole field's bytes, and a length-delimited field's payload. */
export interface Field {
  no: number;
  wire: number;
  raw: Uint8Array;
  body?: Uint8Array;
  value?: number;
}

/** The fields of one message, in order; throws on truncated or unsupported input. */
export function* fields(buf: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= buf.length) throw new Error('truncated protobuf');
      const b = buf[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
  };
  while (at < buf.length) {
    const start = at;
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const value = varint();
      yield { no, wire, raw: buf.subarray(start, at), value };
    } else if (wire === 2) {
      const len = varint();
      if (at + len > buf.length) throw new Error('truncated protobuf');
      const body = buf.subarray(at, at + len);
      at += len;
      yield { no, wire, raw: buf.subarray(start, at), body };
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > buf.length) throw new Error('truncated protobuf');
      yield { no, wire, raw: buf.subarray(start, at) };
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
}

/** A non-repeated field: protobuf keeps its last occurrence. */
export function last(all: readonly Field[], no: number, wire?: number): Field | undefined {
  for (let i = all.length - 1; i >= 0; i--) if (all[i]!.no === no && (wire === undefined || all[i]!.wire === wire)) return all[i];
  return undefined;
}

/** A varint's bytes. */
export function varintBytes(v: number): Uint8Array {
  const bytes: number[] = [];
  while (v >= 0x80) {
    bytes.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

/** An empty message. */
export function out(): Out {
  return { parts: [], length: 0 };
}
/** Appends bytes as they are (a field already encoded). */
export function put(o: Out, bytes: Uint8Array): void {
  o.parts.push(bytes);
  o.length += bytes.length;
}
/** Appends a varint field. */
export function putVarintField(o: Out, no: number, v: number): void {
  put(o, varintBytes(no * 8));
  put(o, varintBytes(v));
}
/** Appends a length-delimited field holding a message. */
export function putMessage(o: Out, no: number, m: Out): void {
  put(o, varintBytes(no * 8 + 2));
  put(o, varintBytes(m.length));
  for (const p of m.parts) put(o, p);
}
/** Appends a length-delimited field holding bytes. */
export function putBytes(o: Out, no: number, bytes: Uint8Array): void {
  putMessage(o, no, { parts: [bytes], length: bytes.length });
}

export type Rewriter = (body: Uint8Array) => Out | null;

/** The message with its length-delimited fields rewritten where `rewriters` has their number, every other field as it was; null when nothing changed. */
export function rewrite(buf: Uint8Array, rewriters: Record<number, Rewriter>): Out | null {
  const o = out();
  let changed = false;
  for (const f of fields(buf)) {
    const r = f.wire === 2 ? rewriters[f.no] : undefined;
    const m = r ? r(f.body!) : null;
    if (m) {
      putMessage(o, f.no, m);
      changed = true;
    } else put(o, f.raw);
  }
  return changed ? o : null;
}

/** The message's bytes, its parts in one array. */
export function concat(o: Out): Uint8Array {
  const bytes = new Uint8Array(o.length);
  let at = 0;
  for (const p of o.parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}
