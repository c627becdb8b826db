// The example's vitest configuration plus one fix: vitest 4 running in this workspace member
// resolves the bare builtin "stream" (as tsup writes it in the library's dist/, which strips the
// "node:" prefix) to "<example>/stream" and fails; mapping every bare builtin to its "node:" name
// sidesteps that (vitest-dev/vitest#8802 is the same family of bug). `npm test` uses this file.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

const bare = builtinModules.filter((name) => !name.startsWith('_') && !name.includes(':'));
const escape = (name: string) => name.replace(/[/\\^$.*+?()[\]{}|]/g, '\\$&');

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('../../', import.meta.url)),
    resolve: { alias: [{ find: new RegExp(`^(${bare.map(escape).join('|')})$`), replacement: 'node:$1' }] },
  }),
);
