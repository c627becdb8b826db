import { defineConfig } from 'tsup';

// Two builds: the library (ESM + CJS, each with its own declarations) and the CLI
// (ESM only, with a shebang). The CLI imports the library through the same source,
// so it is bundled separately rather than sharing chunks with the CJS build.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: false,
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
