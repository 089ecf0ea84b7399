// SPDX-License-Identifier: Apache-2.0
/**
 * A ceremony workspace on disk (layout in docs/workspace.md):
 *
 *   ceremony.json              settings: name, defaults
 *   keyholders/NAME.pub.json   registered keyholders' public keys
 *   keys/NAME.pub.json         public key files of online and delegated keys a draft used (their names)
 *   metadata/                  published, fully signed metadata
 *   drafts/ROLE.json           drafts in progress, with signatures so far
 *   requests/                  signing requests exported
 *   signatures/                signature files imported (kept as evidence)
 *   audit/log.jsonl            the hash-chained audit log
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { parseJson } from '../metadata/json.js';
import { Guard } from '../metadata/parse.js';
import { parsePublicKeyFile, type PublicKeyFile } from '../metadata/public-key-file.js';
import { stringifySorted } from '../metadata/serialize.js';
import { writeFileAtomic } from './atomic.js';
import { readBoundedFile, readOptionalFile } from './metadata-dir.js';

export const WORKSPACE_FORMAT = 'tuf-ceremony/workspace/v1';
export const SUBDIRS = ['keyholders', 'metadata', 'drafts', 'requests', 'signatures', 'audit'] as const;

export interface WorkspaceSettings {
  readonly format: typeof WORKSPACE_FORMAT;
  readonly name: string;
  readonly created: string;
  readonly defaults: {
    readonly key_type: 'ed25519' | 'ecdsa-p256';
    readonly root_expires_days: number;
    readonly targets_expires_days: number;
  };
}

export interface Workspace {
  readonly dir: string;
  readonly settings: WorkspaceSettings;
}

const SETTINGS_FIELDS = ['format', 'name', 'created', 'defaults'];
const DEFAULT_FIELDS = ['key_type', 'root_expires_days', 'targets_expires_days'];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads `ceremony.json` strictly. @throws InputError (exit 2) */
export function parseSettings(bytes: Uint8Array, file: string): WorkspaceSettings {
  const g: Guard = new Guard(file);
  const o = g.object(parseJson(bytes, file, { maxBytes: 64 * 1024 }), []);
  for (const k of Object.keys(o)) if (!SETTINGS_FIELDS.includes(k)) g.fail([k], 'unknown field');
  if (o['format'] !== WORKSPACE_FORMAT) g.fail(['format'], `must be "${WORKSPACE_FORMAT}"`);
  g.string(o['name'], ['name']);
  g.string(o['created'], ['created']);
  const d = g.object(o['defaults'], ['defaults']);
  for (const k of Object.keys(d)) if (!DEFAULT_FIELDS.includes(k)) g.fail(['defaults', k], 'unknown field');
  const kt = g.string(d['key_type'], ['defaults', 'key_type']);
  if (kt !== 'ed25519' && kt !== 'ecdsa-p256') g.fail(['defaults', 'key_type'], 'must be ed25519 or ecdsa-p256');
  g.integer(d['root_expires_days'], ['defaults', 'root_expires_days'], 1);
  g.integer(d['targets_expires_days'], ['defaults', 'targets_expires_days'], 1);
  return o as unknown as WorkspaceSettings;
}

/**
 * Creates a new workspace in `dir` (which must be absent or empty).
 * @throws InputError when `dir` holds anything already
 */
export async function createWorkspace(dir: string, name: string, created: string): Promise<Workspace> {
  if (await exists(dir)) {
    const entries = await readdir(dir);
    if (entries.length > 0) {
      throw new InputError(`${dir}: not empty; a new workspace needs an empty or new directory`, { file: dir });
    }
  }
  await mkdir(dir, { recursive: true });
  for (const sub of SUBDIRS) await mkdir(join(dir, sub), { recursive: true });
  const settings: WorkspaceSettings = {
    format: WORKSPACE_FORMAT,
    name,
    created,
    defaults: { key_type: 'ed25519', root_expires_days: 365, targets_expires_days: 365 },
  };
  await writeFileAtomic(join(dir, 'ceremony.json'), stringifySorted(settings, 'ceremony.json'), { exclusive: true });
  return { dir, settings };
}

/**
 * Opens the workspace in `dir`.
 * @throws InputError when `dir` is not a workspace
 */
export function openWorkspace(dir: string): Workspace {
  const file = join(dir, 'ceremony.json');
  const bytes = readOptionalFile(file, 64 * 1024);
  if (bytes === null) {
    throw new InputError(`${dir}: not a tuf-ceremony workspace (no ceremony.json)`, {
      file: dir,
      hint: 'run `tuf-ceremony init DIR` to make one, or pass --dir DIR',
    });
  }
  return { dir, settings: parseSettings(bytes, file) };
}

/**
 * The workspace directory `path` is in (a directory holding `ceremony.json`,
 * `path`'s own or an ancestor's), or null.
 */
export function workspaceContaining(path: string): string | null {
  let dir = resolve(path);
  for (;;) {
    if (readOptionalFile(join(dir, 'ceremony.json'), 64 * 1024) !== null) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The registered keyholders, by name, each from keyholders/NAME.pub.json. */
export async function readKeyholders(ws: Workspace): Promise<PublicKeyFile[]> {
  return readPubDir(ws, 'keyholders');
}

/**
 * The public key files of keys a draft took from a file that is not a
 * registered keyholder's (online keys, delegated keys), kept in keys/ so
 * that their names show; none when keys/ does not exist.
 */
export async function readKeyFiles(ws: Workspace): Promise<PublicKeyFile[]> {
  return existsSync(join(ws.dir, KEY_FILES_DIR)) ? readPubDir(ws, KEY_FILES_DIR) : [];
}

/** Where the public key files of online and delegated keys are kept. */
export const KEY_FILES_DIR = 'keys';

async function readPubDir(ws: Workspace, sub: string): Promise<PublicKeyFile[]> {
  const dir = join(ws.dir, sub);
  const out: PublicKeyFile[] = [];
  for (const f of (await readdir(dir)).sort()) {
    if (!f.endsWith('.pub.json')) continue;
    const rel = join(sub, f);
    const pub = parsePublicKeyFile(readBoundedFile(join(dir, f), 64 * 1024), rel);
    if (`${pub.name}.pub.json` !== f) {
      throw new InputError(`${rel}: holds the key of "${pub.name}"; the file must be named ${pub.name}.pub.json`, { file: rel, field: 'name' });
    }
    out.push(pub);
  }
  return out;
}
