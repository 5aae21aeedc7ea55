/**
 * Small helpers around onnx-proto (protobufjs classes for ONNX 1.10's onnx.proto): decode/encode a
 * ModelProto, read tensors as typed arrays, IEEE half-precision conversion, op-type inventory, sha256.
 * Shared by fp16.ts, trt/ep-context.ts and the tests that build small graphs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
// The plain-object interfaces: decoded messages satisfy them, and so do the nested fields.
export type ModelProto = onnxProto.onnx.IModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;

/** TensorProto.DataType values we touch. */
export const ElemType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;

export const AttrType = onnxProto.onnx.AttributeProto.AttributeType;

/** protobufjs gives int64 fields as Long objects when the `long` package is present, else numbers. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** The model's default-domain opset version (9, Paddle2ONNX's oldest, when the model names none). */
export function defaultOpset(model: ModelProto): number {
  const imp = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return imp ? toNumber(imp.version) : 9;
}

/** Op types with their counts (domain-qualified when not the default domain). */
export function opTypeInventory(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of model.graph?.node ?? []) {
    const key = n.domain ? `${n.domain}::${n.opType}` : String(n.opType);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A copy of a tensor's raw bytes in a fresh, aligned buffer (protobufjs hands out unaligned slices). */
function alignedRaw(t: TensorProto): Uint8Array {
  return new Uint8Array(t.rawData ?? new Uint8Array(0));
}

/** Reads a FLOAT tensor (raw_data or float_data) as Float32Array. */
export function readFloat32(t: TensorProto): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = alignedRaw(t);
    return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Reads a FLOAT16 tensor's bit patterns (raw_data or int32_data, as the ONNX spec stores them). */
export function readFloat16Bits(t: TensorProto): Uint16Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = alignedRaw(t);
    return new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  }
  return Uint16Array.from(t.int32Data ?? []);
}

export function tensorDims(t: TensorProto): number[] {
  return (t.dims ?? []).map(toNumber);
}

// ---------------------------------------------------------------------------------------------------
// IEEE 754 binary16. Node 20 has no Float16Array, so the conversion is done on the bit patterns.

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 → binary16 bits, round to nearest even (what numpy's astype(float16) does). */
export function float32ToFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1) !== 0)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and 65520+ rounds to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) !== 0)) half++;
  return sign | half;
}

export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float32ArrayToFloat16(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16Bits(src[i]!);
  return out;
}

// ---------------------------------------------------------------------------------------------------

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streams the file so a large model never needs a second in-memory copy just to be hashed. */
export function sha256File(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

// ---------------------------------------------------------------------------------------------------
// Builders used by ep-context.ts and by tests that assemble small graphs.

/** `dims` null = unknown rank (no shape at all); a null entry = an unnamed dynamic dimension. */
export function makeTensorValueInfo(name: string, elemType: number, dims: (number | string | null)[] | null): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        ...(dims
          ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) } }
          : {}),
      },
    },
  });
}

export function makeFloatTensor(name: string, dims: number[], values: Float32Array | number[]): TensorProto {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: ElemType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

export function makeInt64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return onnx.TensorProto.create({ name, dims, dataType: ElemType.INT64, rawData: new Uint8Array(data.buffer) });
}

export function makeAttribute(name: string, value: number | string | number[] | TensorProto, kind?: 'int' | 'float'): AttributeProto {
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: AttrType.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) {
    return kind === 'float'
      ? onnx.AttributeProto.create({ name, type: AttrType.FLOATS, floats: value })
      : onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: value });
  }
  if (typeof value === 'number') {
    return kind === 'float' || (!Number.isInteger(value) && kind !== 'int')
      ? onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: value })
      : onnx.AttributeProto.create({ name, type: AttrType.INT, i: value });
  }
  return onnx.AttributeProto.create({ name, type: AttrType.TENSOR, t: value });
}

export function attrString(a: AttributeProto | undefined): string | undefined {
  if (!a || !a.s) return undefined;
  return new TextDecoder().decode(a.s);
}
