// Placeholder until the demo lands: prints what exists today.
import { formatBytes } from '../src/units.js';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';

const stats = await statfs(tmpdir());
console.log(`free in ${tmpdir()}: ${formatBytes(stats.bavail * stats.bsize)} of ${formatBytes(stats.blocks * stats.bsize)}`);
