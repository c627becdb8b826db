// Which way imports may point inside src/ (DESIGN.md, "Which way dependencies point"; our own
// summary in docs/architecture.md). Checked by test/architecture.test.ts on every `npm test`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Modules form layers; a cycle makes two modules one.', from: { path: '^src/' }, to: { circular: true } },
    { name: 'no-examples', severity: 'error', comment: 'The library never reaches into the example app.', from: { path: '^src/' }, to: { path: '^examples/' } },
    { name: 'cli-is-a-leaf', severity: 'error', comment: 'Nothing imports the command-line tool.', from: { path: '^src/', pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    {
      name: 'storage-knows-no-format',
      severity: 'error',
      comment: 'The StorageManager budgets disks; it knows no archive format and no writer.',
      from: { path: '^src/storage/' },
      to: { path: '^src/(extract|zip|repackage|s3|cleanup|retry)/' },
    },
    {
      name: 'policy-is-pure',
      severity: 'error',
      comment: 'The safety policy is pure functions over names, types and sizes: no readers, no writers, no file system, no streams.',
      from: { path: '^src/extract/policy/' },
      to: { path: ['^src/extract/(readers|sources|write)/', '^src/(zip|repackage|storage|s3)/', '^(node:)?(fs|fs/promises|stream|stream/promises)$'] },
    },
    {
      name: 'readers-know-no-destination',
      severity: 'error',
      comment: 'Format readers decode entries; they never know where entries go.',
      from: { path: '^src/extract/(readers|sources)/' },
      to: { path: ['^src/extract/write/', '^src/(zip|repackage)/'] },
    },
    {
      name: 'zip-writes-zips-only',
      severity: 'error',
      comment: 'The zip writer takes bytes and names; it does not read archives or talk to S3.',
      from: { path: '^src/zip/' },
      to: { path: '^src/(extract|repackage|s3)/' },
    },
    {
      name: 'repackage-writes-no-disk-tree',
      severity: 'error',
      comment: "repackage reads with the readers and the policy and writes with the zip writer; the extractor's disk writer is not on its path.",
      from: { path: '^src/repackage/' },
      to: { path: ['^src/extract/write/', '^src/extract/streaming-extractor'] },
    },
    {
      name: 's3-knows-no-format',
      severity: 'error',
      comment: 'The S3 code moves objects and bytes; it knows no archive format.',
      from: { path: '^src/s3/' },
      to: { path: ['^src/extract/(readers|write|policy)/', '^src/(zip|repackage)/'] },
    },
    {
      name: 'root-entry-needs-no-aws-sdk',
      severity: 'error',
      comment: "The root entry compiles and runs without the AWS SDK installed; what calls the SDK is in the 'storage-safe-archive/s3' entry (src/s3/index.ts).",
      from: { path: '^src/index\\.ts$' },
      to: { path: '@aws-sdk/', reachable: true },
    },
    {
      name: 'sdk-only-in-the-s3-entry',
      severity: 'error',
      comment: 'Only the S3 streams, the ranged reader, read-through, the migration engine and the CLI load the AWS SDK.',
      from: { path: '^src/', pathNot: '^src/(s3/(upload-stream|resumable-upload|random-access-source|ranged-read-stream|read-through)\\.ts|s3/migration/|cli/)' },
      to: { path: '@aws-sdk/' },
    },
    {
      name: 'observe-is-a-leaf',
      severity: 'error',
      comment: 'Logging and metrics depend on nothing else of ours.',
      from: { path: '^src/observe/' },
      to: { path: '^src/(storage|extract|zip|repackage|s3|cleanup|retry|cli)/' },
    },
    {
      name: 'compact-is-a-leaf',
      severity: 'error',
      comment: 'The compact collections (string tables) are plain data structures: they depend on nothing else of ours.',
      from: { path: '^src/compact/' },
      to: { path: '^src/(?!compact/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count too: a type from another part still couples the two.
    moduleSystems: ['es6', 'cjs'],
  },
};
