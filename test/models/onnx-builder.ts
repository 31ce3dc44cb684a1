// Writes tiny ONNX graphs by hand (protobuf wire format) so model tests need neither PyTorch nor a
// committed binary: the graph's maths is known, so outputs can be checked against hand computation.
import { writeFileSync } from 'node:fs';

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const vInt = (field: number, n: number | bigint) => [...key(field, 0), ...varint(n)];
const vBytes = (field: number, bytes: Uint8Array | number[]) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const vStr = (field: number, s: string) => vBytes(field, [...Buffer.from(s, 'utf8')]);

export interface TensorInit {
  name: string;
  dims: number[];
  data: Float32Array;
}
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes only (enough for Flatten axis, Softmax axis). */
  intAttrs?: Record<string, number>;
}
export interface IoSpec {
  name: string;
  /** Numbers are fixed dims, strings dynamic axes. */
  shape: Array<number | string>;
}
export interface GraphSpec {
  inputs: IoSpec[];
  outputs: IoSpec[];
  initializers: TensorInit[];
  nodes: NodeSpec[];
  opset?: number;
}

const FLOAT = 1;
const ATTR_INT = 2;

function valueInfo(io: IoSpec): number[] {
  const dims = io.shape.flatMap((d) => vBytes(1, typeof d === 'number' ? vInt(1, d) : vStr(2, d)));
  const tensorType = [...vInt(1, FLOAT), ...vBytes(2, dims)];
  return [...vStr(1, io.name), ...vBytes(2, vBytes(1, tensorType))];
}

export function buildOnnx(g: GraphSpec): Uint8Array {
  const graph: number[] = [];
  g.nodes.forEach((n, i) => {
    const attrs = Object.entries(n.intAttrs ?? {}).flatMap(([name, v]) => vBytes(5, [...vStr(1, name), ...vInt(3, v), ...vInt(20, ATTR_INT)]));
    graph.push(...vBytes(1, [...n.inputs.flatMap((x) => vStr(1, x)), ...n.outputs.flatMap((x) => vStr(2, x)), ...vStr(3, `n${i}`), ...vStr(4, n.op), ...attrs]));
  });
  graph.push(...vStr(2, 'test-graph'));
  for (const t of g.initializers) {
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    graph.push(...vBytes(5, [...t.dims.flatMap((d) => vInt(1, d)), ...vInt(2, FLOAT), ...vStr(8, t.name), ...vBytes(9, [...raw])]));
  }
  for (const x of g.inputs) graph.push(...vBytes(11, valueInfo(x)));
  for (const x of g.outputs) graph.push(...vBytes(12, valueInfo(x)));
  const model = [...vInt(1, 8), ...vStr(2, 'ctscreen-test'), ...vBytes(7, graph), ...vBytes(8, [...vStr(1, ''), ...vInt(2, g.opset ?? 13)])];
  return Uint8Array.from(model);
}

export function writeOnnx(path: string, g: GraphSpec): Uint8Array {
  const bytes = buildOnnx(g);
  writeFileSync(path, bytes);
  return bytes;
}

/**
 * A linear "patch classifier" with the same interface as the real one:
 *   logits = Flatten(patches) · W + distance · D + b
 * so tests can compute the expected logits by hand.
 */
export function linearPatchClassifier(opts: { channels: number; size: number; classes: number; w: Float32Array; d: Float32Array; b: Float32Array; withDistance: boolean }): GraphSpec {
  const k = opts.channels * opts.size * opts.size;
  const inputs: IoSpec[] = [{ name: 'patches', shape: ['batch', opts.channels, opts.size, opts.size] }];
  const initializers: TensorInit[] = [
    { name: 'W', dims: [k, opts.classes], data: opts.w },
    { name: 'b', dims: [opts.classes], data: opts.b },
  ];
  const nodes: NodeSpec[] = [
    { op: 'Flatten', inputs: ['patches'], outputs: ['flat'], intAttrs: { axis: 1 } },
    { op: 'MatMul', inputs: ['flat', 'W'], outputs: ['xw'] },
  ];
  if (opts.withDistance) {
    inputs.push({ name: 'distance', shape: ['batch', 1] });
    initializers.push({ name: 'D', dims: [1, opts.classes], data: opts.d });
    nodes.push({ op: 'MatMul', inputs: ['distance', 'D'], outputs: ['dd'] }, { op: 'Add', inputs: ['xw', 'dd'], outputs: ['xwd'] }, { op: 'Add', inputs: ['xwd', 'b'], outputs: ['logits'] });
  } else {
    nodes.push({ op: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] });
  }
  return { inputs, outputs: [{ name: 'logits', shape: ['batch', opts.classes] }], initializers, nodes };
}
