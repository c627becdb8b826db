export * from './classify.js';
export * from './with-retry.js';
