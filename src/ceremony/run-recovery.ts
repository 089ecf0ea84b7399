// SPDX-License-Identifier: Apache-2.0
/**
 * Where a stopped guided run resumes. A step that fails is usually run
 * again; but a failed `publish ROLE` or `status ROLE` (the draft is not
 * publishable: a signature is missing or no longer verifies) cannot be
 * fixed by running it again, only by signing: the run goes back to the
 * last sign step for that role before it. Pure.
 */
import { expandArgv, isStepEnabled, type Step, type Template, type Variables } from './template.js';

export interface ResumePoint {
  /** The index of the step the run resumes at. */
  readonly index: number;
  /** Why it is not the failed step itself; null when it is. */
  readonly why: string | null;
}

/** The role a threshold check or a publish is about: `publish root`, `status root`; null for other steps. */
function roleChecked(step: Step, vars: Variables): string | null {
  if (step.kind !== 'command') return null;
  const argv = expandArgv(step.run, vars);
  const [cmd, role] = argv;
  return (cmd === 'publish' || cmd === 'status') && (role === 'root' || role === 'targets') ? role : null;
}

/**
 * The earliest step that can fix the failure of step `failed`: for a
 * failed publish or status check of ROLE, the last enabled sign step of
 * ROLE before it; otherwise the failed step.
 */
export function resumePoint(template: Pick<Template, 'steps'>, vars: Variables, failed: number): ResumePoint {
  const step = template.steps[failed];
  const role = step === undefined ? null : roleChecked(step, vars);
  if (role === null) return { index: failed, why: null };
  for (let i = failed - 1; i >= 0; i--) {
    const s = template.steps[i] as Step;
    if (s.kind === 'sign' && s.role === role && isStepEnabled(s, vars)) {
      return { index: i, why: `the ${role} draft is not publishable: signing (step ${s.id}) is what can fix it` };
    }
  }
  return { index: failed, why: null };
}
