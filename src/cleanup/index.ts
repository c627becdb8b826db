export * from './suppressed-error.js';
export * from './cleanup-context.js';
