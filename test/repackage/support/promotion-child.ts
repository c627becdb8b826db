// Child process of flat-memory.test.ts, run with --trace-gc-nvp: writes a tar.gz of many 1 KiB
// files, prints a marker line, repackages the file, then prints one JSON line. The parent sums the
// bytes V8 promoted out of the young generation after the marker.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { repackage } from '../../../src/repackage/index.js';

const [archive = 'tiny.tar.gz', output = 'tiny.zip', countText = '20000'] = process.argv.slice(2);
const count = Number(countText);

const pack = tarStream.pack();
const written = pipeline(pack, createGzip({ level: 1 }), createWriteStream(archive));
for (let i = 0; i < count; i++) {
  const body = Buffer.alloc(1024, i % 251);
  body.writeUInt32LE(i, 0);
  pack.entry({ name: `tokens/${String(i).padStart(6, '0')}.bin`, mtime: new Date(0) }, body);
}
pack.finalize();
await written;

console.log('--- repackage starts ---');
const result = await repackage({ source: archive, output, overwrite: true, deflateWorkers: 1 });
console.log(JSON.stringify({ entries: result.entries }));
