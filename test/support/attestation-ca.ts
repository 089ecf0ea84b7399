// SPDX-License-Identifier: Apache-2.0
/**
 * A test attestation CA made with the openssl command: a root, a "device"
 * certificate (as in slot f9) and a slot attestation certificate for a
 * given public key, carrying Yubico's extensions (firmware, serial,
 * PIN/touch policy) exactly as YubiKeys encode them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestAttestation {
  readonly rootPem: string;
  /** Slot certificate, then the device certificate. */
  readonly chain: readonly [string, string];
  /** With `spec.intermediate`: the CA between root and device (as Yubico's 5.7.4+ chain has), left out of `chain`. */
  readonly intermediatePem?: string;
  /** With `spec.intermediate`: an impostor with the intermediate's name, issued by the same root, but another key. */
  readonly impostorIntermediatePem?: string;
  /**
   * With `spec.branch`: Yubico's 5.7.4+ shape root → "Test Attestation
   * Intermediate B 1" → "Test PIV Attestation B2 1" → device, top first, left
   * out of `chain`; and `sibling`, a "Test PIV Attestation B 1" issued by the
   * same upper intermediate (as Yubico's PIV B 1 is beside PIV B2 1), which
   * did not issue the device certificate.
   */
  readonly branch?: { readonly upper: string; readonly issuer: string; readonly sibling: string };
}

export interface AttestationSpec {
  /** PEM SubjectPublicKeyInfo of the attested key. */
  readonly publicKeyPem: string;
  readonly serial: number;
  /** e.g. [5, 4, 3] */
  readonly firmware: readonly [number, number, number];
  /** PIN policy byte (1 never, 2 once, 3 always), touch policy byte (1 never, 2 always, 3 cached). */
  readonly policy: readonly [number, number];
  readonly slot?: string;
  /** Put an intermediate CA between root and device: root → intermediate → device (f9) → slot. */
  readonly intermediate?: boolean;
  /** Two CAs between root and device, with a sibling issuer: see {@link TestAttestation.branch}. */
  readonly branch?: boolean;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

function derInteger(n: number): string {
  let h = n.toString(16);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = '00' + h;
  return '02' + hex2(h.length / 2) + h;
}

/** Makes a root, a device certificate and a slot certificate; everything in a temporary directory, removed after. */
export function makeTestAttestation(spec: AttestationSpec): TestAttestation {
  const dir = mkdtempSync(join(tmpdir(), 'tuf-ceremony-attest-ca-'));
  try {
    const f = (n: string): string => join(dir, n);
    const ssl = (...args: string[]): void => {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    };
    writeFileSync(f('attested.pem'), spec.publicKeyPem);
    ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('root.key'));
    ssl('req', '-new', '-x509', '-key', f('root.key'), '-subj', '/CN=Test Attestation Root', '-days', '36500', '-out', f('root.pem'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
    writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\n');
    const issue = (name: string, cn: string, ca: string, serial: string): void => {
      ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f(`${name}.key`));
      ssl('req', '-new', '-key', f(`${name}.key`), '-subj', `/CN=${cn}`, '-out', f(`${name}.csr`));
      ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${ca}.pem`), '-CAkey', f(`${ca}.key`), '-set_serial', serial, '-days', '36500', '-extfile', f('ca.ext'), '-out', f(`${name}.pem`));
    };
    if (spec.intermediate === true) {
      issue('intermediate', 'Test PIV Attestation B 1', 'root', '4');
      issue('impostor', 'Test PIV Attestation B 1', 'root', '5');
    }
    if (spec.branch === true) {
      issue('upper', 'Test Attestation Intermediate B 1', 'root', '6');
      issue('pivB2', 'Test PIV Attestation B2 1', 'upper', '7');
      issue('pivB', 'Test PIV Attestation B 1', 'upper', '8');
    }
    issue('device', 'Yubico PIV Attestation', spec.branch === true ? 'pivB2' : spec.intermediate === true ? 'intermediate' : 'root', '2');
    const ext = [
      `1.3.6.1.4.1.41482.3.3=DER:${spec.firmware.map(hex2).join('')}`,
      `1.3.6.1.4.1.41482.3.7=DER:${derInteger(spec.serial)}`,
      `1.3.6.1.4.1.41482.3.8=DER:${spec.policy.map(hex2).join('')}`,
      '',
    ].join('\n');
    writeFileSync(f('slot.ext'), ext);
    ssl('x509', '-new', '-subj', `/CN=YubiKey PIV Attestation ${spec.slot ?? '9c'}`, '-force_pubkey', f('attested.pem'), '-CA', f('device.pem'), '-CAkey', f('device.key'), '-set_serial', '3', '-days', '36500', '-extfile', f('slot.ext'), '-out', f('slot.pem'));
    return {
      rootPem: readFileSync(f('root.pem'), 'utf8'),
      chain: [readFileSync(f('slot.pem'), 'utf8'), readFileSync(f('device.pem'), 'utf8')],
      ...(spec.branch === true
        ? { branch: { upper: readFileSync(f('upper.pem'), 'utf8'), issuer: readFileSync(f('pivB2.pem'), 'utf8'), sibling: readFileSync(f('pivB.pem'), 'utf8') } }
        : {}),
      ...(spec.intermediate === true ? { intermediatePem: readFileSync(f('intermediate.pem'), 'utf8'), impostorIntermediatePem: readFileSync(f('impostor.pem'), 'utf8') } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
