// SPDX-License-Identifier: Apache-2.0
/**
 * The files of guided runs (`run`, docs/templates.md): the shipped
 * templates in `ceremony-templates/`, a template named by a path, and the
 * unfinished runs' state files (`runs/RUN-ID.json`) of a workspace.
 */
import { readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { parseRunState, type RunState } from '../ceremony/run-state.js';
import { parseTemplate, MAX_TEMPLATE_BYTES, type ParsedTemplate } from '../ceremony/template.js';
import { InputError } from '../errors.js';
import { readBoundedFile } from './metadata-dir.js';
import { packageRoot } from './self-hash.js';

/** The shipped templates' directory, or null when the package's files cannot be found. */
function shippedDir(): string | null {
  const root = packageRoot();
  return root === null ? null : join(root, 'ceremony-templates');
}

/** The names of the shipped templates, sorted. */
export function shippedTemplateNames(): string[] {
  const dir = shippedDir();
  if (dir === null) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * A shipped template's name (`bootstrap-root`) or a template file's path
 * (relative to `cwd`), read and checked.
 * @throws InputError (exit 2) for an unknown name or a bad template, naming the file and the field
 */
export function loadTemplate(arg: string, cwd: string): ParsedTemplate & { path: string } {
  if (arg.includes('/') || arg.includes(sep) || /\.(ya?ml|json)$/i.test(arg)) {
    const path = resolve(cwd, arg);
    return { ...parseTemplate(readBoundedFile(path, MAX_TEMPLATE_BYTES), arg), path };
  }
  const dir = shippedDir();
  if (dir === null || !shippedTemplateNames().includes(arg)) {
    throw new InputError(`TEMPLATE: "${arg}" is not a shipped template (${shippedTemplateNames().join(', ') || 'none found'}) or a template file`, {
      field: 'TEMPLATE',
      hint: 'see `tuf-ceremony run --list`; a file is named by a path (./my.yaml)',
    });
  }
  const path = join(dir, `${arg}.yaml`);
  return { ...parseTemplate(readBoundedFile(path, MAX_TEMPLATE_BYTES), `ceremony-templates/${arg}.yaml`), path };
}

/** The runs of this template in the workspace at `dir` not finished or abandoned, oldest first. */
export function openRuns(dir: string, templateId: string): RunState[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, 'runs')).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => parseRunState(readBoundedFile(join(dir, 'runs', f)), `runs/${f}`))
    .filter((r) => r.template.id === templateId && (r.status === 'running' || r.status === 'stopped'));
}
