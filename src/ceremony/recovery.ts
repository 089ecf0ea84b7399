// SPDX-License-Identifier: Apache-2.0
/**
 * Key-compromise recovery (product.md §5): given the keys declared
 * compromised, work out whether the keyholders not compromised can still
 * meet the trusted root's root threshold, draft the next root without the
 * compromised keys (with new online keys where a snapshot or timestamp key
 * is compromised), and say exactly who must sign.
 *
 * A compromised key's signature still verifies, and a client would count
 * it; so a recovery draft records which keys are revoked, and `collect`
 * and `status` treat their signatures as not usable (docs/recovery.md).
 *
 * Pure: objects in, objects out; times are passed in.
 */
import { own, ONLINE_ROLES, TOP_LEVEL_ROLES, type Root, type TopLevelRole } from '../metadata/model.js';
import type { TufKey } from '../metadata/keys.js';
import { fingerprintOf, keyIdsListing, samePublicKey } from '../metadata/key-listing.js';
import { addKey, newRootDraft, removeKey, valueError } from './root-draft.js';

export const INCIDENT_FORMAT = 'tuf-ceremony/incident/v1';

/** A key declared compromised, as resolved from WHO. */
export interface RevokedKey {
  readonly keyid: string;
  readonly key: TufKey;
  readonly name?: string | undefined;
}

/** A new key for an online role whose key is compromised. */
export interface OnlineReplacement {
  readonly role: 'snapshot' | 'timestamp';
  readonly keyid: string;
  readonly key: TufKey;
}

export interface RecoveryPlan {
  /** Each revoked key: the key IDs the trusted root holds it under, and the roles it had there. */
  readonly revoked: readonly { readonly keyid: string; readonly name?: string | undefined; readonly idsInRoot: readonly string[]; readonly roles: readonly TopLevelRole[] }[];
  /** Every key ID of the trusted root (and draft) that is revoked, legacy IDs included. */
  readonly revokedKeyids: readonly string[];
  readonly trustedVersion: number;
  readonly oldThreshold: number;
  /** The trusted root's root key IDs not compromised (one per public key). */
  readonly usableOldRootKeys: readonly string[];
  /** True when the usable old root keys can meet the old root threshold. */
  readonly signedRecoveryPossible: boolean;
  /** Online roles whose key was compromised (each needs a new key). */
  readonly onlineRolesAffected: readonly ('snapshot' | 'timestamp')[];
  /** The next root: the trusted root without the revoked keys, with the online replacements. */
  readonly draft: Root;
}

/**
 * Plans the recovery.
 * @throws InputError when a revoked key is not in the trusted root, when a
 *   compromised online role has no replacement (or a replacement is given
 *   for a role whose key is not compromised), or a replacement is itself revoked
 */
export function planRecovery(
  trusted: Root,
  revoked: readonly RevokedKey[],
  replacements: readonly OnlineReplacement[],
  nowMs: number,
  defaults: { expiresDays?: number } = {}
): RecoveryPlan {
  if (revoked.length === 0) throw valueError({ field: '--revoke' }, 'name at least one compromised key');
  const entries = revoked.map((r) => {
    const idsInRoot = keyIdsListing(trusted.keys, r.key, r.keyid);
    if (idsInRoot.length === 0) {
      throw valueError({ field: '--revoke' }, `key ${r.keyid}${r.name === undefined ? '' : ` (${r.name})`} is not in the trusted root (version ${String(trusted.version)}): nothing to revoke`);
    }
    const roles = TOP_LEVEL_ROLES.filter((role) => (own(trusted.roles, role)?.keyids ?? []).some((id) => idsInRoot.includes(id)));
    return { keyid: r.keyid, name: r.name, idsInRoot, roles };
  });
  const revokedKeyids = [...new Set(entries.flatMap((e) => [e.keyid, ...e.idsInRoot]))];
  const isRevoked = (id: string): boolean => revokedKeyids.includes(id);

  const rootRole = own(trusted.roles, 'root') ?? { keyids: [], threshold: 1 };
  // One public key listed twice counts once, as in verifyThreshold.
  const seen = new Set<string>();
  const usableOldRootKeys = rootRole.keyids.filter((id) => {
    if (isRevoked(id)) return false;
    const k = own(trusted.keys, id);
    const fp = k === undefined ? undefined : (fingerprintOf(k) ?? id);
    if (fp === undefined || seen.has(fp)) return false;
    seen.add(fp);
    return true;
  });

  const onlineRolesAffected = ONLINE_ROLES.filter((role) => entries.some((e) => e.roles.includes(role))) as ('snapshot' | 'timestamp')[];
  for (const role of onlineRolesAffected) {
    if (!replacements.some((r) => r.role === role)) {
      throw valueError(
        { field: '--online-key' },
        `the ${role} key is compromised: give its new key with --online-key ${role}=NEW.pub.json (clients must see a new ${role} key to stop trusting what the old one signs)`
      );
    }
  }
  for (const r of replacements) {
    if (!onlineRolesAffected.includes(r.role)) {
      throw valueError({ field: '--online-key' }, `${r.role}: its key is not among the compromised keys; replace it with root remove-key / add-key instead`);
    }
    if (revoked.some((x) => x.keyid === r.keyid || samePublicKey(x.key, r.key))) {
      throw valueError({ field: '--online-key' }, `${r.role}: the new key ${r.keyid} is one of the compromised keys`);
    }
  }

  let draft = newRootDraft(trusted, nowMs, defaults);
  for (const e of entries) {
    for (const role of e.roles) {
      for (const id of e.idsInRoot) {
        if ((own(draft.roles, role)?.keyids ?? []).includes(id)) draft = removeKey(draft, role, id);
      }
    }
  }
  for (const r of replacements) draft = addKey(draft, r.role, r.keyid, r.key);

  return {
    revoked: entries,
    revokedKeyids,
    trustedVersion: trusted.version,
    oldThreshold: rootRole.threshold,
    usableOldRootKeys,
    signedRecoveryPossible: usableOldRootKeys.length >= rootRole.threshold,
    onlineRolesAffected,
    draft,
  };
}

/** The plain statement for a recovery that no signed rotation can carry. */
export function noSignedRecoveryText(plan: RecoveryPlan, name: (keyid: string) => string): string {
  const usable = plan.usableOldRootKeys.map(name).join(', ') || 'none';
  return (
    `no signed recovery is possible: root version ${String(plan.trustedVersion)} needs ${String(plan.oldThreshold)} root signatures, ` +
    `and only ${String(plan.usableOldRootKeys.length)} of its root keys are not compromised (${usable}). ` +
    `Clients that trust root version ${String(plan.trustedVersion)} cannot be moved to a new root by a signed rotation: ` +
    'the new root must reach them out of band (shipped with the client software, or installed by hand as their trusted root), ' +
    'and whoever holds the compromised keys can sign roots those clients accept until then.'
  );
}

/** What clients do when an online key changes (spec §5.3.11), for the coordinator's notes. */
export function onlineKeyChangeText(roles: readonly string[]): string {
  return (
    `the ${roles.join(' and ')} key${roles.length === 1 ? ' is' : 's are'} replaced: a client that updates to this root sees the new key ` +
    'and deletes its cached timestamp and snapshot metadata (spec §5.3.11), so nothing the old key signed is trusted any more; ' +
    'publish new snapshot and timestamp metadata signed with the new key right after this root'
  );
}
