// Tiny ONNX models, written by hand in protobuf: one Mul node, `output = input × k`, input and
// output float32 [1, 3, size, size]. With k = 1 the model returns the tensor it is given, so a
// test sees exactly what the preprocessing fed it; a larger k makes logits for a sigmoid to bite.
// Field numbers: onnx/onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto, TensorProto).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { FAMILIES, type FamilyName } from '../../src/cutout/catalogue.js';
import type { ResolvedModel } from '../../src/cutout/models.js';
import { CutoutPipeline } from '../../src/cutout/pipeline.js';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** A varint field. */
const num = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);
/** A length-delimited field (string, bytes or message). */
const bytes = (field: number, value: Buffer | string) => {
  const b = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
};

const FLOAT = 1;

/** ValueInfoProto: a float (or `type`) tensor named `name` with fixed dims. */
function valueInfo(name: string, dims: number[], type = FLOAT): Buffer {
  const shape = Buffer.concat(dims.map((d) => bytes(1, num(1, d)))); // TensorShapeProto.dim { dim_value }
  const tensorType = Buffer.concat([num(1, type), bytes(2, shape)]); // TypeProto.Tensor { elem_type, shape }
  return Buffer.concat([bytes(1, name), bytes(2, bytes(1, tensorType))]); // { name, type { tensor_type } }
}

/** The bytes of an ONNX model computing `output = input × k` on [1, 3, size, size]. */
export function mulModel(size: number, k: number, names = { input: 'input', output: 'output' }): Buffer {
  const dims = [1, 3, size, size];
  const raw = Buffer.alloc(4);
  raw.writeFloatLE(k);
  const scalar = Buffer.concat([num(2, FLOAT), bytes(8, 'k'), bytes(9, raw)]); // TensorProto { data_type, name, raw_data }
  const node = Buffer.concat([bytes(1, names.input), bytes(1, 'k'), bytes(2, names.output), bytes(3, 'mul'), bytes(4, 'Mul')]);
  const graph = Buffer.concat([
    bytes(1, node),
    bytes(2, 'tiny'),
    bytes(5, scalar),
    bytes(11, valueInfo(names.input, dims)),
    bytes(12, valueInfo(names.output, dims)),
  ]);
  const opset = Buffer.concat([bytes(1, ''), num(2, 13)]);
  return Buffer.concat([num(1, 7), bytes(2, 'cutout-tests'), bytes(7, graph), bytes(8, opset)]); // ir_version 7, opset 13
}

/**
 * A tiny model written into `dir`, described as the catalogue model `name` of family `family`
 * would be (its size, mean, std and output handling), with its file's real sha256.
 */
export async function tinyModel(dir: string, name: string, family: FamilyName, k = 1): Promise<ResolvedModel> {
  const spec = FAMILIES[family];
  const model = mulModel(spec.size, k);
  const file = path.join(dir, `${name}.onnx`);
  await fs.writeFile(file, model);
  return {
    spec: { name, family, description: `tiny ${family} test model`, ...spec },
    weights: { kind: 'file', file, checksum: { algorithm: 'sha256', hex: createHash('sha256').update(model).digest('hex') } },
  };
}

/** The two catalogue names the model-choice tests load as tiny models (a min-max and a sigmoid family). */
export type TinyName = 'u2netp' | 'birefnet-general-lite';

/** A pipeline over tiny models (k = 10) named as catalogue models: u2netp (U²-Net family), birefnet-general-lite (BiRefNet). */
export async function tinyPipeline(dir: string, names: TinyName[]): Promise<CutoutPipeline> {
  const models = await Promise.all(names.map((n) => tinyModel(dir, n, n === 'u2netp' ? 'u2net' : 'birefnet', 10)));
  return CutoutPipeline.create({ models, modelDir: dir, threads: 1, maxPixels: 1e7, pngCompressionLevel: 1 });
}

/** Three bands of red (0, 128, 255), a PNG: the tiny models' masks differ in the middle band (min-max 128, sigmoid 172). */
export const threeBands = () =>
  sharp({ create: { width: 300, height: 100, channels: 3, background: '#000000' } })
    .composite([
      { input: { create: { width: 100, height: 100, channels: 3, background: '#800000' } }, left: 100, top: 0 },
      { input: { create: { width: 100, height: 100, channels: 3, background: '#ff0000' } }, left: 200, top: 0 },
    ])
    .png()
    .toBuffer();

const FLOAT16 = 10;
const BOOL = 9;

export interface HalfModelOptions {
  /** The input's and output's type (float32: Cast to float16 and back; float16: the model takes and gives float16). */
  io?: 'float32' | 'float16';
  /** `k` marked as stored outside the file (data_location EXTERNAL), which widen.ts refuses. */
  externalK?: boolean;
  /**
   * Where `c` comes from: a Constant node (packed int32_data), an If node whose branches are
   * subgraphs with such a Constant each (unpacked int32_data), or a model-local function (the
   * Add happens in it), which widen.ts does not rewrite: widened, its float16 meets float32.
   */
  c?: 'constant' | 'if' | 'function';
}

/**
 * The bytes of a float16 model on [1, 3, size, size]: `output = input × k + c` in float16, with
 * `k` a float16 initializer of one value per channel (raw_data, dims [3, 1, 1]), `c` a float16
 * scalar (see HalfModelOptions), Cast nodes at both ends and a float16 value_info between: the
 * places widen.ts rewrites. `kBits`, `cBits`: the constants' float16 bit patterns.
 */
export function halfModel(size: number, kBits: readonly [number, number, number], cBits: number, opts: HalfModelOptions = {}): Buffer {
  const ioType = (opts.io ?? 'float32') === 'float32' ? FLOAT : FLOAT16;
  const dims = [1, 3, size, size];
  const raw = Buffer.alloc(6);
  kBits.forEach((b, i) => raw.writeUInt16LE(b, i * 2));
  const k = Buffer.concat([num(1, 3), num(1, 1), num(1, 1), num(2, FLOAT16), bytes(8, 'k'), bytes(9, raw), ...(opts.externalK ? [num(14, 1)] : [])]);
  const cTensor = (packed: boolean) => Buffer.concat([num(2, FLOAT16), packed ? bytes(5, varint(cBits)) : num(5, cBits)]);
  const attr = (name: string, field: number, value: Buffer | number, type: number) =>
    bytes(5, Buffer.concat([bytes(1, name), typeof value === 'number' ? num(field, value) : bytes(field, value), num(20, type)]));
  const nodeBytes = (inputs: string[], output: string, op: string, ...rest: Buffer[]) =>
    Buffer.concat([...inputs.map((i) => bytes(1, i)), bytes(2, output), bytes(3, output), bytes(4, op), ...rest]);
  const node = (inputs: string[], output: string, op: string, ...rest: Buffer[]) => bytes(1, nodeBytes(inputs, output, op, ...rest));
  const branch = (out: string) =>
    Buffer.concat([node([], out, 'Constant', attr('value', 5, cTensor(false), 4)), bytes(2, out), bytes(12, valueInfo(out, [], FLOAT16))]);
  const half = Buffer.concat([bytes(1, 'm'), bytes(2, bytes(1, num(1, FLOAT16)))]); // value_info m: float16
  const how = opts.c ?? 'constant';
  const cond = Buffer.concat([num(2, BOOL), bytes(8, 'cond'), bytes(9, Buffer.from([1]))]);
  const middle =
    how === 'function'
      ? [node(['m'], 'a', 'AddC', bytes(7, 'cutout.test'))]
      : [
          how === 'if'
            ? node(['cond'], 'c', 'If', attr('then_branch', 6, branch('then_c'), 5), attr('else_branch', 6, branch('else_c'), 5))
            : node([], 'c', 'Constant', attr('value', 5, cTensor(true), 4)),
          node(['m', 'c'], 'a', 'Add'),
        ];
  const graph = Buffer.concat([
    node(['input'], 'x', 'Cast', attr('to', 3, FLOAT16, 2)),
    node(['x', 'k'], 'm', 'Mul'),
    ...middle,
    node(['a'], 'output', 'Cast', attr('to', 3, ioType, 2)),
    bytes(2, 'half'),
    bytes(5, k),
    ...(how === 'if' ? [bytes(5, cond)] : []),
    bytes(11, valueInfo('input', dims, ioType)),
    bytes(12, valueInfo('output', dims, ioType)),
    bytes(13, half),
  ]);
  const opset = (domain: string, version: number) => Buffer.concat([bytes(1, domain), num(2, version)]);
  // FunctionProto: name 1, input 4, output 5, node 7, opset_import 9, domain 10.
  const fn = Buffer.concat([
    bytes(1, 'AddC'),
    bytes(4, 'p'),
    bytes(5, 'q'),
    bytes(7, nodeBytes([], 'cc', 'Constant', attr('value', 5, cTensor(true), 4))),
    bytes(7, nodeBytes(['p', 'cc'], 'q', 'Add')),
    bytes(9, opset('', 13)),
    bytes(10, 'cutout.test'),
  ]);
  const functions = how === 'function' ? [bytes(8, opset('cutout.test', 1)), bytes(25, fn)] : [];
  return Buffer.concat([num(1, how === 'function' ? 8 : 7), bytes(2, 'cutout-tests'), bytes(7, graph), bytes(8, opset('', 13)), ...functions]);
}

/**
 * The bytes of a model with two outputs on [1, 3, size, size]: `output = input × k`, and a side
 * output `side = sigmoid(input × k2)` whose nodes come first in the file. `k2` is also listed as a
 * graph input (as older exporters list initializers). With `subgraph`, a third output comes from
 * an If node whose branches are Constant subgraphs.
 */
export function twoOutputModel(size: number, k: number, k2: number, opts: { subgraph?: boolean } = {}): Buffer {
  const dims = [1, 3, size, size];
  const scalar = (name: string, v: number) => {
    const raw = Buffer.alloc(4);
    raw.writeFloatLE(v);
    return bytes(5, Buffer.concat([num(2, FLOAT), bytes(8, name), bytes(9, raw)]));
  };
  const node = (inputs: string[], output: string, op: string, ...rest: Buffer[]) =>
    bytes(1, Buffer.concat([...inputs.map((i) => bytes(1, i)), bytes(2, output), bytes(3, output), bytes(4, op), ...rest]));
  const attr = (name: string, field: number, value: Buffer, type: number) => bytes(5, Buffer.concat([bytes(1, name), bytes(field, value), num(20, type)]));
  const one = Buffer.concat([num(2, FLOAT), bytes(9, Buffer.from([0, 0, 0x80, 0x3f]))]); // a float 1
  const branch = (out: string) => Buffer.concat([node([], out, 'Constant', attr('value', 5, one, 4)), bytes(2, out), bytes(12, valueInfo(out, []))]);
  const cond = Buffer.concat([num(2, 9), bytes(8, 'cond'), bytes(9, Buffer.from([1]))]);
  const graph = Buffer.concat([
    node(['s'], 'side', 'Sigmoid'),
    node(['input', 'k2'], 's', 'Mul'),
    node(['input', 'k'], 'output', 'Mul'),
    ...(opts.subgraph ? [node(['cond'], 'third', 'If', attr('then_branch', 6, branch('a'), 5), attr('else_branch', 6, branch('b'), 5)), bytes(5, cond)] : []),
    bytes(2, 'two-outputs'),
    scalar('k', k),
    scalar('k2', k2),
    bytes(11, valueInfo('input', dims)),
    bytes(11, valueInfo('k2', [])),
    bytes(12, valueInfo('output', dims)),
    bytes(12, valueInfo('side', dims)),
    ...(opts.subgraph ? [bytes(12, valueInfo('third', []))] : []),
  ]);
  const opset = Buffer.concat([bytes(1, ''), num(2, 13)]);
  return Buffer.concat([num(1, 7), bytes(2, 'cutout-tests'), bytes(7, graph), bytes(8, opset)]);
}

/** Runs a model's bytes in onnxruntime on `input` ([1, 3, size, size], named `input`): its output names and the first output's values. */
export async function runModelBytes(bytes: Uint8Array, input: Float32Array, size: number): Promise<{ names: readonly string[]; first: number[] }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const first = session.outputNames[0]!;
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, 3, size, size]) }, [first]);
    return { names: session.outputNames, first: [...(out[first]!.data as Float32Array)] };
  } finally {
    await session.release();
  }
}
