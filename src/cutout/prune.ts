// An ONNX model cut down to the one output the pipeline reads, before onnxruntime loads it.
// session.ts fetches only the first output, but onnxruntime still runs every node of the graph:
// ISNet's other 11 outputs (the side outputs, each convolved and upsampled to 1024², and their
// sigmoids) cost ~4–6% of the model call for nothing. Without their 71 nodes (734 → 663) the
// first output is the same to the last bit (2 cores, bare sessions alternately, medians of 12:
// 1713 → 1651 and 1708 → 1602 ms).
//
// Only the main graph is cut: its outputs but the first, the nodes that first output does not
// need, and the initializers only those nodes used (with their graph inputs, in models that list
// initializers as inputs). A graph with a node holding subgraphs (If, Loop, Scan) is left whole:
// a subgraph may read the outer graph's values without naming them as its node's inputs.
import { concat, fields, last, out, put, putMessage, text, type Field } from './protobuf.js';

export interface Pruned {
  /** The model's bytes, its graph cut down. */
  model: Uint8Array;
  /** Nodes in the graph before and after. */
  nodes: number;
  kept: number;
}

/** What a node reads and makes, and whether it holds a subgraph (AttributeProto g 6, graphs 11). */
function readNode(body: Uint8Array): { inputs: string[]; outputs: string[]; subgraph: boolean } {
  const inputs: string[] = [];
  const outputs: string[] = [];
  let subgraph = false;
  for (const f of fields(body)) {
    if (f.wire !== 2) continue;
    if (f.no === 1) inputs.push(text(f.body));
    else if (f.no === 2) outputs.push(text(f.body));
    else if (f.no === 5) subgraph ||= [...fields(f.body!)].some((a) => (a.no === 6 || a.no === 11) && a.wire === 2);
  }
  return { inputs, outputs, subgraph };
}

/** The name field of a ValueInfoProto (1) or a TensorProto (8). */
const nameOf = (f: Field, no: number) => text(last([...fields(f.body!)], no, 2)?.body);

/**
 * The model (ModelProto bytes; graph 7) with its main graph reduced to its first output and what
 * that output is computed from; null when nothing would be removed, or when the graph holds
 * subgraphs. GraphProto: node 1, initializer 5, input 11, output 12.
 */
export function pruneToFirstOutput(model: Uint8Array): Pruned | null {
  const top = [...fields(model)];
  const graph = last(top, 7, 2);
  if (!graph) return null;
  const all = [...fields(graph.body!)];
  const outputs = all.filter((f) => f.no === 12 && f.wire === 2);
  if (outputs.length < 2) return null;
  const nodes = all.filter((f) => f.no === 1 && f.wire === 2).map((f) => readNode(f.body!));
  if (nodes.some((n) => n.subgraph)) return null;

  // Back from the first output through each value's maker (nodes need not be in order).
  const maker = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => maker.set(o, i)));
  const needed = new Set<string>();
  const keep = new Set<number>();
  const todo = [nameOf(outputs[0]!, 1)];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (needed.has(name)) continue;
    needed.add(name);
    const i = maker.get(name);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    todo.push(...nodes[i]!.inputs.filter((v) => v !== ''));
  }
  if (keep.size === nodes.length) return null;

  const initializers = new Set(all.filter((f) => f.no === 5 && f.wire === 2).map((f) => nameOf(f, 8)));
  const cut = out();
  let node = 0;
  for (const f of all) {
    if (f.wire === 2 && f.no === 1 && !keep.has(node++)) continue;
    if (f.wire === 2 && f.no === 12 && f !== outputs[0]) continue;
    if (f.wire === 2 && f.no === 5 && !needed.has(nameOf(f, 8))) continue;
    if (f.wire === 2 && f.no === 11 && initializers.has(nameOf(f, 1)) && !needed.has(nameOf(f, 1))) continue;
    put(cut, f.raw);
  }
  const o = out();
  for (const f of top) {
    if (f === graph) putMessage(o, 7, cut);
    else put(o, f.raw);
  }
  return { model: concat(o), nodes: nodes.length, kept: keep.size };
}
