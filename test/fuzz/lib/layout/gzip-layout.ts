// Finds the members of a gzip stream (RFC 1952) so mutators can aim at header flags, the
// trailer's CRC32 and ISIZE, and member boundaries. Each member: ID1 ID2 (1f 8b), CM, FLG,
// MTIME(4), XFL, OS, [FEXTRA: XLEN(2) + data], [FNAME\0], [FCOMMENT\0], [FHCRC(2)],
// deflate data, CRC32(4), ISIZE(4).
import { inflateRawSync } from 'node:zlib';

/** FLG bits. */
export const GZIP_FLAGS = { FTEXT: 1, FHCRC: 2, FEXTRA: 4, FNAME: 8, FCOMMENT: 16 } as const;

/** One gzip member. */
export interface GzipMember {
  /** Offset of ID1. */
  offset: number;
  /** Offset of the deflate data. */
  dataOffset: number;
  /** Offset of CRC32 (the trailer). */
  trailerOffset: number;
  /** Offset just past ISIZE. */
  end: number;
}

function headerEnd(buffer: Buffer, offset: number): number | undefined {
  if (buffer[offset] !== 0x1f || buffer[offset + 1] !== 0x8b || offset + 10 > buffer.length) return undefined;
  const flags = buffer[offset + 3] ?? 0;
  let at = offset + 10;
  // Mutated input: every optional field may run past the end; then there is no header to find.
  if (flags & GZIP_FLAGS.FEXTRA) {
    if (at + 2 > buffer.length) return undefined;
    at += 2 + buffer.readUInt16LE(at);
  }
  for (const flag of [GZIP_FLAGS.FNAME, GZIP_FLAGS.FCOMMENT]) {
    if (!(flags & flag)) continue;
    const nul = at <= buffer.length ? buffer.indexOf(0, at) : -1;
    if (nul === -1) return undefined;
    at = nul + 1;
  }
  if (flags & GZIP_FLAGS.FHCRC) at += 2;
  return at <= buffer.length ? at : undefined;
}

/** The members of `buffer`, in order, up to the first that does not inflate. */
export function gzipMembersOf(buffer: Buffer): GzipMember[] {
  const members: GzipMember[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    const dataOffset = headerEnd(buffer, offset);
    if (dataOffset === undefined) break;
    let consumed: number;
    try {
      const { engine } = inflateRawSync(buffer.subarray(dataOffset), { info: true }) as unknown as { engine: { bytesWritten: number } };
      consumed = engine.bytesWritten;
    } catch {
      break;
    }
    const trailerOffset = dataOffset + consumed;
    if (trailerOffset + 8 > buffer.length) break;
    members.push({ offset, dataOffset, trailerOffset, end: trailerOffset + 8 });
    offset = trailerOffset + 8;
  }
  return members;
}
