export * from './limits.js';
export * from './normalize-entry-path.js';
export * from './reject-absolute-path.js';
export * from './check-link-target.js';
export * from './sanitize-mode.js';
export * from './check-entry.js';
