// SPDX-License-Identifier: Apache-2.0
/**
 * YubiKey PIV attestation: the evidence that a key was generated on a
 * YubiKey. The chain is the slot's attestation certificate (what
 * `ykman piv keys attest SLOT` and ykcs11's "X.509 Certificate for PIV
 * Attestation SLOT" object give), signed by the device's own attestation
 * key in slot f9, whose certificate Yubico signed at manufacture; it must
 * reach one of Yubico's published roots, bundled in the tool
 * ({@link YUBICO_ROOTS}) and never fetched.
 *
 * What it proves: the private key of the attested public key was generated
 * inside a YubiKey with that serial and firmware, under that PIN and touch
 * policy, and cannot be exported. What it does not prove: who held the
 * YubiKey, that the policy is still the one in force if the key was later
 * moved (it cannot be) or the device reset, or anything about a key
 * imported into a slot (those get no attestation). The certificates'
 * validity dates are not checked: an attestation records a fact at
 * generation time.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { decodeKey, type TufKey } from '../metadata/keys.js';
import { childrenOf, readElement } from './der.js';
import { YUBICO_INTERMEDIATES, YUBICO_ROOTS, type BundledRoot } from './yubico-roots.js';

/** Yubico's extensions (developers.yubico.com/PIV/Introduction/PIV_attestation.html), DER OID content in hex. */
const OID = Object.freeze({
  firmware: '2b0601040182c40a0303', // 1.3.6.1.4.1.41482.3.3: major, minor, patch
  serial: '2b0601040182c40a0307', // 1.3.6.1.4.1.41482.3.7: INTEGER
  policy: '2b0601040182c40a0308', // 1.3.6.1.4.1.41482.3.8: PIN policy, touch policy
});

const PIN_POLICY: Readonly<Record<number, string>> = { 1: 'never', 2: 'once', 3: 'always', 4: 'match-once', 5: 'match-always' };
const TOUCH_POLICY: Readonly<Record<number, string>> = { 1: 'never', 2: 'always', 3: 'cached' };

/** What a valid attestation says about the key. */
export interface AttestationFacts {
  readonly serial: number;
  readonly firmware: string;
  readonly pinPolicy: string;
  readonly touchPolicy: string;
  /** The PIV slot, from the certificate subject (`YubiKey PIV Attestation 9c`). */
  readonly slot: string;
  /** The Yubico root the chain reached. */
  readonly root: string;
}

export type AttestationResult =
  | ({ readonly $case: 'attested' } & AttestationFacts)
  | { readonly $case: 'invalid'; readonly reason: string };

/** The Yubico extensions of an attestation certificate, by OID hex. @throws RangeError */
export function yubicoExtensions(der: Uint8Array): Map<string, Uint8Array> {
  const cert = readElement(der, 0);
  const [tbs] = childrenOf(der, cert);
  if (tbs === undefined) throw new RangeError('no tbsCertificate');
  const out = new Map<string, Uint8Array>();
  const wrapper = childrenOf(der, tbs).find((e) => e.tag === 0xa3);
  if (wrapper === undefined) return out;
  const [list] = childrenOf(der, wrapper);
  if (list === undefined) return out;
  for (const ext of childrenOf(der, list)) {
    const parts = childrenOf(der, ext);
    const oid = parts[0];
    const value = parts.at(-1);
    if (oid?.tag !== 0x06 || value?.tag !== 0x04) continue;
    out.set(Buffer.from(der.subarray(oid.start, oid.end)).toString('hex'), der.subarray(value.start, value.end));
  }
  return out;
}

/** Reads the serial, firmware and policies of a slot attestation certificate. @throws RangeError */
export function attestationFacts(der: Uint8Array): Omit<AttestationFacts, 'root' | 'slot'> {
  const ext = yubicoExtensions(der);
  const fw = ext.get(OID.firmware);
  const serialDer = ext.get(OID.serial);
  const policy = ext.get(OID.policy);
  if (fw?.length !== 3) throw new RangeError('no firmware version extension (1.3.6.1.4.1.41482.3.3)');
  if (serialDer === undefined) throw new RangeError('no serial number extension (1.3.6.1.4.1.41482.3.7)');
  const int = readElement(serialDer, 0);
  if (int.tag !== 0x02 || int.end - int.start > 6) throw new RangeError('the serial number extension is not a small INTEGER');
  const serial = Number(BigInt('0x' + (Buffer.from(serialDer.subarray(int.start, int.end)).toString('hex') || '0')));
  if (policy?.length !== 2) throw new RangeError('no PIN/touch policy extension (1.3.6.1.4.1.41482.3.8)');
  return {
    serial,
    firmware: `${String(fw[0])}.${String(fw[1])}.${String(fw[2])}`,
    pinPolicy: PIN_POLICY[policy[0] as number] ?? `unknown (${String(policy[0])})`,
    touchPolicy: TOUCH_POLICY[policy[1] as number] ?? `unknown (${String(policy[1])})`,
  };
}

function spkiSha256(k: KeyObject): string {
  const norm = k.asymmetricKeyType === 'ec' ? createPublicKey({ key: k.export({ format: 'jwk' }), format: 'jwk' }) : k;
  return createHash('sha256').update(norm.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** The CN of an X509Certificate subject/issuer string (`CN=…` lines), else the whole name. */
function commonName(name: string): string {
  return name.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? name;
}

const q = (s: string): string => JSON.stringify(s);

function parseCertificates(pems: readonly string[]): X509Certificate[] | string {
  const certs: X509Certificate[] = [];
  for (const [i, pem] of pems.entries()) {
    try {
      certs.push(new X509Certificate(pem));
    } catch {
      return `certificate ${String(i + 1)} of the chain does not parse`;
    }
  }
  return certs;
}

/** The firmware at which Yubico moved PIV attestation to the new root. */
function usesNewRoot(firmware: string): boolean {
  const [a = 0, b = 0, c = 0] = firmware.split('.').map(Number);
  return a > 5 || (a === 5 && (b > 7 || (b === 7 && c >= 4)));
}

/**
 * Verifies a YubiKey PIV attestation chain for `key`: the first certificate
 * attests the key, each certificate is signed by the next (or by a bundled
 * intermediate), and the last reaches one of `roots`. Never throws.
 * @param chain PEM certificates: the slot's attestation, the device's f9
 *   certificate, then any intermediates (firmware 5.7.4 and later)
 * A YubiKey gives only the slot and f9 certificates; when the chain ends
 * short of a root, it is completed from `intermediates`, each admitted only
 * if it verifiably signed the certificate before it (a name never suffices).
 * @param roots the trust anchors (default: Yubico's published roots)
 * @param intermediates bundled CAs between f9 and a root (default: Yubico's published ones, {@link YUBICO_INTERMEDIATES})
 */
export function verifyAttestation(
  chain: readonly string[],
  key: TufKey,
  roots: readonly BundledRoot[] = YUBICO_ROOTS,
  intermediates: readonly BundledRoot[] = YUBICO_INTERMEDIATES,
): AttestationResult {
  const invalid = (reason: string): AttestationResult => ({ $case: 'invalid', reason });
  if (chain.length < 2 || chain.length > 6) return invalid(`a chain holds the slot certificate, the device certificate and at most 4 intermediates, not ${String(chain.length)} certificates`);
  const certs = parseCertificates(chain);
  if (typeof certs === 'string') return invalid(certs);
  const anchors = parseCertificates(roots.map((r) => r.pem));
  if (typeof anchors === 'string') return invalid(`bundled root: ${anchors}`);
  const bundled = parseCertificates(intermediates.map((r) => r.pem));
  if (typeof bundled === 'string') return invalid(`bundled intermediate: ${bundled}`);
  const [leaf] = certs;
  if (leaf === undefined) return invalid('empty chain');
  const decoded = decodeKey(key);
  if (decoded.$case !== 'supported') return invalid(decoded.reason);
  if (spkiSha256(leaf.publicKey) !== spkiSha256(decoded.publicKey)) {
    return invalid('the attestation certificate is for another public key than this key file’s');
  }
  let facts: Omit<AttestationFacts, 'root' | 'slot'>;
  try {
    facts = attestationFacts(leaf.raw);
  } catch (e) {
    return invalid(`the attestation certificate lacks Yubico's extensions: ${(e as Error).message}`);
  }
  // Each certificate must be signed by the next one; the last by a bundled root,
  // possibly through bundled intermediates (each used at most once).
  const path = [...certs];
  const unused = new Set(bundled);
  for (let i = 0; i < path.length; i++) {
    const cert = path[i] as X509Certificate;
    const root = anchors.findIndex((a) => cert.checkIssued(a) && cert.verify(a.publicKey));
    if (root >= 0) {
      if (i === 0) return invalid('the slot certificate is signed directly by a root: no device certificate in between');
      const name = (roots[root] as BundledRoot).name;
      const expected = usesNewRoot(facts.firmware) ? 'Yubico Attestation Root 1' : 'Yubico PIV Root CA Serial 263751';
      if (roots === YUBICO_ROOTS && name !== expected) return invalid(`firmware ${facts.firmware} attests under ${expected}, but the chain reaches ${name}`);
      const slot = /PIV Attestation ([0-9a-f]{2})$/i.exec(commonName(leaf.subject))?.[1] ?? '?';
      return { $case: 'attested', ...facts, slot: slot.toLowerCase(), root: name };
    }
    const next = path[i + 1];
    if (next === undefined) {
      const issuer = [...unused].find((c) => cert.checkIssued(c) && cert.verify(c.publicKey));
      if (issuer === undefined) {
        return invalid(
          `the chain does not reach a Yubico root: it stops at ${q(commonName(cert.subject))}, issued by ${q(commonName(cert.issuer))}, ` +
            `which is neither in the chain nor bundled (bundled roots: ${roots.map((r) => r.name).join(', ')})`
        );
      }
      unused.delete(issuer);
      path.push(issuer);
      continue;
    }
    if (!cert.checkIssued(next) || !cert.verify(next.publicKey)) {
      return invalid(`certificate ${String(i + 1)} of the chain is not signed by certificate ${String(i + 2)}`);
    }
  }
  return invalid('the chain does not reach a Yubico root');
}

/** One line for reviews: "generated on a YubiKey, serial S, firmware F, PIN/touch policy P/T". */
export function attestationText(r: AttestationResult | null): string {
  if (r === null) return 'not attested';
  if (r.$case === 'invalid') return `attestation INVALID: ${r.reason}`;
  return `generated on a YubiKey, serial ${String(r.serial)}, firmware ${r.firmware}, slot ${r.slot}, PIN/touch policy ${r.pinPolicy}/${r.touchPolicy} (chain to ${r.root})`;
}

/** The attestation of a public key file: null when it carries none. Never throws. */
export function attestationOf(pub: { readonly key: TufKey; readonly attestation?: { readonly certificates: readonly string[] } }): AttestationResult | null {
  return pub.attestation === undefined ? null : verifyAttestation(pub.attestation.certificates, pub.key);
}
