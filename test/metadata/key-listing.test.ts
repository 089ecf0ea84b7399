// SPDX-License-Identifier: Apache-2.0
/**
 * The key IDs under which a key map lists one public key: the key with its
 * keyholder's name bound in (another key ID), the same key in upper- and
 * lower-case hex, a Map, a key we cannot read (only its own key ID), another key (none).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fingerprintOf, keyIdsListing, samePublicKey } from '../../src/metadata/key-listing.js';
import { unboundKeyId, withOwner } from '../../src/metadata/key-owner.js';
import { computeKeyId, type TufKey } from '../../src/metadata/keys.js';
import { testKey } from '../support/keys.js';

const alice = testKey('key-listing/alice');
const bob = testKey('key-listing/bob');
const aliceId = computeKeyId(alice.tuf);
const bound = withOwner(alice.tuf, 'alice');
/** alice's key in upper-case hex (an older writer's form): the same public key, another key object. */
const aliceUpper: TufKey = { ...alice.tuf, keyval: { public: alice.tuf.keyval.public.toUpperCase() } };
const unreadable: TufKey = { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { public: 'not a key' } };

describe('keyIdsListing', () => {
  test('a bound key is listed under its own key ID, not the public key file’s', () => {
    const keys = { [bound.keyid]: bound.key, [computeKeyId(bob.tuf)]: bob.tuf };
    assert.notEqual(bound.keyid, aliceId);
    assert.deepEqual(keyIdsListing(keys, alice.tuf), [bound.keyid]);
    assert.deepEqual(keyIdsListing(keys, alice.tuf, aliceId), [bound.keyid], 'the file’s key ID is not in the map');
    assert.equal(unboundKeyId(bound.key), aliceId);
  });

  test('every key ID holding the public key, in the map’s order, whatever its encoding; a Map too', () => {
    const upperId = computeKeyId(aliceUpper);
    const keys = { [upperId]: aliceUpper, [computeKeyId(bob.tuf)]: bob.tuf, [aliceId]: alice.tuf };
    assert.deepEqual(keyIdsListing(keys, bound.key), [upperId, aliceId]);
    assert.deepEqual(keyIdsListing(new Map(Object.entries(keys)), alice.tuf), [upperId, aliceId]);
    assert.ok(samePublicKey(aliceUpper, bound.key));
    assert.equal(fingerprintOf(aliceUpper), fingerprintOf(alice.tuf));
  });

  test('another key: none; a key we cannot read: only under the key ID given', () => {
    const unreadableId = computeKeyId(unreadable);
    const keys = { [aliceId]: alice.tuf, [unreadableId]: unreadable, [computeKeyId({ ...unreadable, x: 1 })]: unreadable };
    assert.deepEqual(keyIdsListing(keys, bob.tuf), []);
    assert.deepEqual(keyIdsListing(keys, unreadable), []);
    assert.deepEqual(keyIdsListing(keys, unreadable, unreadableId), [unreadableId]);
    assert.equal(samePublicKey(unreadable, unreadable), false);
  });
});
