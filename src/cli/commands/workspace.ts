// SPDX-License-Identifier: Apache-2.0
/** `init`, `keyholder add|list|remove`: the workspace and its keyholders. */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { appendAuditEntry } from '../../audit/log.js';
import { attestationOf, attestationText } from '../../crypto/attestation.js';
import { InputError, IoError, VerificationError } from '../../errors.js';
import { formatExpires } from '../../metadata/expires.js';
import { decodeKey } from '../../metadata/keys.js';
import type { Root } from '../../metadata/model.js';
import { parseMetadata } from '../../metadata/parse.js';
import { hasValidProof, parsePublicKeyFile, type PublicKeyFile } from '../../metadata/public-key-file.js';
import { stringifySorted } from '../../metadata/serialize.js';
import { fsyncDir, writeFileAtomic } from '../../store/atomic.js';
import { Change } from '../../store/change.js';
import { hasRootMetadata, metadataDirSource, readBoundedFile, rememberingSource } from '../../store/metadata-dir.js';
import { createWorkspace, openWorkspace, readKeyholders, type Workspace } from '../../store/workspace.js';
import { sha256Hex } from '../../metadata/sha256.js';
import { verifyRepository } from '../../verify/repository.js';
import type { GlobalOptions, Io } from '../io.js';
import { lockWorkspace } from './context.js';


/** The workspace a command works on: `--dir`, else the current directory. */
export function workspaceDir(global: GlobalOptions, io: Io): string {
  return resolve(io.cwd, global.dir ?? '.');
}

export interface InitOptions {
  readonly name?: string;
  readonly from?: string;
}

/** `init [DIR] [--name N] [--from METADATA_DIR]` */
export async function runInit(dirArg: string | undefined, opts: InitOptions, global: GlobalOptions, io: Io): Promise<number> {
  const dir = resolve(io.cwd, dirArg ?? '.');
  const nowMs = io.now();
  let imported: { name: string; bytes: Uint8Array }[] = [];
  let finalRoot = 0;
  let skipped = 0;
  if (opts.from !== undefined) {
    // The import is the trusted starting point: it must verify as a client would.
    let src = resolve(io.cwd, opts.from);
    if (!hasRootMetadata(src) && hasRootMetadata(join(src, 'metadata'))) src = join(src, 'metadata');
    // Each file's hash is kept as verify reads it: what is imported is read
    // again and must be what verified.
    const source = rememberingSource(metadataDirSource(src));
    const report = verifyRepository(source, { atMs: nowMs });
    if (!report.ok) {
      throw new VerificationError(`refusing to import ${opts.from}: it does not verify: ${report.failures[0] ?? 'no root metadata'}`, {
        hint: `run \`tuf-ceremony verify ${opts.from}\` to see every check`,
      });
    }
    finalRoot = report.finalRoot?.version ?? 0;
    // Only what verified becomes the baseline: a stray file beside a good
    // repository (an unsigned 9.targets.json) must not become "published".
    imported = report.verifiedFiles.map((n) => ({ name: n.replace(/^root_history\//, ''), bytes: source.readAgain(n) }));
    skipped = source.names.length - imported.length;
  }
  const name = opts.name ?? basename(dir);
  // Built whole in a temporary directory beside DIR, then renamed into place: a failure leaves nothing.
  await assertEmptyOrAbsent(dir);
  const tmp = join(dirname(dir), `.${basename(dir)}.${randomBytes(8).toString('hex')}.tmp`);
  let head: string;
  try {
    const ws = await createWorkspace(tmp, name, formatExpires(nowMs));
    const written = [{ path: 'ceremony.json', sha256: sha256Hex(readBoundedFile(join(tmp, 'ceremony.json'))) }];
    for (const f of imported) {
      if (written.some((w) => w.path === `metadata/${f.name}`)) {
        throw new InputError(`${opts.from ?? ''}: metadata/${f.name} is given twice (once in root_history/); not imported`, { file: f.name });
      }
      await writeFileAtomic(join(tmp, 'metadata', f.name), f.bytes, { exclusive: true, root: tmp });
      written.push({ path: `metadata/${f.name}`, sha256: sha256Hex(f.bytes) });
    }
    ({ head } = await appendAuditEntry(
      ws.dir,
      {
        actor: 'coordinator',
        command: 'init',
        artifacts: { read: [], written },
        device: null,
        details: { name, from: opts.from ?? null, imported_root_version: finalRoot },
      },
      nowMs
    ));
    await rename(tmp, dir).catch((cause: NodeJS.ErrnoException) => {
      throw new (cause.code === 'ENOTEMPTY' || cause.code === 'EEXIST' ? InputError : IoError)(`${dir}: cannot put the new workspace in place (${cause.code ?? 'error'})`, { file: dir, cause });
    });
    await fsyncDir(dirname(dir));
  } catch (cause) {
    await rm(tmp, { recursive: true, force: true });
    throw cause;
  }
  if (global.json) {
    io.stdout(
      JSON.stringify({ ok: true, workspace: dir, name, importedRootVersion: finalRoot || null, imported: imported.map((f) => f.name), leftOut: skipped, auditHead: head }, null, 2) + '\n'
    );
  } else {
    io.stdout(`new workspace "${name}" in ${dir}\n`);
    if (opts.from !== undefined) {
      io.stdout(`imported ${String(imported.length)} metadata files from ${opts.from}; root v${String(finalRoot)} is the trusted starting point\n`);
      if (skipped > 0) io.stdout(`left out ${String(skipped)} files that are not on a client's verified path (stray or unreferenced copies)\n`);
    }
    io.stdout(`audit head: ${head}\n`);
  }
  return 0;
}

async function assertEmptyOrAbsent(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(dirname(dir), { recursive: true });
      return;
    }
    throw new InputError(`${dir}: cannot be a workspace (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { file: dir, cause });
  }
  if (entries.length > 0) throw new InputError(`${dir}: not empty; a new workspace needs an empty or new directory`, { file: dir });
}

/** Key IDs in the latest published root and in the drafts, with where they are. */
async function keysInUse(ws: Workspace): Promise<Map<string, string[]>> {
  const uses = new Map<string, string[]>();
  const note = (root: Root, where: string): void => {
    for (const [role, r] of Object.entries(root.roles)) {
      for (const k of r.keyids) uses.set(k, [...(uses.get(k) ?? []), `${role} role of ${where}`]);
    }
  };
  const metaDir = join(ws.dir, 'metadata');
  const roots = (await readdir(metaDir)).filter((f) => /^\d+\.root\.json$/.test(f)).sort((a, b) => parseInt(b) - parseInt(a));
  const latest = roots[0];
  if (latest !== undefined) {
    note(parseMetadata(readBoundedFile(join(metaDir, latest)), `metadata/${latest}`, 'root').signed, `the published root (${latest})`);
  }
  const draftDir = join(ws.dir, 'drafts');
  for (const f of (await readdir(draftDir)).filter((x) => x.endsWith('.json'))) {
    const md = parseMetadata(readBoundedFile(join(draftDir, f)), `drafts/${f}`);
    if (md.signed._type === 'root') note(md.signed, `the ${f.replace(/\.json$/, '')} draft`);
    const d = md.signed._type === 'targets' ? md.signed.delegations : undefined;
    for (const r of d?.roles ?? []) for (const k of r.keyids) uses.set(k, [...(uses.get(k) ?? []), `delegation ${r.name} in the ${f} draft`]);
  }
  return uses;
}

/** What the audit log and --json record of a keyholder's hardware: the attested facts, or why not. */
function hardwareRecord(p: PublicKeyFile): Record<string, string | number> {
  const a = attestationOf(p);
  if (a === null) return { attested: 'no' };
  if (a.$case === 'invalid') return { attested: 'invalid', reason: a.reason };
  return { attested: 'yes', serial: a.serial, firmware: a.firmware, slot: a.slot, pin_policy: a.pinPolicy, touch_policy: a.touchPolicy, root: a.root };
}

/** `keyholder add FILE…` */
export async function runKeyholderAdd(files: readonly string[], global: GlobalOptions, io: Io): Promise<number> {
  openWorkspace(workspaceDir(global, io));
  await lockWorkspace(workspaceDir(global, io), io);
  const ws = openWorkspace(workspaceDir(global, io));
  const existing = await readKeyholders(ws);
  const added: PublicKeyFile[] = [];
  const read: { path: string; sha256: string }[] = [];
  // Check every file before writing any, so a bad one leaves nothing half-done.
  for (const f of files) {
    const bytes = readBoundedFile(resolve(io.cwd, f), 64 * 1024);
    const pub = parsePublicKeyFile(bytes, f);
    if (!hasValidProof(pub)) {
      throw new VerificationError(`${f}: the proof of possession does not verify: the key, name or date was altered, or the key was substituted`, {
        file: f,
        field: 'proof_of_possession',
      });
    }
    const attested = attestationOf(pub);
    if (attested?.$case === 'invalid') {
      throw new VerificationError(`${f}: the hardware attestation does not verify: ${attested.reason}`, { file: f, field: 'attestation' });
    }
    const d = decodeKey(pub.key);
    const fp = d.$case === 'supported' ? d.fingerprint : pub.keyid;
    for (const other of [...existing, ...added]) {
      const od = decodeKey(other.key);
      const ofp = od.$case === 'supported' ? od.fingerprint : other.keyid;
      if (other.name === pub.name) {
        throw new InputError(`${f}: keyholder "${pub.name}" is already registered${other.keyid === pub.keyid ? ' with this key' : ` with another key (${other.keyid.slice(0, 8)})`}`, { file: f, field: 'name' });
      }
      if (ofp === fp) {
        throw new InputError(`${f}: this public key is already registered for "${other.name}"; one key cannot belong to two keyholders`, { file: f, field: 'key' });
      }
    }
    added.push(pub);
    read.push({ path: f, sha256: sha256Hex(bytes) });
  }
  const change = new Change(ws.dir);
  for (const pub of added) change.write(`keyholders/${pub.name}.pub.json`, stringifySorted(pub, `keyholders/${pub.name}.pub.json`), { exclusive: true });
  const { head } = await change.commit(
    {
      actor: 'coordinator',
      command: 'keyholder add',
      artifacts: { read, written: [] },
      device: null,
      details: { keyholders: added.map((p) => ({ name: p.name, keyid: p.keyid, hardware: hardwareRecord(p) })) },
    },
    io.now()
  );
  if (global.json) {
    io.stdout(JSON.stringify({ ok: true, added: added.map((p) => ({ name: p.name, keyid: p.keyid, hardware: hardwareRecord(p) })), auditHead: head }, null, 2) + '\n');
  } else {
    for (const p of added) io.stdout(`registered ${p.name}: key ${p.keyid} (${p.key.scheme}); hardware: ${attestationText(attestationOf(p))}\n`);
  }
  return 0;
}

/** `keyholder list` */
export async function runKeyholderList(global: GlobalOptions, io: Io): Promise<number> {
  const ws = openWorkspace(workspaceDir(global, io));
  const holders = await readKeyholders(ws);
  const uses = await keysInUse(ws);
  if (global.json) {
    const list = holders.map((p) => ({ name: p.name, keyid: p.keyid, keytype: p.key.keytype, scheme: p.key.scheme, created: p.created, device: p.device, hardware: hardwareRecord(p), inUse: uses.get(p.keyid) ?? [] }));
    io.stdout(JSON.stringify({ keyholders: list }, null, 2) + '\n');
    return 0;
  }
  if (holders.length === 0) io.stdout('no keyholders registered\n');
  for (const p of holders) {
    const u = uses.get(p.keyid);
    io.stdout(`${p.name.padEnd(16)} ${p.keyid.slice(0, 16)}  ${p.key.scheme.padEnd(19)} created ${p.created}${u ? `  (${u.join('; ')})` : ''}\n`);
    io.stdout(`${' '.repeat(17)}hardware: ${attestationText(attestationOf(p))}\n`);
  }
  return 0;
}

/** `keyholder remove NAME` */
export async function runKeyholderRemove(name: string, global: GlobalOptions, io: Io): Promise<number> {
  openWorkspace(workspaceDir(global, io));
  await lockWorkspace(workspaceDir(global, io), io);
  const ws = openWorkspace(workspaceDir(global, io));
  const holder = (await readKeyholders(ws)).find((p) => p.name === name);
  if (holder === undefined) throw new InputError(`no keyholder named "${name}"`, { field: 'NAME', hint: 'see `tuf-ceremony keyholder list`' });
  const uses = (await keysInUse(ws)).get(holder.keyid);
  if (uses !== undefined) {
    throw new InputError(`keyholder "${name}" cannot be removed: their key ${holder.keyid.slice(0, 8)} is in the ${uses.join(', ')}`, {
      hint: 'remove the key from the draft (root remove-key ROLE WHO) and publish a root without it first',
    });
  }
  const rel = `keyholders/${name}.pub.json`;
  const bytes = readBoundedFile(join(ws.dir, rel));
  const change = new Change(ws.dir);
  change.remove(rel);
  const { head } = await change.commit(
    { actor: 'coordinator', command: 'keyholder remove', artifacts: { read: [{ path: rel, sha256: sha256Hex(bytes) }], written: [] }, device: null, details: { name, keyid: holder.keyid } },
    io.now()
  );
  if (global.json) io.stdout(JSON.stringify({ ok: true, removed: name, auditHead: head }, null, 2) + '\n');
  else io.stdout(`removed keyholder ${name}\n`);
  return 0;
}
