// Test helper: a tar stream of `totalBytes` made on the fly (never held in memory), with files
// of `fileBytes` whose content repeats a 1 MiB random block: too far apart for deflate's 32 KiB
// window, so it looks incompressible, like float weights.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream from 'tar-stream';

const BLOCK = randomBytes(1024 * 1024);

function patternBody(size: number): Readable {
  let produced = 0;
  return new Readable({
    highWaterMark: BLOCK.length,
    read() {
      if (produced >= size) return void this.push(null);
      const length = Math.min(BLOCK.length, size - produced);
      produced += length;
      this.push(BLOCK.subarray(0, length));
    },
  });
}

/**
 * A tar of `totalBytes` of file content in files of `fileBytes`, plus a config file and
 * `smallFiles` text files of about 4 KiB (labels, calibration tables: they deflate well).
 */
export function generatedTar(totalBytes: number, fileBytes = 64 * 1024 * 1024, smallFiles = 0): Readable {
  const pack = tarStream.pack();
  void (async () => {
    try {
      pack.entry({ name: 'model/config.json' }, JSON.stringify({ shards: Math.ceil(totalBytes / fileBytes) }));
      for (let i = 0; i < smallFiles; i++) {
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: `model/labels/${String(i).padStart(5, '0')}.json` }, `{"id": ${i}, "label": "person", "score": 0.5}\n`.repeat(90), (error) => (error ? reject(error) : resolve())),
        );
      }
      for (let offset = 0, i = 0; offset < totalBytes; offset += fileBytes, i++) {
        const size = Math.min(fileBytes, totalBytes - offset);
        const sink = pack.entry({ name: `model/weights.${String(i).padStart(3, '0')}`, size });
        await pipeline(patternBody(size), sink);
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  // tar-stream's streams are streamx streams; wrap so the source is a Node Readable.
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}
