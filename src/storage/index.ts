export * from './disk-space.js';
export * from './remove-tree.js';
export * from './thresholds.js';
export * from './storage-metrics.js';
export * from './reservation.js';
export { Monitor, type MonitorCallback, type MonitorOptions } from './monitor.js';
export * from './storage-manager.js';
export { walkSorted, type WalkedItem } from './walk-sorted.js';
