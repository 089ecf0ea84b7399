// SPDX-License-Identifier: Apache-2.0
/**
 * The composition root: parses the command line, wires the edges, runs one
 * command, and is the only place that catches errors and picks exit codes.
 */
import { Command, CommanderError, Option } from 'commander';
import { CeremonyError, EXIT, UsageError } from '../errors.js';
import { processIo, safeIo, type GlobalOptions, type Io } from './io.js';
import type { VerifyCommandOptions } from './commands/verify.js';
import type { AuditExportOptions } from './commands/audit.js';
import type { KeyCheckOptions, KeyExportOptions, KeyGenerateOptions } from './commands/key.js';
import type { DrillCommandOptions } from './commands/drill.js';
import type { RunOptions } from './commands/run.js';
import type { SignOptions } from './commands/sign.js';
import type { TargetsDelegateBinsOptions, TargetsDelegateOptions } from './commands/targets.js';
import { VERSION } from '../version.js';
import { withLockScope } from '../store/lock.js';
import { colourWanted, loadColour } from '../ui/render.js';

export { VERSION };

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    a check said no (verification failed, threshold not met, tampering)
  2    bad usage or invalid input (malformed file, bad option value)
  3    environment (missing module or device, I/O failure)
  130  cancelled by the user`;

function globals(program: Command, io: Io): GlobalOptions {
  const o = program.opts<{ json?: boolean; color?: boolean; input?: boolean; yes?: boolean; dir?: string }>();
  return {
    dir: o.dir,
    json: o.json === true,
    color: colourWanted(io.env, io.isTTY, o.color !== false, o.json === true),
    input: o.input !== false,
    yes: o.yes === true,
  };
}

/** The prompter a command may use: none under --no-input or without a terminal. */
function prompter(g: GlobalOptions, io: Io): Io['prompter'] {
  return g.input ? io.prompter : null;
}

/** The command line's commands and options; also read by scripts/help-data.ts for the `--help` fast path. */
export function buildProgram(io: Io, setResult: (code: number) => void): Command {
  const program = new Command('tuf-ceremony');
  // chalk is loaded only for a command whose output is coloured (start-up time).
  program.hook('preAction', async () => {
    if (globals(program, io).color) await loadColour();
  });
  program
    .description('Offline signing ceremonies for the root and targets keys of a TUF repository.')
    .version(VERSION, '-V, --version')
    .option('--dir <DIR>', 'the ceremony workspace (default: the current directory)')
    .option('--json', 'machine-readable output on stdout (messages stay on stderr)')
    .option('--no-color', 'no colour (also NO_COLOR; FORCE_COLOR=1 colours output that is not a terminal)')
    .option('--no-input', 'never prompt: a missing answer is an error')
    .option('--yes', 'answer yes to confirmations')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, getOutHelpWidth: () => io.columns ?? 80 });

  program
    .command('verify')
    .description(
      'verify a repository as a TUF client would: the trusted root, every N→N+1 root rotation, ' +
        "the final root's expiry, then timestamp, snapshot, targets and every delegated role present; " +
        'ends with a verdict per client family (python-tuf, go-tuf, tuf-js); exit 0 means the specification\'s checks pass'
    )
    .argument('[DIR]', 'metadata directory (published layout or tuf-on-ci root_history/ layout); default: .')
    .option('--trusted-root <FILE>', 'start from this root (default: the lowest N.root.json present, which must be self-signed)')
    .addOption(new Option('--at <TIME>', 'reference time for expiry, e.g. 2026-08-22T00:00:00Z (default: now)'))
    .option('--allow-extra-timestamp-meta', 'accept timestamp meta entries beside snapshot.json (python-tuf and tuf-js fail their signature)')
    .option('--require <CLIENTS>', 'exit 1 unless these clients would accept it too: python-tuf,go-tuf,tuf-js or a subset (docs/client-verdicts.md)')
    .option('--paranoid', 'verify every signature twice, with OpenSSL and with @noble (strict RFC 8032); a disagreement stops with exit 1')
    .option('--workspace <DIR>', "a ceremony workspace (as DIR): verify its metadata/; keys its incident record (drafts/root.incident.json) declares compromised never count toward a threshold")
    .option('--max-file-size <SIZE>', 'refuse a metadata file larger than this, e.g. 100MiB (default and most: 512 MiB less 24 bytes, the longest string Node.js holds; a 1,300,000-target targets.json fits)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (dir: string | undefined, opts: VerifyCommandOptions) => {
      const { runVerify } = await import('./commands/verify.js');
      setResult(await runVerify(dir, opts, globals(program, io), io));
    });
  program
    .command('init')
    .description('make a new ceremony workspace; --from imports an existing repository as the trusted starting point, after verifying it')
    .argument('[DIR]', 'the new workspace (default: .); must be empty or absent')
    .option('--name <NAME>', 'the workspace name (default: the directory name)')
    .option('--from <METADATA_DIR>', 'import a repository (published or tuf-on-ci root_history/ layout); refused unless it verifies')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (dir: string | undefined, opts: { name?: string; from?: string }) => {
      const { runInit } = await import('./commands/workspace.js');
      setResult(await runInit(dir, opts, globals(program, io), io));
    });
  const keyholder = program.command('keyholder').description('the registry of named keyholders');
  keyholder
    .command('add')
    .description('register keyholders from their public key files (the proof of possession is checked; one key, one name)')
    .argument('<FILE...>', 'NAME.pub.json files')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (files: string[]) => {
      const { runKeyholderAdd } = await import('./commands/workspace.js');
      setResult(await runKeyholderAdd(files, globals(program, io), io));
    });
  keyholder
    .command('list')
    .description('list registered keyholders and where their keys are used')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async () => {
      const { runKeyholderList } = await import('./commands/workspace.js');
      setResult(await runKeyholderList(globals(program, io), io));
    });
  keyholder
    .command('remove')
    .description('unregister a keyholder (refused while their key is in a draft or in the published root)')
    .argument('<NAME>', 'the keyholder')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (name: string) => {
      const { runKeyholderRemove } = await import('./commands/workspace.js');
      setResult(await runKeyholderRemove(name, globals(program, io), io));
    });

  const root = program.command('root').description('the root draft: start it (optionally from a plan) and edit it');
  root
    .command('draft')
    .description('start root version N+1 from the latest published root (version 1 when none); --plan applies a declarative plan (YAML or JSON)')
    .option('--plan <FILE>', 'the plan: expires, consistent_snapshot, roles with threshold, keyholders and keys (docs/ceremony.md)')
    .option('--replace', 'replace an existing root draft (its signatures are discarded)')
    .option('--revoke <WHO...>', 'key-compromise recovery: draft the next root without these keys, and record the incident (docs/recovery.md)')
    .option('--online-key <ROLE=WHO...>', 'with --revoke: the new key of a compromised online role, e.g. timestamp=new-ts.pub.json')
    .option('--reason <TEXT>', 'with --revoke: what happened, for the audit log')
    .option('--out-of-band', 'with --revoke: draft even when no signed recovery is possible (the new root must reach clients out of band)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: { plan?: string; replace?: boolean; revoke?: string[]; onlineKey?: string[]; reason?: string; outOfBand?: boolean }) => {
      if (opts.revoke !== undefined) {
        if (opts.plan !== undefined) throw new UsageError('--revoke and --plan cannot be used together: a recovery draft is the trusted root without the compromised keys');
        const { runRootRevoke } = await import('./commands/recover.js');
        setResult(await runRootRevoke({ ...opts, revoke: opts.revoke }, globals(program, io), io));
        return;
      }
      const { runRootDraft } = await import('./commands/root.js');
      setResult(await runRootDraft(opts, globals(program, io), io));
    });
  const WHO = 'a keyholder name, a key ID, or a public key file (NAME.pub.json)';
  root
    .command('add-key')
    .description('add a key to a role of the root draft (discards signatures collected so far)')
    .argument('<ROLE>', 'root, targets, snapshot or timestamp')
    .argument('<WHO>', WHO)
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string, who: string) => {
      const { runRootAddKey } = await import('./commands/root.js');
      setResult(await runRootAddKey(role, who, globals(program, io), io));
    });
  root
    .command('remove-key')
    .description('remove a key from a role of the root draft (discards signatures collected so far)')
    .argument('<ROLE>', 'root, targets, snapshot or timestamp')
    .argument('<WHO>', WHO)
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string, who: string) => {
      const { runRootRemoveKey } = await import('./commands/root.js');
      setResult(await runRootRemoveKey(role, who, globals(program, io), io));
    });
  root
    .command('set-threshold')
    .description("set a role's threshold in the root draft (refused above the role's number of keys)")
    .argument('<ROLE>', 'root, targets, snapshot or timestamp')
    .argument('<T>', 'the threshold, a whole number of at least 1')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string, t: string) => {
      const { runRootSetThreshold } = await import('./commands/root.js');
      setResult(await runRootSetThreshold(role, t, globals(program, io), io));
    });
  root
    .command('expires')
    .description("set the root draft's expiry")
    .argument('<WHEN>', 'an ISO 8601 date or date-time (2027-11-23, 2027-11-23T00:00:00Z) or +Nd (days from now)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (when: string) => {
      const { runRootExpires } = await import('./commands/root.js');
      setResult(await runRootExpires(when, globals(program, io), io));
    });
  root
    .command('consistent-snapshot')
    .description("set the root draft's consistent_snapshot")
    .argument('<BOOL>', 'true or false')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (value: string) => {
      const { runRootConsistentSnapshot } = await import('./commands/root.js');
      setResult(await runRootConsistentSnapshot(value, globals(program, io), io));
    });

  const targets = program
    .command('targets')
    .description('the targets draft: start it, add and remove target files, delegate by paths, hash prefixes or TAP 15 hash bins, set its expiry');
  targets
    .command('draft')
    .description('start targets version N+1 from the published targets (version 1 when none): its targets and delegations, a new expiry')
    .option('--replace', 'replace an existing targets draft (its signatures are discarded)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: { replace?: boolean }) => {
      const { runTargetsDraft } = await import('./commands/targets.js');
      setResult(await runTargetsDraft(opts, globals(program, io), io));
    });
  targets
    .command('add')
    .description(
      'hash files (SHA-256 and SHA-512, streamed; progress on stderr: a bar on a terminal, a line now and then otherwise) and list them as targets; ' +
        'a path already listed is updated (discards signatures collected so far)'
    )
    .argument('<FILE...>', 'the files')
    .option('--path <P>', "the target path (default: the file's base name); ending in /, a directory for every FILE (P/BASENAME)")
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (files: string[], opts: { path?: string }) => {
      const { runTargetsAdd } = await import('./commands/targets.js');
      setResult(await runTargetsAdd(files, opts, globals(program, io), io));
    });
  targets
    .command('remove')
    .description('remove a target path from the targets draft (exit 2 when the draft does not list it)')
    .argument('<PATH>', 'the target path')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (path: string) => {
      const { runTargetsRemove } = await import('./commands/targets.js');
      setResult(await runTargetsRemove(path, globals(program, io), io));
    });
  targets
    .command('delegate')
    .description(
      'delegate target paths to a role, by path patterns or by hash prefixes; a role already delegated is updated in place (its search order kept)'
    )
    .argument('<NAME>', 'the role name (A-Z a-z 0-9 . _ -; not a top-level role)')
    .requiredOption('--key <WHO...>', `the role's keys: ${WHO}`)
    .requiredOption('--threshold <T>', 'how many of those keys must sign (at most the number of keys)')
    .option('--paths <GLOB...>', "path patterns with * and ? only, e.g. 'project/*' (quote them from the shell)")
    .option('--hash-prefixes <P...>', 'lowercase hex prefixes of the SHA-256 of target paths')
    .option('--terminating', 'stop the search at this role when a path matches (default: not terminating)')
    .addHelpText('after', "\nGive exactly one of --paths and --hash-prefixes, and quote patterns ('project/*') so the shell leaves them alone.\n" + EXIT_CODES_HELP)
    .exitOverride()
    .action(async (name: string, opts: TargetsDelegateOptions) => {
      const { runTargetsDelegate } = await import('./commands/targets.js');
      setResult(await runTargetsDelegate(name, opts, globals(program, io), io));
    });
  targets
    .command('delegate-bins')
    .description('delegate every target path to 2^B hash bins signed by the same keys (TAP 15 succinct_roles; PEP 458: --bit-length 14, 16,384 bins)')
    .requiredOption('--name-prefix <P>', 'bin names are P-0000 … (A-Z a-z 0-9 . _ -, not ending in -)')
    .requiredOption('--bit-length <B>', 'from 1 to 32: 2^B bins')
    .requiredOption('--key <WHO...>', `the bins' keys: ${WHO}`)
    .requiredOption('--threshold <T>', 'how many of those keys must sign each bin')
    .option('--as-roles', 'list each bin as a delegated role with its hash prefixes (PEP 458\'s original layout; bit length up to 16), so targets may also delegate to other roles')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: TargetsDelegateBinsOptions) => {
      const { runTargetsDelegateBins } = await import('./commands/targets.js');
      setResult(await runTargetsDelegateBins(opts, globals(program, io), io));
    });
  targets
    .command('expires')
    .description("set the targets draft's expiry")
    .argument('<WHEN>', 'an ISO 8601 date or date-time (2027-11-23, 2027-11-23T00:00:00Z) or +Nd (days from now)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (when: string) => {
      const { runTargetsExpires } = await import('./commands/targets.js');
      setResult(await runTargetsExpires(when, globals(program, io), io));
    });

  program
    .command('diff')
    .description('review each draft against the published version: keys added and removed (with names), thresholds, expiry, targets, delegations, and the SHA-256 of the bytes to sign')
    .argument('[ROLE]', 'root or targets (default: every draft)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string | undefined) => {
      const { runDiff } = await import('./commands/ceremony.js');
      setResult(await runDiff(role, globals(program, io), io));
    });
  program
    .command('request')
    .description('write a signing request for offline keyholders: the draft, the SHA-256 of its canonical bytes, the trusted root, the eligible keys')
    .argument('<ROLE>', 'root or targets')
    .option('--out <FILE>', 'where to write it (default: requests/ROLE-vN-HASH.json in the workspace); an existing file, link, device or FIFO is not replaced')
    .option('--force', 'replace what --out names when it exists')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string, opts: { out?: string; force?: boolean }) => {
      const { runRequest } = await import('./commands/ceremony.js');
      setResult(await runRequest(role, opts, globals(program, io), io));
    });
  program
    .command('sign')
    .description(
      "on a keyholder's machine: check a signing request, show the review, ask to confirm, sign, verify the signature and write a signature file; " +
        'given a plain metadata file instead, append the signature to it'
    )
    .argument('<FILE>', 'a signing request, or a metadata file')
    .requiredOption('--key <KEYREF>', 'an encrypted key file, or a pkcs11: URI')
    .option('--pub <FILE>', "the key's public key file (default for a key file X.key: X.pub.json beside it; for a pkcs11: URI the public key is read from the token, without a PIN, and must match this file when given)")
    .option('--out <FILE>', 'where to write (default: ROLE-vN-HASH.NAME.sig.json here; for metadata: the file itself)')
    .option('--trusted-root <FILE>', 'a root you trust: the request must carry this very root (for metadata: whose keys may sign)')
    .option('--passphrase-file <FILE>', 'read the passphrase from FILE (else TUF_CEREMONY_PASSPHRASE, else asked)')
    .option('--full', 'print the whole review at once (default on a terminal: the summary, then the details in less)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (file: string, opts: SignOptions) => {
      const g = globals(program, io);
      const { runSign } = await import('./commands/sign.js');
      setResult(await runSign(file, opts, g, io, prompter(g, io)));
    });
  program
    .command('collect')
    .description('import signature files, or copies of the same metadata signed elsewhere; each signature is verified against the draft before it is kept')
    .argument('<FILE...>', 'signature files (*.sig.json) or metadata files')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (files: string[]) => {
      const { runCollect } = await import('./commands/ceremony.js');
      setResult(await runCollect(files, globals(program, io), io));
    });
  program
    .command('status')
    .description('every draft: who signed, the thresholds of the old and the new root, who can still sign; published metadata and expiry')
    .argument('[ROLE]', 'root or targets: also a check, exit 1 while that draft is not yet publishable')
    .option('--html <FILE>', "also write FILE: the root's roles, keys by keyholder and thresholds, old → new, as a picture (HTML with inline SVG, A4)")
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string | undefined, opts: { html?: string }) => {
      const { runStatus } = await import('./commands/ceremony.js');
      setResult(await runStatus(globals(program, io), io, role, opts));
    });
  program
    .command('publish')
    .description('publish a draft once every threshold holds: metadata/N.root.json and root.json (or targets), manifest.json, then verify')
    .argument('<ROLE>', 'root or targets')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (role: string) => {
      const { runPublish } = await import('./commands/ceremony.js');
      setResult(await runPublish(role, globals(program, io), io));
    });

  program
    .command('run')
    .description(
      'a guided ceremony from a template: read-aloud text, checklists, the commands run for you, signatures, witness attestations, ' +
        'a device inventory; every step, exception and attestation audited; an interrupted run resumes at the step where it stopped'
    )
    .argument('[TEMPLATE]', 'a shipped template (see --list), or a template file (YAML or JSON)')
    .option('--answers <FILE>', 'the answers to every prompt, by step ID (YAML or JSON, docs/templates.md): a scripted run records the same audit log')
    .option('--list', 'list the shipped templates')
    .option('--check', 'check the template and stop: nothing is run or written')
    .option('--abandon', "end this template's unfinished run (recorded) instead of resuming it")
    .addHelpText(
      'after',
      '\nThe run works in the workspace (--dir): its state is runs/RUN-ID.json, its record the audit log. ' +
        'Export the transcript with `tuf-ceremony audit export --format html`.\n' +
        EXIT_CODES_HELP
    )
    .exitOverride()
    .action(async (template: string | undefined, opts: RunOptions) => {
      const g = globals(program, io);
      const { runRun } = await import('./commands/run.js');
      setResult(await runRun(template, opts, g, io, prompter(g, io), { main, version: VERSION }));
    });

  const audit = program.command('audit').description('the hash-chained audit log of the workspace (audit/log.jsonl)');
  audit
    .command('verify')
    .description('check the audit log: every line canonical, every hash link and seq in order; with --head, that no entry was cut off the end')
    .option('--head <HASH>', 'the head written down earlier (64 hex digits; spaces, ":" and case ignored)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: { head?: string }) => {
      const g = globals(program, io);
      const { runAuditVerify } = await import('./commands/audit.js');
      setResult(runAuditVerify(opts, g.dir ?? '.', g, io));
    });
  audit
    .command('show')
    .description('print the audit log: seq, time, actor, command, files read and written (short hashes), device, details, and the head')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async () => {
      const g = globals(program, io);
      const { runAuditShow } = await import('./commands/audit.js');
      setResult(runAuditShow(g.dir ?? '.', g, io));
    });

  audit
    .command('export')
    .description(
      'print a transcript of the last guided ceremony (or --run ID; the whole log when it holds none): participants, every step with its time and result, ' +
        'exceptions, attestations, signatures, a picture of each published root (HTML; from metadata/N.root.json only when its SHA-256 is the logged one), ' +
          'every artifact hash, the final audit head, and a sign-off table for handwritten initials'
    )
    .addOption(new Option('--format <FORMAT>', 'md (Markdown) or html (self-contained, prints on A4)').choices(['md', 'html']).makeOptionMandatory())
    .option('--out <FILE>', 'write it to FILE (atomically) instead of stdout; an existing file, link, device or FIFO is not replaced')
    .option('--force', 'replace what --out names when it exists')
    .option('--run <ID>', 'the run to transcribe (default: the last run in the log)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: AuditExportOptions) => {
      const g = globals(program, io);
      const { runAuditExport } = await import('./commands/audit.js');
      setResult(await runAuditExport(opts, g.dir ?? '.', g, io));
    });

  program
    .command('drill')
    .description(
      'rehearse a whole ceremony with throwaway software keys: keyholders in their own directories, requests and signatures carried as files, ' +
        'a complete repository published, served on 127.0.0.1, and a TUF client (tuf-js) updated from the previous root to the new one, downloading a target'
    )
    .addOption(new Option('--scenario <S>', 'bootstrap, rotate (replace a keyholder), compromise (root draft --revoke), expiry (routine re-signing) or pep458 (16,384 hash bins)').default('rotate'))
    .option('--keyholders <N>', 'how many root keyholders, 1 to 50 (default: 3)')
    .option('--threshold <T>', 'the root threshold, 1 to N (default: 2, or 1 with one keyholder)')
    .option('--out <DIR>', 'keep everything in DIR (new or empty): workspace/, keyholders/, metadata/ (the repository), targets/, client/; default: a temporary directory, removed at the end')
    .option('--targets <N>', 'pep458: target paths generated over the 16,384 bins, 1 to 10,000,000 (default: 160,000; PyPI holds about 2,300,000)')
    .option('--clients <LIST>', 'the TUF clients that must accept: tuf-js, python-tuf, or both comma-separated (default: tuf-js, and python-tuf when it can be imported)')
    .option('--python-tuf <DIR>', 'a directory holding the python-tuf package `tuf` (else PYTHON_TUF_PATH, else what python3 imports: pip install tuf)')
    .addHelpText('after', '\nExit 0 only when the client accepted the result; 1 when it (or a ceremony step) refused, saying why.\n' + EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: DrillCommandOptions) => {
      const { runDrill } = await import('./commands/drill.js');
      setResult(await runDrill(opts, globals(program, io), io, main));
    });

  const key = program.command('key').description('keyholder keys: generate, export from a token, show');
  key
    .command('generate')
    .description(
      'generate a key: an encrypted PKCS#8 private key NAME.key (mode 0600) and NAME.pub.json with a proof of possession; ' +
        'or, with --pkcs11, a key generated on a hardware token'
    )
    .requiredOption('--name <NAME>', 'keyholder name (a-z 0-9 . _ -)')
    .addOption(new Option('--type <TYPE>', 'key type (default: ed25519 for a key file, ecdsa-p256 on a token: YubiKey PIV before firmware 5.7 and most HSMs hold only ECDSA)').choices(['ed25519', 'ecdsa-p256']))
    .option('--out-dir <DIR>', 'where to write the files (default: .)')
    .option('--passphrase-file <FILE>', 'read the new passphrase from FILE (else TUF_CEREMONY_PASSPHRASE, else asked twice)')
    .option('--insecure-passphrase', 'allow a passphrase shorter than 12 characters (drills only)')
    .option('--pkcs11 <URI>', 'generate on a PKCS#11 token, e.g. pkcs11:token=YubiKey%20PIV%20%2312345;id=%02?module-path=/usr/lib/x86_64-linux-gnu/libykcs11.so')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: KeyGenerateOptions) => {
      const g = globals(program, io);
      const { runKeyGenerate } = await import('./commands/key.js');
      setResult(await runKeyGenerate(opts, g, io, prompter(g, io)));
    });
  key
    .command('export')
    .description('write NAME.pub.json for a key that already lives on a PKCS#11 token (the token signs the proof of possession)')
    .requiredOption('--name <NAME>', 'keyholder name (a-z 0-9 . _ -)')
    .requiredOption('--pkcs11 <URI>', 'the key on the token, e.g. pkcs11:token=…;id=%02?module-path=…')
    .option('--out-dir <DIR>', 'where to write the file (default: .)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: KeyExportOptions) => {
      const g = globals(program, io);
      const { runKeyExport } = await import('./commands/key.js');
      setResult(await runKeyExport(opts, g, io, prompter(g, io)));
    });
  key
    .command('show')
    .description('show a public key file: key ID, type, owner, creation time, and whether its proof of possession holds')
    .argument('<FILE>', 'a NAME.pub.json file')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (file: string) => {
      const { runKeyShow } = await import('./commands/key.js');
      setResult(runKeyShow(file, globals(program, io), io));
    });
  key
    .command('check')
    .description(
      'unlock a key (passphrase or PIN), sign a challenge and verify the signature; with --expect, also check it is the registered key'
    )
    .requiredOption('--key <KEYREF>', 'an encrypted key file, or a pkcs11: URI')
    .option('--expect <PUBFILE>', 'the NAME.pub.json the key must match')
    .option('--passphrase-file <FILE>', 'read the passphrase from FILE (else TUF_CEREMONY_PASSPHRASE, else asked)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: KeyCheckOptions) => {
      const g = globals(program, io);
      const { runKeyCheck } = await import('./commands/key.js');
      setResult(await runKeyCheck(opts, g, io, prompter(g, io)));
    });
  program
    .command('tokens')
    .description(
      'list connected USB HID security tokens (YubiKey, Nitrokey, SoloKeys, Ledger, OnlyKey) and warn about unexpected HID keyboards'
    )
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .action(async () => {
      const { runTokens } = await import('./commands/tokens.js');
      const { loadNodeHidEnumerator } = await import('../devices/node-hid.js');
      setResult(await runTokens(globals(program, io), io, () => loadNodeHidEnumerator()));
    });
  program
    .command('self-check')
    .description(
      'print the version and the SHA-256 of the code that is running (the single file, or the package\'s own files); ' +
        'with --sums, compare it with the release\'s SHA256SUMS'
    )
    .option('--sums <FILE>', "the release's SHA256SUMS: its line for tuf-ceremony.mjs (single file) or package-files.sha256 (package)")
    .addHelpText('after', '\nA witness runs it before a ceremony: see docs/release.md.\n' + EXIT_CODES_HELP)
    .exitOverride()
    .action(async (opts: { sums?: string }) => {
      const { runSelfCheck } = await import('./commands/self-check.js');
      setResult(await runSelfCheck(opts, globals(program, io), io));
    });
  return program;
}

function report(err: CeremonyError, io: Io, json: boolean): number {
  const where = err.file !== undefined && !err.message.includes(err.file) ? ` (${err.file})` : '';
  io.stderr(`error[${err.code}]: ${err.message}${where}\n`);
  if (err.hint !== undefined) io.stderr(`hint: ${err.hint}\n`);
  if (json) {
    const error = { code: err.code, exitCode: err.exitCode, message: err.message, file: err.file ?? null, field: err.field ?? null };
    if (err.code !== 'VERIFICATION_FAILED') io.stdout(JSON.stringify({ ok: false, error }, null, 2) + '\n');
  }
  return err.exitCode;
}

/**
 * Runs the command line and returns the exit code. Never throws.
 * @param argv arguments after `node tuf-ceremony`
 */
export async function main(argv: readonly string[], rawIo: Io = processIo()): Promise<number> {
  let result: number = EXIT.OK;
  const io = safeIo(rawIo, argv.includes('--json'));
  const program = buildProgram(io, (code) => {
    result = code;
  });
  const json = argv.includes('--json');
  try {
    // The workspace lock a command takes is released when it ends, however it ends.
    await withLockScope(() => program.parseAsync([...argv], { from: 'user' }));
    return result;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return EXIT.OK;
      }
      return EXIT.INVALID;
    }
    if (err instanceof CeremonyError) return report(err, io, json);
    const e = err instanceof Error ? err : new Error(String(err));
    io.stderr(`error[INTERNAL]: ${e.message}\n${e.stack ?? ''}\nThis is a bug in tuf-ceremony: please report it with the command you ran.\n`);
    return 70;
  }
}
