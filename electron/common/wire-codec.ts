/**
 * JSON with bytes, for the local server's HTTP transport (Electron IPC carries Uint8Array natively).
 * A Uint8Array travels as `{"$bytes": "<base64>"}`; anything else is plain JSON. Pure TS (no Buffer, no
 * btoa on huge strings) so the renderer and Node share it.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  // Chunks keep String.fromCharCode's argument list small; 3-byte multiples keep padding at the end.
  const CHUNK = 3 * 16384;
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const end = Math.min(start + CHUNK, bytes.length);
    const codes = new Array<number>(Math.ceil((end - start) / 3) * 4);
    let o = 0;
    for (let i = start; i < end; i += 3) {
      const b0 = bytes[i]!;
      const b1 = i + 1 < end ? bytes[i + 1]! : 0;
      const b2 = i + 2 < end ? bytes[i + 2]! : 0;
      codes[o++] = ALPHABET.charCodeAt(b0 >> 2);
      codes[o++] = ALPHABET.charCodeAt(((b0 & 3) << 4) | (b1 >> 4));
      codes[o++] = i + 1 < end ? ALPHABET.charCodeAt(((b1 & 15) << 2) | (b2 >> 6)) : 61; // '='
      codes[o++] = i + 2 < end ? ALPHABET.charCodeAt(b2 & 63) : 61;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

export function base64ToBytes(b64: string): Uint8Array {
  const clean = b64.replace(/[\s=]+/g, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const c0 = decodeChar(clean, i);
    const c1 = decodeChar(clean, i + 1);
    const c2 = i + 2 < clean.length ? decodeChar(clean, i + 2) : 0;
    const c3 = i + 3 < clean.length ? decodeChar(clean, i + 3) : 0;
    out[o++] = (c0 << 2) | (c1 >> 4);
    if (i + 2 < clean.length) out[o++] = ((c1 & 15) << 4) | (c2 >> 2);
    if (i + 3 < clean.length) out[o++] = ((c2 & 3) << 6) | c3;
  }
  return out.subarray(0, o);
}

function decodeChar(s: string, i: number): number {
  const code = s.charCodeAt(i);
  const v = code < 128 ? DECODE[code]! : -1;
  if (v < 0) throw new Error(`Invalid base64 at offset ${i}.`);
  return v;
}

/** JSON.stringify that writes Uint8Array (and Node Buffers) as `{"$bytes": base64}`. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    // JSON.stringify calls Buffer#toJSON before the replacer; look at the holder's raw value instead.
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Uint8Array) return { $bytes: bytesToBase64(raw) };
    return v;
  });
}

/** JSON.parse that turns `{"$bytes": base64}` back into Uint8Array. */
export function fromWireJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$bytes' && typeof (v as { $bytes: unknown }).$bytes === 'string') {
        return base64ToBytes((v as { $bytes: string }).$bytes);
      }
    }
    return v;
  });
}
