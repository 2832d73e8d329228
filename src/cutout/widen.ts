// An ONNX model's float16 weights and types widened to float32, in memory, before onnxruntime
// loads it on the CPU. onnxruntime's CPU kernels compute in float32: given the fp16 ISNet it wraps
// most operators in Cast nodes and layout reorders (111 casts and 106 reorders in the optimised
// graph, against 12 and 12 for the same graph in float32), which costs memory for every
// intermediate copy and time. Measured on 2 cores (bare sessions, alternately): the model call
// 1713 → 1638 ms, the session's peak after three runs 1264 → 971 MB; outputs within 0.002 of the
// fp16 graph's (float16 rounding between operators is gone, so closer to the fp32 original).
//
// Only the protobuf fields that carry element types are rewritten: tensors (initializers,
// constants, attribute tensors, in subgraphs too), Cast's `to`, value types (inputs, outputs,
// value_info); every other field is copied as its bytes. A model it cannot widen (external data)
// throws here; one where float16 also comes from elsewhere (a `dtype` attribute, a model-local
// function) then mixes float16 with float32 and onnxruntime refuses it: either way session.ts
// loads the file as it is. A Cast to float16 becomes a Cast to float32, so a model that casts on
// purpose to round or to saturate at ±65504 loses that step.

import { concat, fields, last, out, put, putBytes, putVarintField, rewrite, text, type Field, type Out } from './protobuf.js';
import { LITTLE_ENDIAN } from './words.js';

const FLOAT = 1;
const FLOAT16 = 10;

/** A varint field's value 10 (float16) becomes 1 (float32) where `is` says; null when none did. */
function retype(buf: Uint8Array, is: (f: Field) => boolean): Out | null {
  const o = out();
  let changed = false;
  for (const f of fields(buf)) {
    if (f.wire === 0 && f.value === FLOAT16 && is(f)) {
      putVarintField(o, f.no, FLOAT);
      changed = true;
    } else put(o, f.raw);
  }
  return changed ? o : null;
}

let halves: Float32Array | undefined;
/** Every float16 bit pattern's float32 value (all of them are exact in float32). */
export function halfTable(): Float32Array {
  if (halves) return halves;
  halves = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    halves[h] = e === 0 ? sign * f * 2 ** -24 : e === 31 ? (f ? NaN : sign * Infinity) : sign * (1 + f / 1024) * 2 ** (e - 15);
  }
  return halves;
}

/** The varints of a packed repeated field. */
function packedVarints(body: Uint8Array): number[] {
  const values: number[] = [];
  let v = 0;
  let scale = 1;
  for (const b of body) {
    v += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      values.push(v);
      v = 0;
      scale = 1;
    }
  }
  if (scale !== 1) throw new Error('truncated protobuf');
  return values;
}

/**
 * TensorProto (data_type 2, int32_data 5, raw_data 9, data_location 14): a float16 tensor becomes
 * float32, its values as raw_data (float16 values come as raw_data, or as int32_data with each
 * value's bits in one int32); null for any other tensor.
 */
function widenTensor(buf: Uint8Array): Out | null {
  const all = [...fields(buf)];
  if (last(all, 2)?.value !== FLOAT16) return null;
  if (all.some((f) => f.no === 14 && f.value === 1)) throw new Error('a float16 tensor stored outside the model file');
  const table = halfTable();
  const widen = (bits: ArrayLike<number>): Uint8Array => {
    const values = new Float32Array(bits.length);
    for (let i = 0; i < bits.length; i++) {
      const h = bits[i]!;
      // onnxruntime refuses a float16 int32_data value outside 0..65535 ("data overflow"): so does this.
      if (!(h >= 0 && h <= 0xffff)) throw new Error(`a float16 value's bits out of range: ${h}`);
      values[i] = table[h]!;
    }
    return new Uint8Array(values.buffer);
  };
  const o = out();
  const fromInts: number[] = [];
  for (const f of all) {
    if (f.no === 2) putVarintField(o, 2, FLOAT);
    else if (f.no === 9) {
      const raw = f.body!;
      if (raw.length % 2) throw new Error('a float16 tensor with an odd number of bytes');
      const aligned = raw.byteOffset % 2 === 0 ? raw : new Uint8Array(raw); // a copy (a Buffer's slice() would be a view)
      putBytes(o, 9, widen(new Uint16Array(aligned.buffer, aligned.byteOffset, raw.length / 2)));
    } else if (f.no === 5) for (const v of f.wire === 2 ? packedVarints(f.body!) : [f.value!]) fromInts.push(v);
    else put(o, f.raw);
  }
  if (fromInts.length) putBytes(o, 9, widen(fromInts));
  return o;
}

/**
 * TypeProto: tensor_type 1 and sparse_tensor_type 8 (elem_type 1), sequence_type 4 and
 * optional_type 9 (elem_type 1, a TypeProto), map_type 5 (value_type 2, a TypeProto).
 */
function widenType(buf: Uint8Array): Out | null {
  const elem = (b: Uint8Array) => retype(b, (f) => f.no === 1);
  const holder = (b: Uint8Array) => rewrite(b, { 1: widenType });
  return rewrite(buf, { 1: elem, 8: elem, 4: holder, 9: holder, 5: (b) => rewrite(b, { 2: widenType }) });
}

/** ValueInfoProto: type 2. */
const widenValueInfo = (buf: Uint8Array) => rewrite(buf, { 2: widenType });

/**
 * NodeProto (op_type 4, attribute 5): Cast's `to` from float16 to float32, and float16 tensors
 * and subgraphs in its attributes (AttributeProto: name 1, i 3, t 5, g 6, tensors 10, graphs 11).
 */
function widenNode(buf: Uint8Array): Out | null {
  const node = [...fields(buf)];
  const domain = text(last(node, 7)?.body);
  const cast = text(last(node, 4)?.body) === 'Cast' && (domain === '' || domain === 'ai.onnx');
  const attribute = (b: Uint8Array): Out | null => {
    const to = cast && text(last([...fields(b)], 1)?.body) === 'to';
    const tensors = rewrite(b, { 5: widenTensor, 10: widenTensor, 6: widenGraph, 11: widenGraph });
    if (!to) return tensors;
    const bytes = tensors ? concat(tensors) : b;
    return retype(bytes, (f) => f.no === 3) ?? tensors;
  };
  return rewrite(buf, { 5: attribute });
}

/** GraphProto: node 1, initializer 5, input 11, output 12, value_info 13, sparse_initializer 15 (values 1). */
function widenGraph(buf: Uint8Array): Out | null {
  return rewrite(buf, {
    1: widenNode,
    5: widenTensor,
    11: widenValueInfo,
    12: widenValueInfo,
    13: widenValueInfo,
    15: (b) => rewrite(b, { 1: widenTensor }),
  });
}

/** Whether the model's main graph has a float16 initializer (a look at the top-level graph only). */
export function hasHalfWeights(model: Uint8Array): boolean {
  const graph = last([...fields(model)], 7, 2);
  if (!graph) return false;
  for (const f of fields(graph.body!)) {
    if (f.no !== 5 || f.wire !== 2) continue;
    if (last([...fields(f.body!)], 2)?.value === FLOAT16) return true;
  }
  return false;
}

/**
 * The ONNX model (ModelProto bytes; graph 7) with its float16 tensors and types in float32, or
 * null when it has no float16 weights. Throws on what it cannot rewrite.
 */
export function widenHalfModel(model: Uint8Array): Uint8Array | null {
  if (!hasHalfWeights(model)) return null;
  if (!LITTLE_ENDIAN) throw new Error('float16 widening needs a little-endian machine');
  const o = rewrite(model, { 7: widenGraph });
  return o ? concat(o) : null;
}
