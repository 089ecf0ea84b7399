// SPDX-License-Identifier: Apache-2.0
/**
 * The HID enumerator over node-hid, an optional native dependency loaded
 * only when `tokens` runs, so that everything else works where it is
 * missing. node-hid loads its binding lazily: importing it succeeds even
 * when libusb-1.0.so.0 or libudev.so.1 is missing, so the binding is
 * loaded here, once, and any failure becomes an EnvironmentError (exit 3).
 */
import { EnvironmentError } from '../errors.js';
import type { HidDevice, HidEnumerator } from './tokens.js';

/**
 * Not a string literal, so that the build does not need node-hid's types:
 * an optional dependency that failed to install must not break `tsc`.
 */
const NODE_HID: string = 'node-hid';

const HINT_INSTALL_MODULE =
  'node-hid is an optional dependency: install it next to tuf-ceremony (`npm install node-hid@3.4.0`); ' +
  'its prebuilt binary then needs `apt-get install libusb-1.0-0 libudev1` on Debian/Ubuntu';
const HINT_INSTALL_LIBS =
  'node-hid needs libusb-1.0.so.0 and libudev.so.1: on Debian/Ubuntu run `apt-get install libusb-1.0-0 libudev1`';

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function hintFor(err: unknown): string {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  const missingModule =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /cannot find (package|module) 'node-hid'/i.test(reason(err));
  return missingModule ? HINT_INSTALL_MODULE : HINT_INSTALL_LIBS;
}

type Fn = (...args: never[]) => unknown;

function isObject(x: unknown): x is Record<string, unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null;
}

/** A function exported by the module, by name or on its CommonJS `default`. */
function exported(mod: Record<string, unknown>, name: string): Fn | undefined {
  const own = mod[name];
  if (typeof own === 'function') return own as Fn;
  const dflt = mod['default'];
  const viaDefault = isObject(dflt) ? dflt[name] : undefined;
  return typeof viaDefault === 'function' ? (viaDefault as Fn) : undefined;
}

function isUsbId(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
}

/**
 * One node-hid device record as a {@link HidDevice}: absent and malformed
 * fields are left out (exactOptionalPropertyTypes), and a record without
 * valid vendor and product IDs is dropped.
 */
export function toHidDevice(raw: unknown): HidDevice | null {
  if (!isObject(raw) || !isUsbId(raw['vendorId']) || !isUsbId(raw['productId'])) return null;
  const d: HidDevice = { vendorId: raw['vendorId'], productId: raw['productId'] };
  for (const k of ['product', 'manufacturer', 'serialNumber', 'path'] as const) {
    const v = raw[k];
    if (typeof v === 'string') d[k] = v;
  }
  for (const k of ['usagePage', 'usage', 'interface'] as const) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isSafeInteger(v)) d[k] = v;
  }
  return d;
}

/**
 * Loads node-hid and returns an enumerator over `devicesAsync()` (node-hid
 * ≥ 3), else `devices()`.
 * @param importer loads the module; tests pass a failing or fake one
 * @throws EnvironmentError (exit 3) when node-hid or its native libraries
 *   cannot be loaded, with the underlying reason in the message and what to
 *   install in the hint; later, when listing fails
 */
export async function loadNodeHidEnumerator(importer: () => Promise<unknown> = () => import(NODE_HID)): Promise<HidEnumerator> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (err) {
    throw new EnvironmentError(`cannot load node-hid: ${reason(err)}`, { cause: err, hint: hintFor(err) });
  }
  if (!isObject(mod)) throw new EnvironmentError('cannot load node-hid: the module has no exports', { hint: HINT_INSTALL_MODULE });
  const listRaw = exported(mod, 'devicesAsync') ?? exported(mod, 'devices');
  if (listRaw === undefined) {
    throw new EnvironmentError('cannot load node-hid: it exports neither devicesAsync() nor devices()', { hint: HINT_INSTALL_MODULE });
  }
  // Load the native binding now, so that a missing shared library is
  // reported as such before anything is listed.
  const version = exported(mod, 'getHidapiVersion');
  if (version !== undefined) {
    try {
      version();
    } catch (err) {
      throw new EnvironmentError(`cannot load node-hid's native binding: ${reason(err)}`, { cause: err, hint: hintFor(err) });
    }
  }
  return {
    async list(): Promise<readonly HidDevice[]> {
      let raw: unknown;
      try {
        raw = await listRaw();
      } catch (err) {
        throw new EnvironmentError(`cannot list HID devices: ${reason(err)}`, { cause: err, hint: hintFor(err) });
      }
      if (!Array.isArray(raw)) throw new EnvironmentError('cannot list HID devices: node-hid did not return a list');
      return raw.map(toHidDevice).filter((d): d is HidDevice => d !== null);
    },
  };
}
