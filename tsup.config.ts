import { defineConfig } from 'tsup';

// Two builds: the library (ESM + CJS, each with its own declarations) and the CLI
// (ESM only, with a shebang). The CLI imports the library through the same source,
// so it is bundled separately rather than sharing chunks with the CJS build.
//
// The library has two entries: the root (no AWS SDK anywhere, types included) and `s3`
// (`storage-safe-archive/s3`, everything that calls the SDK). Splitting puts the code they share
// (the error classes above all) in one chunk per format, so an error thrown by the s3 entry is
// `instanceof` the class a user imported from the root.
export default defineConfig([
  {
    entry: { index: 'src/index.ts', s3: 'src/s3/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
    // Keep `node:` specifiers: bundlers and test runners resolve bare `stream` inconsistently.
    removeNodeProtocol: false,
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    removeNodeProtocol: false,
  },
]);
