export * from './disk-space.js';
