// SPDX-License-Identifier: Apache-2.0
/**
 * Key IDs read from metadata are opaque labels (TAP 12; python-tuf, go-tuf
 * v2 and tuf-js never recompute them). Real, trusted repositories carry key
 * IDs hashed over an older form of the key: the keytype renamed
 * (`ecdsa-sha2-nistp256` → `ecdsa`, spec 1.0.32), `keyid_hash_algorithms`
 * dropped or added, `x-` fields added by tuf-on-ci, a PEM without its final
 * newline (TAF), go-tuf v0's legacy ID over `{keytype, keyval}`. This module
 * says which form a key ID was hashed over, or that none matched, so the
 * reader can warn instead of refusing. Pure.
 */
import { computeKeyId } from './keys.js';
import type { JsonObject, JsonValue } from './json.js';

/** What {@link explainKeyId} found for a key ID that is not the hash of its key as written. */
export interface KeyIdExplanation {
  /** The SHA-256 of the key as written. */
  readonly computed: string;
  /** The form the key ID was hashed over, when one of the forms tried matched. */
  readonly matched: string | undefined;
  /** Every change tried, in words. */
  readonly tried: readonly string[];
}

/** The other keytype names one key has had: `ecdsa` ↔ `ecdsa-sha2-nistpNNN` (named by the scheme). */
function otherKeytypes(keytype: JsonValue | undefined, scheme: JsonValue | undefined): string[] {
  if (keytype === 'ecdsa-sha2-nistp256' || keytype === 'ecdsa-sha2-nistp384') return ['ecdsa'];
  if (keytype === 'ecdsa' && (scheme === 'ecdsa-sha2-nistp256' || scheme === 'ecdsa-sha2-nistp384')) return [scheme];
  return [];
}

interface Variant {
  readonly words: string[];
  readonly key: JsonObject;
}

/** Each variant of `variants` with `change` applied (when it applies), plus the variants unchanged. */
function expand(variants: readonly Variant[], change: (v: Variant) => Variant[]): Variant[] {
  return [...variants, ...variants.flatMap(change)];
}

/**
 * Explains a key ID that is not the SHA-256 of its key as written: tries the
 * older forms real repositories hashed (every combination of them) and says
 * which one matches, if any. Returns undefined when the key ID is the hash
 * of the key as written.
 */
export function explainKeyId(key: JsonObject, keyid: string): KeyIdExplanation | undefined {
  const computed = computeKeyId(key);
  if (computed === keyid) return undefined;
  const tried: string[] = [];
  let variants: Variant[] = [{ words: [], key }];

  const renames = otherKeytypes(key['keytype'], key['scheme']);
  if (renames.length > 0) {
    tried.push(`keytype ${renames.map((k) => `"${k}"`).join(' or ')} instead of ${JSON.stringify(key['keytype'])}`);
    variants = expand(variants, (v) => renames.map((k) => ({ words: [...v.words, `keytype "${k}"`], key: { ...v.key, keytype: k } })));
  }
  if (Object.hasOwn(key, 'keyid_hash_algorithms')) {
    tried.push('without keyid_hash_algorithms');
    variants = expand(variants, (v) => {
      const rest = Object.fromEntries(Object.entries(v.key).filter(([f]) => f !== 'keyid_hash_algorithms'));
      return [{ words: [...v.words, 'without keyid_hash_algorithms'], key: rest }];
    });
  } else {
    tried.push('with keyid_hash_algorithms ["sha256","sha512"]');
    variants = expand(variants, (v) => [
      { words: [...v.words, 'with keyid_hash_algorithms ["sha256","sha512"]'], key: { ...v.key, keyid_hash_algorithms: ['sha256', 'sha512'] } },
    ]);
  }
  const xFields = Object.keys(key).filter((f) => f.startsWith('x-'));
  if (xFields.length > 0) {
    tried.push(`without ${xFields.join(', ')}`);
    variants = expand(variants, (v) => [
      { words: [...v.words, `without ${xFields.join(', ')}`], key: Object.fromEntries(Object.entries(v.key).filter(([f]) => !f.startsWith('x-'))) },
    ]);
  }
  const keyval = key['keyval'];
  const pub = typeof keyval === 'object' && keyval !== null && !Array.isArray(keyval) ? (keyval as JsonObject)['public'] : undefined;
  if (typeof pub === 'string' && pub.startsWith('-----BEGIN')) {
    const toggled = pub.endsWith('\n') ? pub.replace(/\n+$/, '') : `${pub}\n`;
    const words = pub.endsWith('\n') ? 'PEM without its final newline' : 'PEM with a final newline';
    tried.push(words);
    variants = expand(variants, (v) => [
      { words: [...v.words, words], key: { ...v.key, keyval: { ...(v.key['keyval'] as JsonObject), public: toggled } } },
    ]);
  }
  // go-tuf v0 listed a legacy ID over {keytype, keyval} beside the new one.
  tried.push('go-tuf v0 legacy form {keytype, keyval}');
  const legacy = variants.map((v) => ({
    words: [...v.words, 'go-tuf v0 legacy form {keytype, keyval}'],
    key: { keytype: v.key['keytype'] ?? null, keyval: v.key['keyval'] ?? null },
  }));
  for (const v of [...variants.slice(1), ...legacy]) {
    if (computeKeyId(v.key) === keyid) return { computed, matched: v.words.join(', '), tried };
  }
  return { computed, matched: undefined, tried };
}

/** One sentence for a warning: the key, what it hashes to, the forms tried and what matched. */
export function describeKeyIdMismatch(keyid: string, e: KeyIdExplanation): string {
  const head = `key ID ${keyid} is not the SHA-256 of its key as written (${e.computed.slice(0, 16)}…)`;
  if (e.matched !== undefined) {
    return `${head}: it is the hash of an older form of the key (${e.matched}); read as an opaque label, as clients do (TAP 12)`;
  }
  return `${head} nor of any older form tried (${e.tried.join('; ')}); read as an opaque label, as clients do (TAP 12)`;
}
