// Shared command-line parsing for the benches: sizes like 256MiB or 1GiB, run counts.

/** Parses `256MiB`, `1GiB`, `1.5GiB`, `1000000` into bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|K|M|G)?$/i.exec(text.trim());
  if (!match) throw new Error(`cannot read size ${JSON.stringify(text)}; use e.g. 256MiB or 1GiB`);
  const unit = (match[2] ?? 'B').toLowerCase();
  const scale = unit.startsWith('g') ? 2 ** 30 : unit.startsWith('m') ? 2 ** 20 : unit.startsWith('k') ? 2 ** 10 : 1;
  return Math.round(Number(match[1]) * scale);
}

/** The value after `--name` in `argv`, or `fallback`. */
export function option(argv: readonly string[], name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
}
