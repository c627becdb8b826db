// Child process of flat-memory.test.ts: repackages a generated tar.gz of many small entries (made
// as it is read, never held) to a file, then prints what it measured as one JSON line.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { repackage } from '../../../src/repackage/index.js';

const [output = 'many.zip', countText, sizeText] = process.argv.slice(2);
const count = Number(countText);
const size = Number(sizeText);

function manySmallFiles(): Readable {
  const pack = tarStream.pack();
  const half = randomBytes(size >> 1);
  void (async () => {
    for (let i = 0; i < count; i++) {
      const body = Buffer.alloc(size);
      half.copy(body);
      body.writeUInt32LE(i, 0); // every file different
      await new Promise<void>((resolve, reject) => pack.entry({ name: `model/shard-${i % 100}/t${i}.bin` }, body, (error) => (error ? reject(error) : resolve())));
    }
    pack.finalize();
  })();
  return Readable.from(pack as AsyncIterable<Buffer>).pipe(createGzip({ level: 1 }));
}

let peakHeap = 0;
let peakBuffers = 0;
const timer = setInterval(() => {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  peakHeap = Math.max(peakHeap, heapUsed);
  peakBuffers = Math.max(peakBuffers, arrayBuffers);
}, 20);
const result = await repackage({ source: manySmallFiles(), output });
clearInterval(timer);
console.log(JSON.stringify({ entries: result.entries, bytesIn: result.bytesIn, peakHeap, peakBuffers, maxRss: process.resourceUsage().maxRSS * 1024 }));
