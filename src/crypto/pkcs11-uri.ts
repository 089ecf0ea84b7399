// SPDX-License-Identifier: Apache-2.0
/**
 * PKCS#11 URIs (RFC 7512): `pkcs11:PATH?QUERY`, where PATH is attributes
 * separated by `;` and QUERY attributes separated by `&`, values
 * percent-encoded. Examples:
 *
 *     pkcs11:token=ceremony;object=root-key?module-path=/usr/lib/softhsm/libsofthsm2.so
 *     pkcs11:token=YubiKey%20PIV%20%2312345678;id=%02?module-path=/usr/lib/x86_64-linux-gnu/libykcs11.so
 *
 * Used path attributes: `token` (label), `serial`, `id` (CKA_ID, raw bytes),
 * `object` (CKA_LABEL). Other RFC 7512 path attributes (manufacturer, model,
 * type, slot-id, library-…) are accepted and ignored: a token is selected
 * only by label or serial, never by slot. Used query attributes:
 * `module-path`, `pin-source` (handed to the caller's secrets handler) and
 * the vendor attribute `x-max-message-size` (Ed25519 message limit).
 * `pin-value` is refused: secrets never go on the command line.
 */
import { InputError } from '../errors.js';

export interface Pkcs11Uri {
  /** Token label (CK_TOKEN_INFO.label), compared with trailing NUL and spaces stripped. */
  readonly token?: string;
  /** Token serial number (CK_TOKEN_INFO.serialNumber). */
  readonly serial?: string;
  /** CKA_ID of the key, raw bytes (`id=%02` is the single byte 0x02). */
  readonly id?: Uint8Array;
  /** CKA_LABEL of the key. */
  readonly object?: string;
  /** `module-path` query attribute: the PKCS#11 module to load. */
  readonly modulePath?: string;
  /** `pin-source` query attribute (e.g. `file:/run/pin`), for the caller's secrets handler. */
  readonly pinSource?: string;
  /** `x-max-message-size` query attribute: largest message the token signs with Ed25519. */
  readonly maxMessageSize?: number;
  /** The URI as given. */
  readonly raw: string;
}

/** Environment variable naming the PKCS#11 module when the URI has no `module-path`. */
export const MODULE_ENV = 'TUF_CEREMONY_PKCS11_MODULE';

const KNOWN_PATH = new Set([
  'token',
  'serial',
  'id',
  'object',
  'manufacturer',
  'model',
  'type',
  'slot-id',
  'slot-description',
  'slot-manufacturer',
  'library-manufacturer',
  'library-description',
  'library-version',
]);

const SECRET_HINT =
  'remove pin-value; give the PIN at the prompt, in a file named by pin-source=file:/path, or in the TUF_CEREMONY_PIN environment variable';

function malformed(uri: string, attr: string, problem: string): InputError {
  return new InputError(`PKCS#11 URI ${JSON.stringify(redact(uri))}: attribute "${attr}": ${problem}`, {
    field: attr,
    hint: 'see docs/hardware-tokens.md for the URI syntax, e.g. pkcs11:token=NAME;id=%02?module-path=/path/to/module.so',
  });
}

/** The URI with any `pin-value` removed, so that messages never echo a PIN. */
export function redact(uri: string): string {
  return uri.replace(/(pin-value=)[^;&?#]*/gi, '$1<removed>');
}

/** Percent-decodes to raw bytes; other characters are taken as UTF-8. */
function decodeBytes(uri: string, attr: string, value: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < value.length; ) {
    const c = value[i] as string;
    if (c === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw malformed(uri, attr, `bad percent escape "${value.slice(i, i + 3)}"`);
      out.push(parseInt(hex, 16));
      i += 3;
    } else {
      const cp = value.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      out.push(...Buffer.from(ch, 'utf8'));
      i += ch.length;
    }
  }
  return Buffer.from(out);
}

function decodeText(uri: string, attr: string, value: string): string {
  const bytes = decodeBytes(uri, attr, value);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed(uri, attr, 'the value is not valid UTF-8 after percent-decoding');
  }
}

/**
 * Parses a PKCS#11 URI.
 * @throws InputError (exit 2) naming the attribute when the URI is
 *   malformed, and for `pin-value` (secrets never go on the command line)
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!/^pkcs11:/i.test(uri)) {
    throw new InputError(`not a PKCS#11 URI: ${JSON.stringify(redact(uri))} (it must start with "pkcs11:")`, {
      hint: 'e.g. pkcs11:token=NAME;id=%02?module-path=/path/to/module.so',
    });
  }
  if (/pin-value=/i.test(uri)) {
    throw new InputError('the PKCS#11 URI contains "pin-value": secrets never go on the command line', {
      field: 'pin-value',
      hint: SECRET_HINT,
    });
  }
  const body = uri.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const pathPart = q < 0 ? body : body.slice(0, q);
  const queryPart = q < 0 ? '' : body.slice(q + 1);

  const seen = new Set<string>();
  const attrs = (part: string, sep: string): [string, string][] =>
    part === ''
      ? []
      : part.split(sep).map((item) => {
          const eq = item.indexOf('=');
          if (eq <= 0) throw malformed(uri, item === '' ? '(empty)' : item, 'expected NAME=VALUE');
          const name = item.slice(0, eq).toLowerCase();
          if (!/^[a-z0-9-]+$/.test(name)) throw malformed(uri, name, 'not a valid attribute name');
          if (item.includes('#', eq)) throw malformed(uri, name, 'a raw "#" is not allowed in a value: write it as %23');
          if (seen.has(name)) throw malformed(uri, name, 'given more than once');
          seen.add(name);
          return [name, item.slice(eq + 1)];
        });

  let token: string | undefined;
  let serial: string | undefined;
  let id: Uint8Array | undefined;
  let object: string | undefined;
  let modulePath: string | undefined;
  let pinSource: string | undefined;
  let maxMessageSize: number | undefined;

  const nonEmpty = (name: string, v: string): string => {
    if (v === '') throw malformed(uri, name, 'empty value');
    return v;
  };

  for (const [name, value] of attrs(pathPart, ';')) {
    switch (name) {
      case 'token':
        token = nonEmpty(name, decodeText(uri, name, value));
        break;
      case 'serial':
        serial = nonEmpty(name, decodeText(uri, name, value));
        break;
      case 'object':
        object = nonEmpty(name, decodeText(uri, name, value));
        break;
      case 'id':
        id = decodeBytes(uri, name, nonEmpty(name, value));
        break;
      default:
        if (!KNOWN_PATH.has(name) && !name.startsWith('x-')) {
          throw malformed(uri, name, 'unknown path attribute (known: token, serial, id, object, manufacturer, model, type, slot-id)');
        }
        decodeBytes(uri, name, value); // still must be well-formed
    }
  }
  for (const [name, value] of attrs(queryPart, '&')) {
    switch (name) {
      case 'module-path':
        modulePath = nonEmpty(name, decodeText(uri, name, value));
        break;
      case 'pin-source':
        pinSource = nonEmpty(name, decodeText(uri, name, value));
        break;
      case 'x-max-message-size': {
        const v = decodeText(uri, name, value);
        if (!/^[0-9]{1,9}$/.test(v) || Number(v) < 1) throw malformed(uri, name, 'expected a positive number of bytes');
        maxMessageSize = Number(v);
        break;
      }
      default:
        // module-name and vendor (x-…) attributes are accepted and ignored.
        decodeBytes(uri, name, value);
    }
  }
  return {
    raw: uri,
    ...(token === undefined ? {} : { token }),
    ...(serial === undefined ? {} : { serial }),
    ...(id === undefined ? {} : { id }),
    ...(object === undefined ? {} : { object }),
    ...(modulePath === undefined ? {} : { modulePath }),
    ...(pinSource === undefined ? {} : { pinSource }),
    ...(maxMessageSize === undefined ? {} : { maxMessageSize }),
  };
}

/**
 * The PKCS#11 module to load: the URI's `module-path`, else the
 * TUF_CEREMONY_PKCS11_MODULE environment variable.
 * @throws InputError (exit 2) when neither is set
 */
export function resolveModulePath(uri: Pkcs11Uri, env: Record<string, string | undefined>): string {
  if (uri.modulePath !== undefined) return uri.modulePath;
  const fromEnv = env[MODULE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  throw new InputError(`no PKCS#11 module given for ${JSON.stringify(redact(uri.raw))}`, {
    field: 'module-path',
    hint:
      `add ?module-path=/path/to/module.so to the URI, or set ${MODULE_ENV} ` +
      '(YubiKey PIV: /usr/lib/x86_64-linux-gnu/libykcs11.so; OpenSC: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so; ' +
      'SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)',
  });
}

/** What {@link formatPkcs11Uri} puts in a URI. */
export interface Pkcs11UriParts {
  readonly token?: string;
  readonly serial?: string;
  readonly object?: string;
  readonly id?: Uint8Array;
  readonly modulePath?: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function encodeText(s: string, keep: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (UNRESERVED.test(ch) || keep.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * Builds a URI for a token and key, e.g.
 * `pkcs11:token=YubiKey%20PIV%20%2312345678;id=%02?module-path=/usr/lib/…/libykcs11.so`.
 * Labels are percent-encoded except unreserved characters; the id is always
 * fully percent-encoded. {@link parsePkcs11Uri} reads it back unchanged.
 */
export function formatPkcs11Uri(parts: Pkcs11UriParts): string {
  const path: string[] = [];
  if (parts.token !== undefined) path.push(`token=${encodeText(parts.token, /[:@!$'()*+,]/)}`);
  if (parts.serial !== undefined) path.push(`serial=${encodeText(parts.serial, /[:@!$'()*+,]/)}`);
  if (parts.object !== undefined) path.push(`object=${encodeText(parts.object, /[:@!$'()*+,]/)}`);
  if (parts.id !== undefined) path.push(`id=${Array.from(parts.id, (b) => '%' + b.toString(16).padStart(2, '0')).join('')}`);
  const query = parts.modulePath === undefined ? '' : `?module-path=${encodeText(parts.modulePath, /[:/[\]|+$!]/)}`;
  return `pkcs11:${path.join(';')}${query}`;
}
