// SPDX-License-Identifier: Apache-2.0
/** Making public key files: the proof of possession is signed by the key itself. */
import { formatExpires } from '../metadata/expires.js';
import { ATTESTATION_FORMAT, PUBLIC_KEY_FORMAT, proofPayload, type PublicKeyFile } from '../metadata/public-key-file.js';
import type { Signer } from './signer.js';

/** Builds `NAME.pub.json` content, signing the proof with `signer`. */
export async function makePublicKeyFile(name: string, signer: Signer, createdMs: number): Promise<PublicKeyFile> {
  const created = formatExpires(createdMs);
  const sig = await signer.sign(proofPayload(name, signer.publicKey, created));
  const device: Record<string, string> = {};
  for (const [k, v] of Object.entries(signer.device)) if (typeof v === 'string' && k !== 'path') device[k] = v;
  const chain = 'attestation' in signer && Array.isArray(signer.attestation) ? (signer.attestation as string[]) : undefined;
  return {
    ...(chain === undefined ? {} : { attestation: { format: ATTESTATION_FORMAT, certificates: chain } }),
    format: PUBLIC_KEY_FORMAT,
    name,
    keyid: signer.keyid,
    key: signer.publicKey,
    created,
    device,
    proof_of_possession: { sig },
  };
}
