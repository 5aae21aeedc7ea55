/**
 * EP-context wrapper models: an ONNX model whose single node (op EPContext, domain com.microsoft) points
 * at a prebuilt TensorRT engine file, so ONNX Runtime's TensorRT EP deserialises the engine instead of
 * parsing and building the graph. Attribute names and rules follow ONNX Runtime's TensorRT EP
 * (onnxruntime/core/providers/tensorrt/onnx_ctx_model_helper.{h,cc}, CreateCtxModel/ValidateEPCtxNode,
 * and the EPContext contrib-op schema):
 *   embed_mode (int)            0 = ep_cache_context is a path, 1 = it holds the engine bytes
 *   ep_cache_context (string)   the engine path, RELATIVE to the wrapper and without "..": the EP
 *                               refuses absolute paths and paths leaving the wrapper's folder
 *   hardware_architecture (str) compute capability as major*10+minor ("90"); the EP warns on mismatch
 *   onnx_model_filename (str)   the source model's file name (used by weight-stripped engines)
 *   source (string)             the EP that owns the node ("TensorrtExecutionProvider")
 *   ep_sdk_version (string)     TensorRT version, informational
 * Graph inputs/outputs are the original model's (names, element types, dynamic dims): the TensorRT EP
 * binds engine I/O by these names.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  AttrType,
  attrString,
  decodeModel,
  encodeModel,
  makeAttribute,
  onnx,
  toNumber,
  type ModelProto,
  type ValueInfoProto,
} from '../onnx-model.js';
import { writeFileAtomic } from '../fs-atomic.js';

export const EP_CONTEXT_OP = 'EPContext';
export const EP_CONTEXT_DOMAIN = 'com.microsoft';
export const TENSORRT_EP_SOURCE = 'TensorrtExecutionProvider';

export interface IoInfo {
  name: string;
  elemType: number;
  /** number = fixed, string = named dynamic dim, null = unnamed dynamic dim. */
  dims: (number | string | null)[];
}

export interface EpContextOptions {
  /** Engine path relative to the wrapper model's folder, e.g. "model.engine". */
  engineRelativePath: string;
  /** "9.0" or "90"; written as "90". */
  computeCapability?: string;
  onnxModelFilename?: string;
  trtVersion?: string;
  source?: string;
  nodeName?: string;
}

export interface ParsedEpContextModel {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  nodeCount: number;
  node: { name: string; opType: string; domain: string; inputs: string[]; outputs: string[] };
  embedMode: number | null;
  epCacheContext: string | null;
  hardwareArchitecture: string | null;
  onnxModelFilename: string | null;
  source: string | null;
  epSdkVersion: string | null;
  inputs: IoInfo[];
  outputs: IoInfo[];
}

function ioInfo(v: ValueInfoProto): IoInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: tt?.elemType ?? 0,
    dims: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNumber(d.dimValue) : null)),
  };
}

/** Graph inputs (initializers excluded) and outputs of a model. */
export function graphIo(model: ModelProto): { inputs: IoInfo[]; outputs: IoInfo[] } {
  const g = model.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name)).map(ioInfo),
    outputs: (g.output ?? []).map(ioInfo),
  };
}

/** The TensorRT EP's own check: relative, inside the wrapper's folder. */
export function checkEnginePath(rel: string): void {
  if (!rel) throw new Error('engine path is empty');
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('/') || rel.startsWith('\\')) {
    throw new Error(`engine path must be relative to the wrapper model (the TensorRT EP refuses absolute paths): ${rel}`);
  }
  if (rel.includes('..')) throw new Error(`engine path must not contain ".." (the TensorRT EP refuses paths leaving the wrapper's folder): ${rel}`);
}

export function normaliseComputeCapability(cc: string): string {
  const m = /^(\d+)\.(\d+)$/.exec(cc.trim());
  return m ? `${Number(m[1]) * 10 + Number(m[2])}` : cc.trim();
}

/** Builds the wrapper for `original` (bytes or decoded). */
export function buildEpContextModel(original: Uint8Array | ModelProto, opts: EpContextOptions): Uint8Array {
  checkEnginePath(opts.engineRelativePath);
  const src = original instanceof Uint8Array ? decodeModel(original) : original;
  const g = src.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const inputs = (g.input ?? []).filter((v) => !inits.has(v.name)).map((v) => onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(v as never)));
  const outputs = (g.output ?? []).map((v) => onnx.ValueInfoProto.fromObject(onnx.ValueInfoProto.toObject(v as never)));
  const attrs = [
    makeAttribute('embed_mode', 0, 'int'),
    makeAttribute('ep_cache_context', opts.engineRelativePath.split(path.sep).join('/')),
    makeAttribute('source', opts.source ?? TENSORRT_EP_SOURCE),
  ];
  if (opts.computeCapability) attrs.push(makeAttribute('hardware_architecture', normaliseComputeCapability(opts.computeCapability)));
  if (opts.onnxModelFilename) attrs.push(makeAttribute('onnx_model_filename', opts.onnxModelFilename));
  if (opts.trtVersion) attrs.push(makeAttribute('ep_sdk_version', opts.trtVersion));
  const node = onnx.NodeProto.create({
    name: opts.nodeName ?? `TensorrtExecutionProvider_${(g.name || 'main_graph').replace(/[^A-Za-z0-9_]+/g, '_')}_0`,
    opType: EP_CONTEXT_OP,
    domain: EP_CONTEXT_DOMAIN,
    input: inputs.map((v) => v.name ?? ''),
    output: outputs.map((v) => v.name ?? ''),
    attribute: attrs,
  });
  const opsets = (src.opsetImport ?? []).filter((o) => (o.domain ?? '') !== EP_CONTEXT_DOMAIN).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) }));
  opsets.push({ domain: EP_CONTEXT_DOMAIN, version: 1 });
  const model = onnx.ModelProto.create({
    irVersion: toNumber(src.irVersion ?? 8) || 8,
    producerName: 'lucid-ocr',
    producerVersion: '1',
    opsetImport: opsets,
    graph: onnx.GraphProto.create({ name: g.name || 'main_graph', node: [node], input: inputs, output: outputs }),
  });
  return encodeModel(model);
}

export function parseEpContextModel(bytes: Uint8Array): ParsedEpContextModel {
  const m = decodeModel(bytes);
  const g = m.graph!;
  const nodes = g.node ?? [];
  const n = nodes.find((x) => x.opType === EP_CONTEXT_OP) ?? nodes[0];
  if (!n) throw new Error('model has no nodes');
  const a = (name: string) => (n.attribute ?? []).find((x) => x.name === name);
  const intAttr = (name: string) => {
    const x = a(name);
    return x && x.type === AttrType.INT ? toNumber(x.i) : null;
  };
  const io = graphIo(m);
  return {
    irVersion: toNumber(m.irVersion),
    opsetImports: (m.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    nodeCount: nodes.length,
    node: { name: n.name ?? '', opType: n.opType ?? '', domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])] },
    embedMode: intAttr('embed_mode'),
    epCacheContext: attrString(a('ep_cache_context')) ?? null,
    hardwareArchitecture: attrString(a('hardware_architecture')) ?? null,
    onnxModelFilename: attrString(a('onnx_model_filename')) ?? null,
    source: attrString(a('source')) ?? null,
    epSdkVersion: attrString(a('ep_sdk_version')) ?? null,
    inputs: io.inputs,
    outputs: io.outputs,
  };
}

/**
 * Writes `<dir>/<wrapperName>` for the engine `<dir>/<engineName>` built from `originalModelPath`.
 * The engine must sit in the wrapper's folder (or below it).
 */
export async function writeEpContextModel(opts: {
  originalModelPath: string;
  wrapperPath: string;
  enginePath: string;
  computeCapability?: string;
  trtVersion?: string;
}): Promise<ParsedEpContextModel> {
  const rel = path.relative(path.dirname(opts.wrapperPath), opts.enginePath);
  const bytes = buildEpContextModel(await fs.readFile(opts.originalModelPath), {
    engineRelativePath: rel,
    computeCapability: opts.computeCapability,
    onnxModelFilename: path.basename(opts.originalModelPath),
    trtVersion: opts.trtVersion,
  });
  await writeFileAtomic(opts.wrapperPath, bytes);
  return parseEpContextModel(bytes);
}
