// The safetensors format: u64 little-endian header length, a JSON header naming each tensor's dtype, shape and byte
// range, then the raw little-endian data. We read F32, F16 and BF16 into Float32Array and write F32.

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;
const ELEMENT_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Parses a safetensors file; every failure names the tensor or header field at fault. */
export function readSafetensors(bytes: Uint8Array, source = "model.safetensors"): Map<string, Tensor> {
  if (bytes.length < 8) throw new SafetensorsError(`${source}: file is ${bytes.length} bytes, too short for the header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) throw new SafetensorsError(`${source}: header length ${headerLen} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new SafetensorsError(`${source}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new SafetensorsError(`${source}: header is not a JSON object`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const out = new Map<string, Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `${source}: tensor "${name}"`;
    if (typeof e !== "object" || e === null) throw new SafetensorsError(`${where}: entry is not an object`);
    if (typeof e.dtype !== "string" || !(e.dtype in ELEMENT_BYTES)) throw new SafetensorsError(`${where}: dtype ${JSON.stringify(e.dtype)} is not supported (F32, F16, BF16)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${where}: shape ${JSON.stringify(e.shape)} is not a list of sizes`);
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1] || offs[1] > dataLen) {
      throw new SafetensorsError(`${where}: data_offsets ${JSON.stringify(offs)} outside the ${dataLen}-byte data section`);
    }
    const shape = e.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    const size = ELEMENT_BYTES[e.dtype];
    if (offs[1] - offs[0] !== count * size) throw new SafetensorsError(`${where}: ${offs[1] - offs[0]} bytes do not hold shape [${shape}] of ${e.dtype}`);
    const at = dataStart + offs[0];
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (e.dtype === "F32") data[i] = view.getFloat32(at + 4 * i, true);
      else if (e.dtype === "F16") data[i] = f16ToF32(view.getUint16(at + 2 * i, true));
      else data[i] = new Float32Array(new Uint32Array([view.getUint16(at + 2 * i, true) << 16]).buffer)[0];
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** Writes tensors as F32 safetensors (names sorted, as the reference implementation does). */
export function writeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`writeSafetensors: tensor "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8); // align the data section to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    for (let i = 0; i < d.length; i++, at += 4) view.setFloat32(at, d[i], true);
  }
  return out;
}
