// SPDX-License-Identifier: Apache-2.0
/**
 * The one signing interface every backend implements. Backends never touch
 * the terminal: secrets reach them only through a {@link SecretsHandler}.
 */
import { SignerError } from '../errors.js';
import { computeKeyId, verifySignature, type TufKey } from '../metadata/keys.js';
import { decodeKeyCached } from '../metadata/verify.js';

/** What is being asked for. */
export type SecretKind = 'passphrase' | 'PIN';

/**
 * Supplies a secret: from a prompt, a file, or the environment. `what` names
 * the key or token it is for, e.g. `passphrase for alice.key`.
 */
export interface SecretsHandler {
  (kind: SecretKind, what: string): Promise<string>;
  /**
   * True when a secret of this kind is asked of a person, who may type it
   * again after a wrong one (a file or the environment would only give the
   * same one again). Absent: no retry.
   */
  readonly asksPerson?: (kind: SecretKind) => boolean;
}

/** The signing device, as recorded in the audit log. Never holds secrets. */
export interface DeviceDescription {
  readonly backend: 'file' | 'pkcs11';
  /** Key file path, for `file`. */
  readonly path?: string;
  /** Token model, manufacturer, serial and label, for `pkcs11`. */
  readonly model?: string;
  readonly manufacturer?: string;
  readonly serial?: string;
  readonly label?: string;
  /** PKCS#11 module path. */
  readonly module?: string;
}

/**
 * A Signer signs bytes with one key. The signature returned is in TUF form
 * (lowercase hex; DER for ECDSA) and has been verified against the signer's
 * public key before it is returned.
 */
export interface Signer {
  readonly publicKey: TufKey;
  readonly keyid: string;
  readonly device: DeviceDescription;
  /** Signs `data` (the canonical bytes); resolves to the hex signature. */
  sign(data: Uint8Array): Promise<string>;
  /** Releases the device (logs out of the token). Idempotent. */
  close(): Promise<void>;
}

/**
 * Checks a signature against the expected public key before anyone sees it:
 * a token or key file holding another key than the one registered is caught
 * here, naming both key IDs (the tuf-on-ci habit of verifying right after
 * signing).
 * @throws SignerError when the signature does not verify
 */
export function checkSignature(expected: TufKey, actual: TufKey, sig: string, data: Uint8Array): string {
  // Decoded once per key and process: a signature costs one verification, not a key parse too.
  if (!verifySignature(decodeKeyCached(expected), sig, data)) {
    const want = computeKeyId(expected);
    const got = computeKeyId(actual);
    throw new SignerError(
      want === got
        ? `the signature made by key ${want} does not verify against that key: the device is faulty or returned a bad signature`
        : `the signing device holds key ${got}, not the expected key ${want}: nothing was signed with the expected key`,
      { hint: 'check that the right key file or token is in use' }
    );
  }
  return sig;
}

/**
 * Wraps a signer so that it must hold `expected` (compared at once, before
 * any signing) and every signature is verified against `expected`.
 * @throws SignerError naming both key IDs when the keys differ
 */
export function expectKey(signer: Signer, expected: TufKey): Signer {
  const want = computeKeyId(expected);
  if (signer.keyid !== want) {
    throw new SignerError(`the signing device holds key ${signer.keyid}, not the expected key ${want}`, {
      hint: 'check that the right key file or token is in use',
    });
  }
  return {
    publicKey: signer.publicKey,
    keyid: signer.keyid,
    device: signer.device,
    close: () => signer.close(),
    sign: async (data) => checkSignature(expected, signer.publicKey, await signer.sign(data), data),
  };
}
