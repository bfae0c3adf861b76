/**
 * The goals a bench judges (issue 14 and earlier ones): one line each, the figure measured in this
 * run beside its goal and whether it is met. `npm run bench` (run.ts) collects these lines from every
 * bench's output and lists them again at the end.
 */

/** The prefix run.ts looks for. */
export const GOAL_PREFIX = 'goal | ';

/** Print `goal | LABEL: FIGURE (goal TARGET) MET` (or NOT MET). */
export function goal(label: string, figure: string, target: string, met: boolean): boolean {
  process.stdout.write(`${GOAL_PREFIX}${label}: ${figure} (goal ${target}) ${met ? 'MET' : 'NOT MET'}\n`);
  return met;
}

/** A goal this run could not measure, and why (one line). */
export function goalSkipped(label: string, target: string, why: string): void {
  process.stdout.write(`${GOAL_PREFIX}${label}: not measured (goal ${target}) SKIPPED: ${why}\n`);
}
