// CRC-32 as zip wants it (the IEEE polynomial, unsigned). Node's native `zlib.crc32` (20.15 and
// later) runs at several GiB/s; on an older Node 20 a table loop stands in, about 10x slower.
import zlib from 'node:zlib';

type Crc32 = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The running CRC-32 of `data` after `value` (0 to start).
 *
 * @example
 * ```ts
 * let crc = 0;
 * for (const chunk of chunks) crc = crc32(chunk, crc);
 * ```
 */
export const crc32: Crc32 = (zlib as unknown as { crc32?: Crc32 }).crc32 ?? tableCrc32;

export { tableCrc32 as portableCrc32 };
