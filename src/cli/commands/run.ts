// SPDX-License-Identifier: Apache-2.0
/**
 * `tuf-ceremony run TEMPLATE [--answers FILE]`: a guided ceremony
 * (docs/templates.md). The engine (src/ceremony/run-engine.ts, step kinds
 * in run-steps.ts) walks the template's steps and decides when each passes;
 * this file only wires it: it loads the template and the answers, carries
 * out the engine's effects on the workspace and the terminal (the steps'
 * commands run in-process, through the same `main` users run), and maps
 * the result to output and an exit code.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseEntries } from '../../audit/entry.js';
import { appendAuditEntry, readAuditLog } from '../../audit/log.js';
import { readableHead } from '../../audit/render.js';
import { parseAnswers, MAX_ANSWERS_BYTES, type Answers } from '../../ceremony/answers.js';
import { abandonRun, checkRequiredTool, runCeremony, type RunEffects, type RunSummary } from '../../ceremony/run-engine.js';
import { Asker } from '../../ceremony/run-questions.js';
import { runStatePath, serializeRunState } from '../../ceremony/run-state.js';
import { redact } from '../../crypto/pkcs11-uri.js';
import { InputError, UsageError, VerificationError } from '../../errors.js';
import { writeFileAtomic } from '../../store/atomic.js';
import { readBoundedFile } from '../../store/metadata-dir.js';
import { loadTemplate, openRuns, shippedTemplateNames } from '../../store/run-files.js';
import { selfHashOnce } from '../../store/self-hash.js';
import { openWorkspace, type Workspace } from '../../store/workspace.js';
import type { Prompter } from '../../ui/prompts.js';
import type { GlobalOptions, Io } from '../io.js';
import { workspaceDir } from './workspace.js';

export interface RunOptions {
  readonly answers?: string;
  readonly list?: boolean;
  readonly check?: boolean;
  readonly abandon?: boolean;
}

/** What the composition root hands the runner: the CLI itself, to run steps with. */
export interface RunTools {
  readonly main: (argv: readonly string[], io: Io) => Promise<number>;
  readonly version: string;
}

/** `run --list`: the shipped templates. */
function listTemplates(global: GlobalOptions, io: Io): number {
  const list = shippedTemplateNames().map((name) => {
    const t = loadTemplate(name, io.cwd);
    return { name, id: t.template.id, revision: t.template.revision, title: t.template.title, sha256: t.sha256 };
  });
  if (global.json) io.stdout(JSON.stringify({ ok: true, templates: list }, null, 2) + '\n');
  else for (const t of list) io.stdout(`${t.name.padEnd(24)} revision ${String(t.revision)}  ${t.title}\n`);
  return 0;
}

// ## The workspace and the terminal, as the engine's effects

/** What a path names, for the answers' file checks. */
function pathKind(abs: string): 'file' | 'other' | 'missing' {
  try {
    return statSync(abs).isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}

/** The engine's effects, carried out on the workspace `ws` and the terminal (`say`: messages for the room). */
function effects(ws: Workspace, global: GlobalOptions, io: Io, tools: RunTools, say: (text: string) => void): RunEffects {
  const at = (path: string): string => join(ws.dir, path);
  return {
    // A tuf-ceremony command in the workspace, in-process, with the run's terminal.
    async command(argv, capture) {
      let out = '';
      let err = '';
      const args = [...(capture ? ['--json'] : []), ...(global.input ? [] : ['--no-input']), ...(global.color ? [] : ['--no-color']), ...argv];
      const sub: Io = {
        ...io,
        cwd: ws.dir,
        stdout: (t) => {
          if (capture) out += t;
          else say(t);
        },
        // Shown as it comes, and kept: a failure's `error[CODE]: …` line is its reason.
        stderr: (t) => {
          err += t;
          io.stderr(t);
        },
      };
      // A pkcs11: URI typed as a key could carry a PIN, which is refused later but must never be shown.
      const shown = argv.map((a) => redact(a)).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a)));
      say(`  $ tuf-ceremony ${shown.join(' ')}\n`);
      const code = await tools.main(args, sub);
      return { code, stdout: out, stderr: err };
    },
    say,
    audit: async (event) => (await appendAuditEntry(ws.dir, event, io.now())).head,
    auditEntries: () => parseEntries(readAuditLog(ws.dir).bytes, 'audit/log.jsonl'),
    async saveState(state) {
      mkdirSync(at('runs'), { recursive: true });
      await writeFileAtomic(at(runStatePath(state.run)), serializeRunState(state), { root: ws.dir });
    },
    readFile: (path, maxBytes) => readBoundedFile(at(path), maxBytes),
    exists: (path) => existsSync(at(path)),
    makeDir: (path) => void mkdirSync(at(path), { recursive: true }),
    writeNewFile: (path, bytes) => writeFileAtomic(at(path), bytes, { exclusive: true, root: ws.dir }),
    recordedPath(abs) {
      const rel = relative(ws.dir, abs);
      return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) ? rel.split(sep).join('/') : abs;
    },
    async tool() {
      const self = await selfHashOnce();
      return { sha256: self.sha256, kind: self.kind, files: self.files?.length ?? 1 };
    },
    now: () => io.now(),
  };
}

// ## The command

/**
 * `run TEMPLATE [--answers FILE] [--list] [--check] [--abandon]`
 * @returns 0 when the run finished
 * @throws InputError (exit 2) for a bad template or answers file (nothing written), or a missing answer (the run stops there)
 * @throws VerificationError (exit 1) when a step failed and the run stopped
 */
export async function runRun(templateArg: string | undefined, opts: RunOptions, global: GlobalOptions, io: Io, prompter: Prompter | null, tools: RunTools): Promise<number> {
  if (opts.list === true) return listTemplates(global, io);
  if (templateArg === undefined) throw new UsageError('TEMPLATE: name a shipped template (see `tuf-ceremony run --list`) or a template file');
  const parsed = loadTemplate(templateArg, io.cwd);
  const t = parsed.template;
  if (opts.check === true) {
    if (global.json) io.stdout(JSON.stringify({ ok: true, file: parsed.file, id: t.id, revision: t.revision, sha256: parsed.sha256, steps: t.steps.length }, null, 2) + '\n');
    else io.stdout(`${parsed.file}: template ${t.id} revision ${String(t.revision)}, ${String(t.steps.length)} steps, valid\nSHA-256 ${parsed.sha256}\n`);
    return 0;
  }
  let answers: Answers | null = null;
  let answersDir = io.cwd;
  if (opts.answers !== undefined) {
    const path = resolve(io.cwd, opts.answers);
    answers = parseAnswers(readBoundedFile(path, MAX_ANSWERS_BYTES), opts.answers, t);
    answersDir = dirname(path);
  }
  checkRequiredTool(parsed, tools.version);
  const ws = openWorkspace(workspaceDir(global, io));
  const ask = new Asker(answers, answersDir, prompter, io.cwd, !global.input, pathKind);
  // Messages for the room: stdout, or stderr under --json.
  const say = (text: string): void => (global.json ? io.stderr(text) : io.stdout(text));
  const fx = effects(ws, global, io, tools, say);
  const setup = { parsed, templateArg, ask, toolVersion: tools.version, workspaceName: ws.settings.name };
  const current = openRuns(ws.dir, t.id).at(-1);
  const report = (ok: boolean, summary: RunSummary): void => io.stdout(JSON.stringify({ ok, ...summary }, null, 2) + '\n');
  if (opts.abandon === true) {
    if (current === undefined) throw new InputError(`no unfinished run of template ${t.id} to abandon`, { field: '--abandon' });
    const summary = await abandonRun(fx, setup, current);
    if (global.json) report(true, summary);
    else io.stdout(`run ${current.run} abandoned at step ${String(current.next + 1)}\naudit head: ${summary.auditHead}\n`);
    return 0;
  }
  const result = await runCeremony(fx, setup, current);
  if (result.status === 'stopped') {
    const { step, failure, resume } = result;
    if (global.json) report(false, result.summary);
    else if (resume.why !== null) say(`  ↩ ${resume.why}: the run resumes at step ${resume.step}\n`);
    throw new VerificationError(`step ${step} failed: ${failure}; the run stopped there`, {
      hint: `${resume.why ?? 'fix the cause'}, then run the same command again: run ${result.summary.run} resumes at step ${resume.step} (or abandon it with --abandon)`,
    });
  }
  if (global.json) report(true, result.summary);
  else {
    const head = result.summary.auditHead;
    io.stdout(
      `\nceremony finished: ${String(result.passed)} steps passed, ${String(result.exceptions)} with exceptions, ${String(result.skipped)} skipped\n` +
        `audit head, to write on the sign-off sheet:\n  ${head}\n  ${readableHead(head)}\n` +
        `transcript: tuf-ceremony audit export --run ${result.summary.run} --format html --out ${result.summary.run}.html\n`
    );
  }
  return 0;
}
