// SPDX-License-Identifier: Apache-2.0
/**
 * The PKCS#11 backend: keys on hardware tokens (YubiKey PIV through ykcs11,
 * OpenSC cards, SoftHSM2, YubiHSM 2), through the optional native package
 * `pkcs11js`, which is loaded only when a PKCS#11 key is asked for: the
 * software backend keeps working where it failed to build.
 *
 * - Tokens are selected by label or serial, never by slot index (SoftHSM and
 *   readers renumber slots).
 * - ECDSA P-256: SHA-256 on the host, `CKM_ECDSA` on the token, raw r‖s
 *   turned into DER with low S (what python-tuf and tuf-js count).
 * - Ed25519: `CKM_EDDSA` over the whole message, after a size check against
 *   the module's known buffer limit (done before the token is touched).
 * - Every signature is verified against the token's public key before it is
 *   returned.
 *
 * PINs: asked through the {@link SecretsHandler} when a login needs one and
 * dropped right after `C_Login` (a JavaScript string cannot be wiped; no
 * reference to it is kept). A key with `CKA_ALWAYS_AUTHENTICATE` (YubiKey PIV
 * slot 9c) needs the PIN at every signature: the handler is asked again each
 * time rather than the PIN being cached. A PIN never appears in a message,
 * a warning or an error (errors from a login carry no `cause`).
 *
 * One module is loaded and `C_Initialize`d once per process and path, shared
 * by every signer that uses it, and finalized when the last one closes; the
 * login state of a token is shared by all its sessions, so the last signer
 * on a token logs out.
 */
import { createHash, createPublicKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, resolve } from 'node:path';
import type * as Pkcs11js from 'pkcs11js';
import { CancelledError, CeremonyError, EnvironmentError, InputError, SignerError } from '../errors.js';
import { computeKeyId, type TufKey } from '../metadata/keys.js';
import { ecdsaDerToLowS, ecdsaRawToDer } from './der.js';
import { formatPkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
import { checkSignature, type DeviceDescription, type SecretsHandler, type Signer } from './signer.js';
import { tufKeyFromPublicKey } from './tuf-key.js';

/**
 * Cryptoki constants (PKCS#11 2.40 / 3.0 values). Kept here because
 * pkcs11js does not export the EdDSA ones and its constants exist only
 * after the lazy import.
 */
export const CK = Object.freeze({
  CKO_CERTIFICATE: 0x1,
  CKO_PUBLIC_KEY: 0x2,
  CKO_PRIVATE_KEY: 0x3,
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_EXTRACTABLE: 0x162,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKA_ALWAYS_AUTHENTICATE: 0x202,
  CKK_EC: 0x3,
  CKK_EC_EDWARDS: 0x40,
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA: 0x1041,
  CKM_EC_EDWARDS_KEY_PAIR_GEN: 0x1055,
  CKM_EDDSA: 0x1057,
  CKF_RW_SESSION: 0x2,
  /** C_Initialize: the module may use the OS's locks (our C_SignAsync runs on a worker thread). */
  CKF_OS_LOCKING_OK: 0x2,
  /** CK_MECHANISM_INFO flags. */
  CKF_SIGN: 0x800,
  CKF_GENERATE_KEY_PAIR: 0x10000,
  CKF_SERIAL_SESSION: 0x4,
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_PROTECTED_AUTHENTICATION_PATH: 0x100,
  CKF_TOKEN_INITIALIZED: 0x400,
  CKF_USER_PIN_COUNT_LOW: 0x10000,
  CKF_USER_PIN_FINAL_TRY: 0x20000,
  CKF_USER_PIN_LOCKED: 0x40000,
  CKF_USER_PIN_TO_BE_CHANGED: 0x80000,
  CKU_USER: 0x1,
  CKU_CONTEXT_SPECIFIC: 0x2,
  CKS_RO_USER_FUNCTIONS: 0x1,
  CKS_RW_USER_FUNCTIONS: 0x3,
  CKR_GENERAL_ERROR: 0x5,
  CKR_CANT_LOCK: 0xa,
  CKR_ATTRIBUTE_VALUE_INVALID: 0x13,
  CKR_DATA_LEN_RANGE: 0x21,
  CKR_DEVICE_ERROR: 0x30,
  CKR_DEVICE_MEMORY: 0x31,
  CKR_DEVICE_REMOVED: 0x32,
  CKR_FUNCTION_CANCELED: 0x50,
  CKR_KEY_TYPE_INCONSISTENT: 0x63,
  CKR_KEY_FUNCTION_NOT_PERMITTED: 0x68,
  CKR_MECHANISM_INVALID: 0x70,
  CKR_MECHANISM_PARAM_INVALID: 0x71,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_INVALID: 0xa1,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_PIN_EXPIRED: 0xa3,
  CKR_PIN_LOCKED: 0xa4,
  CKR_SESSION_CLOSED: 0xb0,
  CKR_SESSION_HANDLE_INVALID: 0xb3,
  CKR_TEMPLATE_INCONSISTENT: 0xd1,
  CKR_TOKEN_NOT_PRESENT: 0xe0,
  CKR_TOKEN_NOT_RECOGNIZED: 0xe1,
  CKR_TOKEN_WRITE_PROTECTED: 0xe2,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_USER_NOT_LOGGED_IN: 0x101,
  CKR_USER_PIN_NOT_INITIALIZED: 0x102,
  CKR_DOMAIN_PARAMS_INVALID: 0x130,
  CKR_CURVE_NOT_SUPPORTED: 0x140,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 0x191,
  CKR_FUNCTION_REJECTED: 0x200,
} as const);

/** Curve parameters (CKA_EC_PARAMS), DER hex. */
const PARAMS = {
  p256: '06082a8648ce3d030107',
  ed25519Oid: '06032b6570',
  /** SoftHSM 2.6: PrintableString "edwards25519". */
  ed25519Name: '130c656477617264733235353139',
} as const;

/** SubjectPublicKeyInfo DER prefixes for raw points. */
const SPKI = {
  p256: '3059301306072a8648ce3d020106082a8648ce3d030107034200',
  p256Compressed: '3039301306072a8648ce3d020106082a8648ce3d030107032200',
  ed25519: '302a300506032b6570032100',
} as const;

/** Largest message signed with Ed25519, by module file name (`onepin-opensc-pkcs11.so` is OpenSC too). */
const ED25519_LIMITS: readonly (readonly [string, number])[] = [
  ['opensc-pkcs11', 512],
  ['yubihsm_pkcs11', 2048],
];

type Lib = typeof Pkcs11js;
type PKCS11 = Pkcs11js.PKCS11;
type Handle = Buffer;

/** A signer on a PKCS#11 token; `uri` names the key (print it after `key generate`). */
export interface Pkcs11Signer extends Signer {
  /** YubiKey PIV attestation chain (PEM, slot certificate first), when the module exposes one (ykcs11). */
  readonly attestation?: readonly string[];
  /** `pkcs11:token=…;serial=…;object=…;id=…?module-path=…` for this key. */
  readonly uri: string;
  /** The key asks for the PIN at every signature (CKA_ALWAYS_AUTHENTICATE). */
  readonly alwaysAuthenticate: boolean;
}

// ---------------------------------------------------------------------------
// Loading the binding and the module

const INSTALL_HINT =
  'install it with build tools present (python3, make, g++): `npm install pkcs11js@2.1.7`; on Debian set ' +
  '`npm_config_nodedir=/usr` so node-gyp uses the installed Node headers; with npm 11 first allow its build ' +
  'script: `npm install-scripts approve pkcs11js`. Software key files work without it.';

let bindingPromise: Promise<Lib> | undefined;

/** Imports pkcs11js on first use. @throws EnvironmentError (exit 3) */
async function loadBinding(): Promise<Lib> {
  bindingPromise ??= import('pkcs11js').then(
    (m) => m.default,
    (cause: unknown) => {
      bindingPromise = undefined;
      throw new EnvironmentError(
        `PKCS#11 support is unavailable: the npm package pkcs11js is not installed or its native part could not be loaded (${firstLine(cause)})`,
        { hint: INSTALL_HINT, cause }
      );
    }
  );
  return bindingPromise;
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] ?? m;
}

interface LoadedModule {
  readonly lib: PKCS11;
  readonly path: string;
  refs: number;
  /** Whether we called C_Initialize (and so must C_Finalize). */
  readonly owned: boolean;
  /** Our open sessions per slot (hex of the slot handle). */
  readonly sessions: Map<string, number>;
}

const modules = new Map<string, LoadedModule>();

/** How many PKCS#11 modules are loaded now (0 once every signer is closed). */
export function pkcs11ModulesInUse(): number {
  return modules.size;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Loads and initializes a module, or shares the one already loaded.
 * @throws EnvironmentError (exit 3) naming the path
 */
async function acquireModule(modulePath: string): Promise<LoadedModule> {
  const path = resolve(modulePath);
  const known = modules.get(path);
  if (known !== undefined) {
    known.refs++;
    return known;
  }
  const binding = await loadBinding();
  const again = modules.get(path);
  if (again !== undefined) {
    again.refs++;
    return again;
  }
  if (!isFile(path)) {
    throw new EnvironmentError(`the PKCS#11 module ${modulePath} does not exist`, {
      file: modulePath,
      hint:
        'install the module and check the path (YubiKey: package ykcs11, /usr/lib/x86_64-linux-gnu/libykcs11.so; ' +
        'OpenSC: package opensc-pkcs11, /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so; SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)',
    });
  }
  const lib = new binding.PKCS11();
  try {
    lib.load(path);
  } catch (cause) {
    throw new EnvironmentError(`the PKCS#11 module ${modulePath} could not be loaded: ${firstLine(cause)}`, {
      file: modulePath,
      hint: 'check that it is a PKCS#11 module for this machine (architecture) and that its libraries are installed',
      cause,
    });
  }
  let owned = true;
  try {
    initialize(lib);
  } catch (cause) {
    const code = ckrOf(cause);
    if (code === CK.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      owned = false;
    } else {
      closeQuietly(lib);
      if (code === CK.CKR_DEVICE_ERROR) throw readerUnavailable(modulePath, 'C_Initialize');
      throw new EnvironmentError(`the PKCS#11 module ${modulePath} failed to start (${ckrName(cause)})`, {
        file: modulePath,
        hint: 'check the module’s own configuration (SoftHSM2: the SOFTHSM2_CONF file and its token directory)',
        cause,
      });
    }
  }
  const loaded: LoadedModule = { lib, path, refs: 1, owned, sessions: new Map() };
  modules.set(path, loaded);
  return loaded;
}

/**
 * C_Initialize with CKF_OS_LOCKING_OK: signatures run on a libuv worker
 * thread (C_SignAsync), so the module may be called from more than one
 * thread. pkcs11js otherwise passes flags 0 and no mutex functions, which
 * p11-kit's modules refuse (CKR_CANT_LOCK: "can't do without os locking").
 * A module that cannot use OS locks answers CKR_CANT_LOCK and is started
 * again without the flag (our calls are serialized anyway).
 */
function initialize(lib: PKCS11): void {
  try {
    lib.C_Initialize({ flags: CK.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (ckrOf(e) !== CK.CKR_CANT_LOCK) throw e;
    lib.C_Initialize({ flags: 0 });
  }
}

/**
 * CKR_DEVICE_ERROR before any token is open: the module cannot reach its
 * readers. ykcs11 2.2 (Debian bookworm) initializes fine without pcscd and
 * fails at `C_GetSlotList` (SCardEstablishContext: SCARD_E_NO_SERVICE).
 */
function readerUnavailable(modulePath: string, op: string): EnvironmentError {
  return new EnvironmentError(`no token reader is reachable through ${modulePath}: start pcscd (systemctl start pcscd)`, {
    file: modulePath,
    hint:
      `the PKCS#11 module reported CKR_DEVICE_ERROR at ${op}: modules that reach tokens through PC/SC (YubiKey ykcs11, OpenSC) ` +
      'need the pcscd daemon (Debian package pcscd) running; then check that the reader and token are plugged in',
  });
}

function closeQuietly(lib: PKCS11): void {
  try {
    lib.close();
  } catch {
    // unloading a module that failed is best effort
  }
}

function releaseModule(m: LoadedModule): void {
  m.refs--;
  if (m.refs > 0) return;
  modules.delete(m.path);
  if (m.owned) {
    try {
      m.lib.C_Finalize();
    } catch {
      // the module is going away anyway
    }
  }
  closeQuietly(m.lib);
}

// ---------------------------------------------------------------------------
// Errors

/** The CKR_… code of a pkcs11js error, if it is one. */
function ckrOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const { code, message } = e as { code?: unknown; message?: unknown };
  return typeof code === 'number' && typeof message === 'string' && message.startsWith('CKR_') ? code : undefined;
}

function ckrName(e: unknown): string {
  const code = ckrOf(e);
  if (code === undefined) return firstLine(e);
  const name = (e as { message: string }).message.split(/[:\s]/)[0] ?? 'CKR_?';
  return `${name}, 0x${code.toString(16)}`;
}

/** Maps a Cryptoki failure of `op` to an error the user can act on. */
function tokenError(e: unknown, op: string, token: string): CeremonyError {
  if (e instanceof CeremonyError) return e;
  const code = ckrOf(e);
  switch (code) {
    case CK.CKR_DEVICE_REMOVED:
    case CK.CKR_TOKEN_NOT_PRESENT:
    case CK.CKR_SESSION_CLOSED:
    case CK.CKR_SESSION_HANDLE_INVALID:
      return new EnvironmentError(`token ${token} was removed or is no longer reachable (${op}: ${ckrName(e)})`, {
        hint: 'reinsert the token and run the command again',
        cause: e,
      });
    case CK.CKR_DEVICE_ERROR:
    case CK.CKR_DEVICE_MEMORY:
    case CK.CKR_TOKEN_NOT_RECOGNIZED:
      return new EnvironmentError(`token ${token} failed during ${op} (${ckrName(e)})`, {
        hint: 'reinsert the token; for USB smart cards check that pcscd is running (systemctl start pcscd)',
        cause: e,
      });
    case CK.CKR_FUNCTION_CANCELED:
    case CK.CKR_FUNCTION_REJECTED:
      return new CancelledError(`token ${token} cancelled or refused ${op} (${ckrName(e)})`, {
        hint: 'if the token waits for a touch, touch it when asked',
      });
    case CK.CKR_MECHANISM_INVALID:
    case CK.CKR_MECHANISM_PARAM_INVALID:
    case CK.CKR_KEY_TYPE_INCONSISTENT:
    case CK.CKR_KEY_FUNCTION_NOT_PERMITTED:
      return new EnvironmentError(`token ${token} cannot do ${op} with this key (${ckrName(e)})`, {
        hint:
          'Ed25519 needs CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA (YubiKey firmware 5.7+, YubiHSM 2); ECDSA P-256 ' +
          '(--type ecdsa-p256, TUF scheme ecdsa-sha2-nistp256) is the usual choice on YubiKey PIV and most HSMs',
        cause: e,
      });
    case CK.CKR_DATA_LEN_RANGE:
      return new SignerError(`token ${token} refused a message of this size (${op}: ${ckrName(e)}); nothing was signed`, {
        hint: 'use an ECDSA P-256 key (the token then signs a 32-byte hash), or set x-max-message-size in the URI to the token’s limit',
        cause: e,
      });
    case CK.CKR_USER_NOT_LOGGED_IN:
      return new EnvironmentError(`token ${token} needs a login that was not done (${op}: ${ckrName(e)})`, { cause: e });
    case CK.CKR_TOKEN_WRITE_PROTECTED:
      return new EnvironmentError(`token ${token} is write-protected (${op})`, { cause: e });
    default:
      return new EnvironmentError(`PKCS#11 ${op} failed on token ${token} (${ckrName(e)})`, { cause: e });
  }
}

// ---------------------------------------------------------------------------
// Small Cryptoki helpers

const strip = (s: string): string => s.replace(/[\0 ]+$/, '');
const q = (s: string): string => JSON.stringify(s);
const idHex = (id: Uint8Array): string => Buffer.from(id).toString('hex');

function readUlong(b: Buffer): number {
  if (b.length === 8) return Number(endianness() === 'LE' ? b.readBigUInt64LE() : b.readBigUInt64BE());
  if (b.length === 4) return endianness() === 'LE' ? b.readUInt32LE() : b.readUInt32BE();
  return b.length > 0 && b.length <= 6 ? b.readUIntLE(0, b.length) : -1;
}

function attribute(lib: PKCS11, session: Handle, obj: Handle, type: number): Buffer | undefined {
  try {
    return lib.C_GetAttributeValue(session, obj, [{ type }])[0]?.value;
  } catch {
    return undefined;
  }
}

function findObjects(lib: PKCS11, session: Handle, template: Pkcs11js.Template): Handle[] {
  lib.C_FindObjectsInit(session, template);
  const found: Handle[] = [];
  try {
    for (;;) {
      const batch = lib.C_FindObjects(session, 64);
      if (batch.length === 0) break;
      found.push(...batch);
      if (found.length > 10_000) break;
    }
  } finally {
    lib.C_FindObjectsFinal(session);
  }
  return found;
}

interface TokenRef {
  readonly slot: Handle;
  readonly info: Pkcs11js.TokenInfo;
  readonly label: string;
  readonly serial: string;
}

function describeToken(t: TokenRef): string {
  return `${q(t.label)} (serial ${t.serial === '' ? '?' : t.serial}, ${strip(t.info.manufacturerID)} ${strip(t.info.model)})`;
}

function listTokens(lib: PKCS11): TokenRef[] {
  const out: TokenRef[] = [];
  for (const slot of lib.C_GetSlotList(true)) {
    let info: Pkcs11js.TokenInfo;
    try {
      info = lib.C_GetTokenInfo(slot);
    } catch {
      continue;
    }
    out.push({ slot, info, label: strip(info.label), serial: strip(info.serialNumber) });
  }
  return out;
}

function findToken(lib: PKCS11, uri: Pkcs11Uri, modulePath: string): TokenRef {
  let tokens: TokenRef[];
  try {
    tokens = listTokens(lib);
  } catch (e) {
    if (ckrOf(e) === CK.CKR_DEVICE_ERROR) throw readerUnavailable(modulePath, 'C_GetSlotList');
    throw tokenError(e, 'listing tokens', `in ${modulePath}`);
  }
  // SoftHSM's free slot holds an uninitialized token with an empty label: not worth listing.
  const listed = tokens.filter((t) => (t.info.flags & CK.CKF_TOKEN_INITIALIZED) !== 0 || t.label !== '');
  const present =
    listed.length === 0
      ? `no initialized token is present in ${modulePath}`
      : `tokens present in ${modulePath}: ${listed.map(describeToken).join('; ')}`;
  if (uri.token === undefined && uri.serial === undefined) {
    throw new InputError(`the PKCS#11 URI ${q(uri.raw)} names no token: add token=LABEL or serial=SERIAL`, {
      field: 'token',
      hint: present,
    });
  }
  const wantLabel = uri.token === undefined ? undefined : strip(uri.token);
  const wantSerial = uri.serial === undefined ? undefined : strip(uri.serial);
  const matches = tokens.filter(
    (t) => (wantLabel === undefined || t.label === wantLabel) && (wantSerial === undefined || t.serial === wantSerial)
  );
  const wanted = [uri.token === undefined ? '' : `label ${q(uri.token)}`, uri.serial === undefined ? '' : `serial ${q(uri.serial)}`]
    .filter((s) => s !== '')
    .join(' and ');
  const [first, second] = matches;
  if (first === undefined) {
    throw new EnvironmentError(`no token with ${wanted} is present; ${present}`, {
      hint: 'insert the token, or correct token= / serial= in the URI (labels are compared without trailing spaces)',
    });
  }
  if (second !== undefined) {
    throw new InputError(`more than one token has ${wanted}: ${matches.map(describeToken).join('; ')}`, {
      field: 'serial',
      hint: 'add serial=SERIAL to the URI to pick one',
    });
  }
  return first;
}

// ---------------------------------------------------------------------------
// Sessions and login

interface TokenSession {
  readonly mod: LoadedModule;
  readonly lib: PKCS11;
  readonly token: TokenRef;
  /** `"label"`, for messages. */
  readonly name: string;
  readonly session: Handle;
  readonly modulePath: string;
  readonly warn: (msg: string) => void;
  readonly secrets: SecretsHandler;
  closed: boolean;
}

function pinState(flags: number): string {
  if (flags & CK.CKF_USER_PIN_LOCKED) return 'the PIN is now locked: unblock it with the SO PIN (PUK)';
  if (flags & CK.CKF_USER_PIN_FINAL_TRY) return 'one attempt is left: one more wrong PIN locks the token';
  if (flags & CK.CKF_USER_PIN_COUNT_LOW) return 'few attempts are left before the PIN locks';
  return '';
}

function currentFlags(ts: TokenSession): number {
  try {
    return ts.lib.C_GetTokenInfo(ts.token.slot).flags;
  } catch {
    return ts.token.info.flags;
  }
}

/** Maps a failed C_Login. Never attaches the cause: nothing near a PIN leaves here. */
function loginError(e: unknown, ts: TokenSession): CeremonyError {
  if (e instanceof CeremonyError) return e;
  const code = ckrOf(e);
  switch (code) {
    case CK.CKR_PIN_INCORRECT: {
      const state = pinState(currentFlags(ts));
      return new InputError(`wrong PIN for token ${ts.name}${state === '' ? '' : `; ${state}`}`, {
        field: 'PIN',
        hint: 'nothing was signed; run the command again with the right PIN',
      });
    }
    case CK.CKR_PIN_INVALID:
    case CK.CKR_PIN_LEN_RANGE:
      return new InputError(`the PIN given for token ${ts.name} has invalid characters or length (${ckrName(e)})`, {
        field: 'PIN',
      });
    case CK.CKR_PIN_LOCKED:
      return new EnvironmentError(`PIN locked on token ${ts.name}, unblock with the SO PIN`, {
        hint: 'YubiKey: ykman piv access unblock-pin; OpenSC: pkcs11-tool --login --login-type so --init-pin; SoftHSM2: softhsm2-util --init-token again',
      });
    case CK.CKR_PIN_EXPIRED:
      return new EnvironmentError(`the PIN of token ${ts.name} has expired: change it with the token’s tools first`);
    case CK.CKR_USER_PIN_NOT_INITIALIZED:
      return new EnvironmentError(`token ${ts.name} has no user PIN set: initialize it with the SO PIN first`);
    default:
      return new EnvironmentError(`login to token ${ts.name} failed (${code === undefined ? 'error' : ckrName(e)})`);
  }
}

function warnAboutPin(ts: TokenSession, flags: number): void {
  if (flags & CK.CKF_USER_PIN_FINAL_TRY) {
    ts.warn(`token ${ts.name}: FINAL PIN TRY: one more wrong PIN locks the token`);
  } else if (flags & CK.CKF_USER_PIN_COUNT_LOW) {
    ts.warn(`token ${ts.name}: a wrong PIN was entered before; few PIN attempts are left`);
  }
  if (flags & CK.CKF_USER_PIN_TO_BE_CHANGED) ts.warn(`token ${ts.name}: the PIN must be changed (it is still the default?)`);
}

/** C_Login(CKU_USER), asking the PIN unless the token has a PIN pad or is already logged in. */
async function login(ts: TokenSession): Promise<void> {
  try {
    const state = ts.lib.C_GetSessionInfo(ts.session).state;
    if (state === CK.CKS_RO_USER_FUNCTIONS || state === CK.CKS_RW_USER_FUNCTIONS) return; // another signer of ours
  } catch {
    // fall through to a normal login
  }
  const flags = currentFlags(ts);
  if (!(flags & CK.CKF_LOGIN_REQUIRED)) return;
  if (flags & CK.CKF_USER_PIN_LOCKED) throw loginError({ code: CK.CKR_PIN_LOCKED, message: 'CKR_PIN_LOCKED' }, ts);
  warnAboutPin(ts, flags);
  try {
    if (flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) {
      ts.warn(`token ${ts.name}: enter the PIN on the reader’s PIN pad`);
      ts.lib.C_Login(ts.session, CK.CKU_USER);
    } else {
      // The PIN lives in this call only.
      ts.lib.C_Login(ts.session, CK.CKU_USER, await ts.secrets('PIN', `PIN for token ${ts.token.label}`));
    }
  } catch (e) {
    if (ckrOf(e) === CK.CKR_USER_ALREADY_LOGGED_IN) return;
    if (ckrOf(e) === undefined) throw e; // from the secrets handler (e.g. cancelled), not the token
    throw loginError(e, ts);
  }
}

/**
 * Opens a session on the token the URI names and logs in.
 * The session counts as ours until {@link closeSession}.
 */
async function openTokenSession(
  uri: Pkcs11Uri,
  modulePath: string,
  secrets: SecretsHandler,
  warn: (msg: string) => void,
  rw: boolean,
  logIn = true,
  /** Checks on the token itself before any session or PIN (e.g. its mechanisms). */
  precheck?: (lib: PKCS11, token: TokenRef) => void
): Promise<TokenSession> {
  const mod = await acquireModule(modulePath);
  let ts: TokenSession | undefined;
  try {
    const token = findToken(mod.lib, uri, modulePath);
    precheck?.(mod.lib, token);
    const name = q(token.label);
    let session: Handle;
    try {
      session = mod.lib.C_OpenSession(token.slot, CK.CKF_SERIAL_SESSION | (rw ? CK.CKF_RW_SESSION : 0));
    } catch (e) {
      throw tokenError(e, 'opening a session', name);
    }
    const slotKey = token.slot.toString('hex');
    mod.sessions.set(slotKey, (mod.sessions.get(slotKey) ?? 0) + 1);
    ts = { mod, lib: mod.lib, token, name, session, modulePath, warn, secrets, closed: false };
    if (logIn) await login(ts);
    return ts;
  } catch (e) {
    if (ts === undefined) releaseModule(mod);
    else closeSession(ts);
    throw e;
  }
}

/** Logs out if this is our last session on the token, closes the session, releases the module. */
function closeSession(ts: TokenSession): void {
  if (ts.closed) return;
  ts.closed = true;
  const slotKey = ts.token.slot.toString('hex');
  const left = (ts.mod.sessions.get(slotKey) ?? 1) - 1;
  if (left <= 0) ts.mod.sessions.delete(slotKey);
  else ts.mod.sessions.set(slotKey, left);
  if (left <= 0) {
    try {
      ts.lib.C_Logout(ts.session);
    } catch {
      // not logged in, or the token is gone
    }
  }
  try {
    ts.lib.C_CloseSession(ts.session);
  } catch {
    // the token is gone
  }
  releaseModule(ts.mod);
}

// ---------------------------------------------------------------------------
// Keys

type Curve = 'p256' | 'ed25519';

function curveOf(params: Buffer | undefined, keyType: number): Curve | undefined {
  const hex = params?.toString('hex');
  if (hex === PARAMS.p256) return 'p256';
  if (hex === PARAMS.ed25519Oid || hex === PARAMS.ed25519Name) return 'ed25519';
  if (hex === undefined && keyType === CK.CKK_EC_EDWARDS) return 'ed25519';
  return undefined;
}

/** CKA_EC_POINT (DER OCTET STRING or raw) → SPKI public key. @throws RangeError */
export function publicKeyFromEcPoint(curve: Curve, point: Uint8Array): KeyObject {
  let p = Buffer.from(point);
  const size = curve === 'ed25519' ? 32 : p.length === 35 || p.length === 33 ? 33 : 65;
  if (p.length === size + 2 && p[0] === 0x04 && p[1] === size) p = p.subarray(2);
  if (p.length !== size) throw new RangeError(`CKA_EC_POINT of ${String(point.length)} bytes is not a ${curve} point`);
  if (curve === 'ed25519') return createPublicKey({ key: Buffer.concat([Buffer.from(SPKI.ed25519, 'hex'), p]), format: 'der', type: 'spki' });
  const prefix = size === 65 ? SPKI.p256 : SPKI.p256Compressed;
  const k = createPublicKey({ key: Buffer.concat([Buffer.from(prefix, 'hex'), p]), format: 'der', type: 'spki' });
  // One PEM per key: rebuild from the coordinates (uncompressed point).
  return createPublicKey({ key: k.export({ format: 'jwk' }), format: 'jwk' });
}

interface KeyObjectInfo {
  readonly cls: 'private' | 'public';
  readonly label: string;
  readonly id: Buffer;
}

function describeKeys(ts: TokenSession): string {
  const keys: KeyObjectInfo[] = [];
  for (const [cls, value] of [
    ['private', CK.CKO_PRIVATE_KEY],
    ['public', CK.CKO_PUBLIC_KEY],
  ] as const) {
    try {
      for (const h of findObjects(ts.lib, ts.session, [{ type: CK.CKA_CLASS, value }])) {
        keys.push({
          cls,
          label: attribute(ts.lib, ts.session, h, CK.CKA_LABEL)?.toString('utf8') ?? '',
          id: attribute(ts.lib, ts.session, h, CK.CKA_ID) ?? Buffer.alloc(0),
        });
      }
    } catch {
      // listing is only a help for the message
    }
  }
  if (keys.length === 0) return `token ${ts.name} holds no key objects`;
  return `key objects on token ${ts.name}: ${keys
    .map((k) => `${k.cls} key ${q(k.label)} id ${k.id.length === 0 ? '(none)' : k.id.toString('hex')}`)
    .join('; ')}`;
}

interface TokenKey {
  readonly handle: Handle;
  readonly curve: Curve;
  readonly publicKey: TufKey;
  readonly label: string;
  readonly id: Buffer;
  readonly alwaysAuthenticate: boolean;
}

function keyTemplate(uri: Pkcs11Uri, cls: number): Pkcs11js.Template {
  const t: Pkcs11js.Template = [{ type: CK.CKA_CLASS, value: cls }];
  if (uri.id !== undefined) t.push({ type: CK.CKA_ID, value: Buffer.from(uri.id) });
  if (uri.object !== undefined) t.push({ type: CK.CKA_LABEL, value: Buffer.from(uri.object, 'utf8') });
  return t;
}

function findPrivateKey(ts: TokenSession, uri: Pkcs11Uri): Handle {
  if (uri.id === undefined && uri.object === undefined) {
    throw new InputError(`the PKCS#11 URI ${q(uri.raw)} names no key: add id=… or object=LABEL`, {
      field: 'id',
      hint: describeKeys(ts),
    });
  }
  let found: Handle[];
  try {
    found = findObjects(ts.lib, ts.session, keyTemplate(uri, CK.CKO_PRIVATE_KEY));
  } catch (e) {
    throw tokenError(e, 'searching keys', ts.name);
  }
  const [first, second] = found;
  if (first === undefined) {
    throw new EnvironmentError(`no private key matches ${q(uri.raw)} on token ${ts.name}; ${describeKeys(ts)}`, {
      hint: 'correct id= (hex bytes as %XX) or object= (the key label) in the URI',
    });
  }
  if (second !== undefined) {
    throw new InputError(`${String(found.length)} private keys match ${q(uri.raw)} on token ${ts.name}`, {
      field: 'id',
      hint: `give both id= and object= to pick one; ${describeKeys(ts)}`,
    });
  }
  return first;
}

/** Reads a private key's type, curve, flags and its public key. */
function readKey(ts: TokenSession, handle: Handle, uriText: string): TokenKey {
  const { lib, session } = ts;
  const keyTypeRaw = attribute(lib, session, handle, CK.CKA_KEY_TYPE);
  const keyType = keyTypeRaw === undefined ? -1 : readUlong(keyTypeRaw);
  const id = attribute(lib, session, handle, CK.CKA_ID) ?? Buffer.alloc(0);
  const label = attribute(lib, session, handle, CK.CKA_LABEL)?.toString('utf8') ?? '';
  const alwaysAuthenticate = attribute(lib, session, handle, CK.CKA_ALWAYS_AUTHENTICATE)?.[0] === 1;
  if (keyType !== CK.CKK_EC && keyType !== CK.CKK_EC_EDWARDS) {
    throw new InputError(
      `the key ${q(uriText)} on token ${ts.name} is not an EC key (CKA_KEY_TYPE 0x${keyType.toString(16)}): only ECDSA P-256 and Ed25519 are supported`,
      { field: 'id', hint: 'generate a P-256 key on the token (tuf-ceremony key generate --type ecdsa-p256)' }
    );
  }
  // The public key object with the same CKA_ID (or label when the key has no ID).
  const pubTemplate: Pkcs11js.Template = [{ type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY }];
  if (id.length > 0) pubTemplate.push({ type: CK.CKA_ID, value: id });
  else pubTemplate.push({ type: CK.CKA_LABEL, value: Buffer.from(label, 'utf8') });
  let pubs: Handle[] = [];
  try {
    pubs = findObjects(lib, session, pubTemplate);
  } catch {
    pubs = [];
  }
  const candidates: { params: Buffer | undefined; point: Buffer | undefined }[] = [
    ...pubs.map((h) => ({ params: attribute(lib, session, h, CK.CKA_EC_PARAMS), point: attribute(lib, session, h, CK.CKA_EC_POINT) })),
    { params: attribute(lib, session, handle, CK.CKA_EC_PARAMS), point: attribute(lib, session, handle, CK.CKA_EC_POINT) },
  ];
  const privParams = attribute(lib, session, handle, CK.CKA_EC_PARAMS);
  const privCurve = curveOf(privParams, keyType);
  let problem = 'no public key object with the same CKA_ID, and the private key does not show its CKA_EC_POINT';
  for (const c of candidates) {
    if (c.point === undefined || c.point.length === 0) continue;
    const curve = curveOf(c.params, keyType) ?? privCurve;
    if (curve === undefined) {
      problem = `unsupported curve (CKA_EC_PARAMS ${c.params?.toString('hex') ?? 'unreadable'}): only P-256 and Ed25519 are supported`;
      continue;
    }
    try {
      const publicKey = tufKeyFromPublicKey(publicKeyFromEcPoint(curve, c.point));
      return { handle, curve, publicKey, label, id, alwaysAuthenticate };
    } catch (e) {
      problem = `its public point does not decode (${firstLine(e)})`;
    }
  }
  throw new EnvironmentError(`cannot read the public key of ${q(uriText)} on token ${ts.name}: ${problem}`, {
    hint: 'the token must expose the public key (a CKO_PUBLIC_KEY object with the key’s CKA_ID)',
  });
}

// ---------------------------------------------------------------------------
// The signer

/**
 * Largest Ed25519 message for this module: the URI's `x-max-message-size`,
 * else 512 for OpenSC, 2048 for YubiHSM, else unlimited.
 */
export function ed25519MessageLimit(uri: Pkcs11Uri, modulePath: string): number {
  if (uri.maxMessageSize !== undefined) return uri.maxMessageSize;
  const name = basename(modulePath);
  return ED25519_LIMITS.find(([module]) => name.includes(module))?.[1] ?? Number.POSITIVE_INFINITY;
}

/** ykcs11's labels: one attestation object per slot key, and the device certificate of slot f9. */
const ATTESTATION_LABEL = 'X.509 Certificate for PIV Attestation';

function pemOf(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/**
 * The attestation chain of a key as ykcs11 exposes it: the certificate
 * labelled "X.509 Certificate for PIV Attestation SLOT" whose public key is
 * this key, then the one labelled "X.509 Certificate for PIV Attestation"
 * (slot f9). Undefined when the token has none (other modules, SoftHSM).
 */
function readAttestation(ts: TokenSession, key: TufKey): string[] | undefined {
  let certs: Handle[];
  try {
    certs = findObjects(ts.lib, ts.session, [{ type: CK.CKA_CLASS, value: CK.CKO_CERTIFICATE }]);
  } catch {
    return undefined;
  }
  let slot: Buffer | undefined;
  let device: Buffer | undefined;
  const keyid = computeKeyId(key);
  for (const h of certs) {
    const label = attribute(ts.lib, ts.session, h, CK.CKA_LABEL)?.toString('utf8') ?? '';
    if (!label.startsWith(ATTESTATION_LABEL)) continue;
    const der = attribute(ts.lib, ts.session, h, CK.CKA_VALUE);
    if (der === undefined) continue;
    if (label === ATTESTATION_LABEL) {
      device = der;
      continue;
    }
    try {
      if (computeKeyId(tufKeyFromPublicKey(new X509Certificate(der).publicKey)) === keyid) slot = der;
    } catch {
      // an attestation of another key type
    }
  }
  return slot === undefined || device === undefined ? undefined : [pemOf(slot), pemOf(device)];
}

function makeSigner(ts: TokenSession, key: TokenKey, uri: Pkcs11Uri): Pkcs11Signer {
  const { lib, session } = ts;
  const keyid = computeKeyId(key.publicKey);
  const limit = ed25519MessageLimit(uri, ts.modulePath);
  const info = ts.token.info;
  const device: DeviceDescription = {
    backend: 'pkcs11',
    model: strip(info.model),
    manufacturer: strip(info.manufacturerID),
    ...(ts.token.serial === '' ? {} : { serial: ts.token.serial }),
    label: ts.token.label,
    module: ts.modulePath,
  };
  const keyUri = formatPkcs11Uri({
    token: ts.token.label,
    ...(ts.token.serial === '' ? {} : { serial: ts.token.serial }),
    ...(key.label === '' ? {} : { object: key.label }),
    ...(key.id.length === 0 ? {} : { id: key.id }),
    modulePath: ts.modulePath,
  });
  const keyName = key.label === '' ? `id ${idHex(key.id)}` : q(key.label);
  let queue: Promise<unknown> = Promise.resolve();

  /** Ends an active signing operation after a failure (a failed C_Sign terminates it). */
  const abortSign = (input: Buffer): void => {
    try {
      lib.C_Sign(session, input, Buffer.alloc(1024));
    } catch {
      // expected: CKR_USER_NOT_LOGGED_IN, which ends the operation
    }
  };

  const contextLogin = async (input: Buffer): Promise<void> => {
    const flags = currentFlags(ts);
    warnAboutPin(ts, flags);
    try {
      if (flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) {
        ts.warn(`token ${ts.name}: key ${keyName} asks for the PIN again: enter it on the reader’s PIN pad`);
        lib.C_Login(session, CK.CKU_CONTEXT_SPECIFIC);
      } else {
        // Asked for every signature and dropped after C_Login (never cached).
        lib.C_Login(
          session,
          CK.CKU_CONTEXT_SPECIFIC,
          await ts.secrets('PIN', `PIN for token ${ts.token.label} (key ${keyName} asks for it at every signature)`)
        );
      }
    } catch (e) {
      abortSign(input);
      if (ckrOf(e) === undefined) throw e; // from the secrets handler (e.g. cancelled), not the token
      throw loginError(e, ts);
    }
  };

  const signOnce = async (data: Uint8Array): Promise<string> => {
    if (ts.closed) throw new SignerError(`the PKCS#11 signer for key ${keyid} on token ${ts.name} is closed`);
    if (key.curve === 'ed25519' && data.length > limit) {
      throw new SignerError(
        `message is ${String(data.length)} bytes; this token signs at most ${String(limit)} bytes with Ed25519; use an ECDSA P-256 key`,
        { hint: `nothing was signed; the limit comes from ${uri.maxMessageSize === undefined ? `the module ${basename(ts.modulePath)}` : 'x-max-message-size in the URI'}` }
      );
    }
    const input = key.curve === 'p256' ? createHash('sha256').update(data).digest() : Buffer.from(data);
    const mechanism = key.curve === 'p256' ? CK.CKM_ECDSA : CK.CKM_EDDSA;
    try {
      lib.C_SignInit(session, { mechanism }, key.handle);
    } catch (e) {
      throw tokenError(e, 'C_SignInit', ts.name);
    }
    if (key.alwaysAuthenticate) await contextLogin(input);
    let out: Buffer;
    try {
      out = await lib.C_SignAsync(session, input, Buffer.alloc(512));
    } catch (e) {
      throw tokenError(e, 'C_Sign', ts.name);
    }
    let sig: string;
    try {
      if (key.curve === 'ed25519') sig = out.toString('hex');
      else sig = (out.length === 64 ? ecdsaRawToDer(out) : ecdsaDerToLowS(out)).toString('hex');
    } catch (e) {
      throw new SignerError(`token ${ts.name} returned a malformed ECDSA signature (${String(out.length)} bytes): ${firstLine(e)}`);
    }
    return checkSignature(key.publicKey, key.publicKey, sig, data);
  };

  const attestation = readAttestation(ts, key.publicKey);
  return {
    publicKey: key.publicKey,
    keyid,
    device,
    ...(attestation === undefined ? {} : { attestation }),
    uri: keyUri,
    alwaysAuthenticate: key.alwaysAuthenticate,
    sign: (data) => {
      const run = queue.then(() => signOnce(data));
      queue = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      await queue;
      closeSession(ts);
    },
  };
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Opens the key a PKCS#11 URI names: loads the module, finds the token by
 * label or serial, logs in (PIN through `secrets`, unless a PIN pad), finds
 * the private key by `id` / `object` and its public key.
 * @throws EnvironmentError (exit 3) missing pkcs11js, module, reader, token
 *   or key, or a locked PIN; InputError (exit 2) wrong PIN or a URI naming
 *   no token/key; CancelledError when the secrets handler is cancelled
 */
export async function openPkcs11Signer(
  uri: Pkcs11Uri,
  modulePath: string,
  secrets: SecretsHandler,
  warn: (msg: string) => void
): Promise<Pkcs11Signer> {
  const ts = await openTokenSession(uri, modulePath, secrets, warn, false);
  try {
    const handle = findPrivateKey(ts, uri);
    return makeSigner(ts, readKey(ts, handle, uri.raw), uri);
  } catch (e) {
    closeSession(ts);
    throw e;
  }
}

/** The public keys of the objects of class `cls` matching the URI, with what they are. */
function publicKeysOf(ts: TokenSession, uri: Pkcs11Uri, cls: number): { key: TufKey; from: string }[] {
  const out: { key: TufKey; from: string }[] = [];
  let handles: Handle[];
  try {
    handles = findObjects(ts.lib, ts.session, keyTemplate(uri, cls));
  } catch (e) {
    throw tokenError(e, 'searching objects', ts.name);
  }
  for (const h of handles) {
    try {
      if (cls === CK.CKO_CERTIFICATE) {
        const der = attribute(ts.lib, ts.session, h, CK.CKA_VALUE);
        if (der === undefined) continue;
        out.push({ key: tufKeyFromPublicKey(new X509Certificate(der).publicKey), from: 'certificate' });
      } else {
        const keyTypeRaw = attribute(ts.lib, ts.session, h, CK.CKA_KEY_TYPE);
        const curve = curveOf(attribute(ts.lib, ts.session, h, CK.CKA_EC_PARAMS), keyTypeRaw === undefined ? -1 : readUlong(keyTypeRaw));
        const point = attribute(ts.lib, ts.session, h, CK.CKA_EC_POINT);
        if (curve === undefined || point === undefined) continue;
        out.push({ key: tufKeyFromPublicKey(publicKeyFromEcPoint(curve, point)), from: 'public key object' });
      }
    } catch {
      // an object of another kind (RSA, another curve): not a key this tool signs with
    }
  }
  return out;
}

/**
 * Reads the public key a PKCS#11 URI names without logging in: from a
 * public key object, else from a certificate with the same `id` / `object`
 * (YubiKey PIV exposes both; SoftHSM2 the public key object). Used by `sign`
 * to check the key against the request before any PIN is asked, and to
 * find a missing token before the review.
 * @throws EnvironmentError (exit 3) missing module, reader, token or key;
 *   InputError (exit 2) a URI naming no key, or naming several keys
 */
export async function readPkcs11PublicKey(uri: Pkcs11Uri, modulePath: string, warn: (msg: string) => void): Promise<TufKey> {
  const noSecrets: SecretsHandler = () => Promise.reject(new Error('no login when reading a public key'));
  const ts = await openTokenSession(uri, modulePath, noSecrets, warn, false, false);
  try {
    if (uri.id === undefined && uri.object === undefined) {
      throw new InputError(`the PKCS#11 URI ${q(uri.raw)} names no key: add id=… or object=LABEL`, { field: 'id', hint: describeKeys(ts) });
    }
    let found = publicKeysOf(ts, uri, CK.CKO_PUBLIC_KEY);
    if (found.length === 0) found = publicKeysOf(ts, uri, CK.CKO_CERTIFICATE);
    const distinct = new Map(found.map((f) => [computeKeyId(f.key), f]));
    const [first, second] = [...distinct.values()];
    if (first === undefined) {
      throw new EnvironmentError(
        `no public key object or certificate matching ${q(uri.raw)} can be read on token ${ts.name} without a PIN; ${describeKeys(ts)}`,
        { hint: 'check id= / object= in the URI, or give --pub NAME.pub.json (the file `key export` wrote)' }
      );
    }
    if (second !== undefined) {
      throw new InputError(`${String(distinct.size)} different public keys match ${q(uri.raw)} on token ${ts.name}`, {
        field: 'id',
        hint: `give both id= and object= to pick one; ${describeKeys(ts)}`,
      });
    }
    return first.key;
  } finally {
    closeSession(ts);
  }
}

/** `key export`: opening the key gives its public key. */
export function exportPkcs11Key(
  uri: Pkcs11Uri,
  modulePath: string,
  secrets: SecretsHandler,
  warn: (msg: string) => void
): Promise<Pkcs11Signer> {
  return openPkcs11Signer(uri, modulePath, secrets, warn);
}

interface Mechanism {
  readonly name: string;
  readonly code: number;
  /** The CK_MECHANISM_INFO flag the token must set for it. */
  readonly flag: number;
}

/** What generating a key of each type and signing with it needs from a token. */
const KEY_MECHANISMS: Readonly<Record<'ecdsa-p256' | 'ed25519', { readonly what: string; readonly generate: Mechanism; readonly sign: Mechanism }>> = {
  ed25519: {
    what: 'Ed25519',
    generate: { name: 'CKM_EC_EDWARDS_KEY_PAIR_GEN', code: CK.CKM_EC_EDWARDS_KEY_PAIR_GEN, flag: CK.CKF_GENERATE_KEY_PAIR },
    sign: { name: 'CKM_EDDSA', code: CK.CKM_EDDSA, flag: CK.CKF_SIGN },
  },
  'ecdsa-p256': {
    what: 'ECDSA P-256',
    generate: { name: 'CKM_EC_KEY_PAIR_GEN', code: CK.CKM_EC_KEY_PAIR_GEN, flag: CK.CKF_GENERATE_KEY_PAIR },
    sign: { name: 'CKM_ECDSA', code: CK.CKM_ECDSA, flag: CK.CKF_SIGN },
  },
};

/**
 * The mechanisms a key of `type` needs that the token does not offer
 * (C_GetMechanismList, then C_GetMechanismInfo for CKF_GENERATE_KEY_PAIR /
 * CKF_SIGN), or undefined when it offers them or cannot say (a module that
 * fails to list is left to C_GenerateKeyPair). Needs no session and no login.
 */
function missingMechanisms(lib: PKCS11, slot: Handle, type: 'ecdsa-p256' | 'ed25519'): string[] | undefined {
  let list: number[];
  try {
    list = lib.C_GetMechanismList(slot);
  } catch {
    return undefined;
  }
  const offers = (m: Mechanism): boolean => {
    if (!list.includes(m.code)) return false;
    try {
      return (lib.C_GetMechanismInfo(slot, m.code).flags & m.flag) !== 0;
    } catch {
      return true; // listed; its details are unreadable: let the token decide
    }
  };
  const { generate, sign } = KEY_MECHANISMS[type];
  const missing = [generate, sign].filter((m) => !offers(m)).map((m) => m.name);
  return missing.length === 0 ? undefined : missing;
}

/** `key generate --pkcs11 --type T` on a token without T's mechanisms (exit 3: see docs/decisions.md). */
function keyTypeUnsupported(lib: PKCS11, token: TokenRef, type: 'ecdsa-p256' | 'ed25519', missing: readonly string[]): EnvironmentError {
  const { what } = KEY_MECHANISMS[type];
  const p256Offered = type === 'ecdsa-p256' ? false : missingMechanisms(lib, token.slot, 'ecdsa-p256') === undefined;
  const hint =
    type === 'ecdsa-p256'
      ? 'this token cannot make signing keys (a certificate store or read-only token?): use a token that generates EC keys (YubiKey PIV, OpenSC smart cards, YubiHSM 2, SoftHSM2)'
      : `--type ecdsa-p256 (ECDSA P-256, TUF scheme ecdsa-sha2-nistp256) is the usual choice on YubiKey PIV and most HSMs` +
        (p256Offered ? ', and this token offers it' : ', but this token does not offer it either: use another token') +
        '; Ed25519 on a token needs e.g. YubiKey firmware 5.7+ or a YubiHSM 2';
  return new EnvironmentError(
    `token ${describeToken(token)} does not offer ${what} key generation: its mechanisms lack ${missing.join(' and ')} (checked before any PIN; nothing was generated)`,
    { hint }
  );
}

const RETRY_PARAMS = new Set<number>([
  CK.CKR_ATTRIBUTE_VALUE_INVALID,
  CK.CKR_DOMAIN_PARAMS_INVALID,
  CK.CKR_CURVE_NOT_SUPPORTED,
  CK.CKR_TEMPLATE_INCONSISTENT,
  CK.CKR_GENERAL_ERROR,
]);

/**
 * Generates a key pair on the token the URI names (never overwriting: a key
 * with the same CKA_ID or label is an error) and opens it. CKA_ID is the
 * URI's `id`, else 16 random bytes; print the returned signer's `uri`.
 * @throws InputError (exit 2) existing id/label; EnvironmentError (exit 3)
 *   as for {@link openPkcs11Signer}, or the token lacks the mechanism
 */
export async function generatePkcs11Key(
  uri: Pkcs11Uri,
  modulePath: string,
  type: 'ecdsa-p256' | 'ed25519',
  label: string,
  secrets: SecretsHandler,
  warn: (m: string) => void
): Promise<Pkcs11Signer> {
  if (label === '') throw new InputError('a key label is needed to generate a key on a token', { field: 'label' });
  if (uri.object !== undefined && uri.object !== label) {
    throw new InputError(`the URI names object=${q(uri.object)} but the new key's label is ${q(label)}`, { field: 'object' });
  }
  // The token's mechanisms are read before a session is opened and a PIN asked.
  const ts = await openTokenSession(uri, modulePath, secrets, warn, true, true, (lib, token) => {
    const missing = missingMechanisms(lib, token.slot, type);
    if (missing !== undefined) throw keyTypeUnsupported(lib, token, type, missing);
  });
  try {
    const { lib, session } = ts;
    const id = uri.id === undefined ? randomBytes(16) : Buffer.from(uri.id);
    const genMech = KEY_MECHANISMS[type].generate.code;
    let clash: Handle[];
    try {
      clash = findObjects(lib, session, [{ type: CK.CKA_ID, value: id }]);
      if (clash.length === 0) {
        for (const cls of [CK.CKO_PRIVATE_KEY, CK.CKO_PUBLIC_KEY]) {
          clash.push(...findObjects(lib, session, [{ type: CK.CKA_CLASS, value: cls }, { type: CK.CKA_LABEL, value: Buffer.from(label, 'utf8') }]));
        }
      }
    } catch (e) {
      throw tokenError(e, 'searching keys', ts.name);
    }
    if (clash.length > 0) {
      throw new InputError(
        `token ${ts.name} already holds an object with id ${idHex(id)} or a key labelled ${q(label)}: keys on a token are never overwritten`,
        { field: 'id', hint: `choose another label or id; ${describeKeys(ts)}` }
      );
    }
    const keyType = type === 'ed25519' ? CK.CKK_EC_EDWARDS : CK.CKK_EC;
    const paramsList = type === 'ed25519' ? [PARAMS.ed25519Oid, PARAMS.ed25519Name] : [PARAMS.p256];
    const labelBytes = Buffer.from(label, 'utf8');
    let pair: Pkcs11js.KeyPair | undefined;
    let lastError: unknown;
    for (const params of paramsList) {
      try {
        pair = lib.C_GenerateKeyPair(
          session,
          { mechanism: genMech },
          [
            { type: CK.CKA_CLASS, value: CK.CKO_PUBLIC_KEY },
            { type: CK.CKA_KEY_TYPE, value: keyType },
            { type: CK.CKA_TOKEN, value: true },
            { type: CK.CKA_PRIVATE, value: false },
            { type: CK.CKA_VERIFY, value: true },
            { type: CK.CKA_EC_PARAMS, value: Buffer.from(params, 'hex') },
            { type: CK.CKA_ID, value: id },
            { type: CK.CKA_LABEL, value: labelBytes },
          ],
          [
            { type: CK.CKA_CLASS, value: CK.CKO_PRIVATE_KEY },
            { type: CK.CKA_KEY_TYPE, value: keyType },
            { type: CK.CKA_TOKEN, value: true },
            { type: CK.CKA_PRIVATE, value: true },
            { type: CK.CKA_SENSITIVE, value: true },
            { type: CK.CKA_EXTRACTABLE, value: false },
            { type: CK.CKA_SIGN, value: true },
            { type: CK.CKA_ID, value: id },
            { type: CK.CKA_LABEL, value: labelBytes },
          ]
        );
        break;
      } catch (e) {
        lastError = e;
        if (!RETRY_PARAMS.has(ckrOf(e) ?? -1)) break;
      }
    }
    if (pair === undefined) {
      // A module whose list offered the mechanism but whose C_GenerateKeyPair refuses it.
      if (ckrOf(lastError) === CK.CKR_MECHANISM_INVALID) throw keyTypeUnsupported(lib, ts.token, type, [KEY_MECHANISMS[type].generate.name]);
      throw tokenError(lastError, `generating a ${type} key`, ts.name);
    }
    return makeSigner(ts, readKey(ts, pair.privateKey, uri.raw), { ...uri, id, object: label });
  } catch (e) {
    closeSession(ts);
    throw e;
  }
}
