// The import directions of DESIGN.md, checked on every run: the rules live in
// .dependency-cruiser.cjs, each with the reason it exists.
import { createRequire } from 'node:module';
import { cruise, type ICruiseOptions, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as { forbidden: IForbiddenRuleType[]; options: ICruiseOptions };

describe('architecture', () => {
  it('src/ has no import cycle and every import points the allowed way', async () => {
    const result = await cruise(['src'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } });
    const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
    const violations = output.summary.violations.map((v: { rule: { name: string }; from: string; to: string }) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(violations).toEqual([]);
    // The rules really ran over the whole tree (a wrong path would check nothing and pass).
    expect(output.summary.totalCruised).toBeGreaterThan(100);
  });
});
