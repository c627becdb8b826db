export { repackage } from './repackage.js';
export type { RepackageOptions, RepackageResult, ExtraEntry } from './repackage.js';
export type { RepackageSource } from './open-entries.js';
export { planPackaging } from './plan-packaging.js';
export type { PackagingPlan, PackagingPlanInput, PackagingStrategy } from './plan-packaging.js';
