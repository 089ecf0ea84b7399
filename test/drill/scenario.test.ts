// SPDX-License-Identifier: Apache-2.0
/** The drill's scenarios (src/drill/scenario.ts): options, who holds which key, who signs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { chooseSigners, keyholderName, parseDrillSettings, planV1Text, scenarioPlan, type Holders } from '../../src/drill/scenario.js';

const h = (threshold: number, ...keyholders: string[]): Holders => ({ keyholders, threshold });

describe('drill scenarios', () => {
  it('options: defaults rotate, 3 keyholders, threshold 2 (1 with one keyholder); bad values are usage errors naming the option', () => {
    assert.deepEqual(parseDrillSettings({}), { scenario: 'rotate', keyholders: 3, threshold: 2 });
    assert.deepEqual(parseDrillSettings({ keyholders: '1' }), { scenario: 'rotate', keyholders: 1, threshold: 1 });
    assert.deepEqual(parseDrillSettings({ scenario: 'pep458', keyholders: '50', threshold: '50' }), { scenario: 'pep458', keyholders: 50, threshold: 50 });
    const table: [Parameters<typeof parseDrillSettings>[0], string][] = [
      [{ scenario: 'Rotate' }, '--scenario'],
      [{ keyholders: '-1' }, '--keyholders'],
      [{ keyholders: '1e1' }, '--keyholders'],
      [{ keyholders: '' }, '--keyholders'],
      [{ threshold: '3', keyholders: '2' }, '--threshold'],
      [{ scenario: 'compromise', keyholders: '3', threshold: '3' }, '--keyholders'],
      [{ scenario: 'pep458', keyholders: '1' }, '--threshold'],
    ];
    for (const [raw, field] of table) {
      assert.throws(() => parseDrillSettings(raw), (e: unknown) => e instanceof UsageError && e.field === field && e.exitCode === 2, JSON.stringify(raw));
    }
  });

  it('keyholder names: alice … leo, then keyholder-13 …', () => {
    assert.deepEqual([0, 1, 11, 12, 49].map(keyholderName), ['alice', 'bob', 'leo', 'keyholder-13', 'keyholder-50']);
  });

  it('plans: rotate and compromise replace the last keyholder by the next; pep458 has targets 2 of 2, one online key and 16,384 bins', () => {
    const rotate = scenarioPlan({ scenario: 'rotate', keyholders: 3, threshold: 2 });
    assert.deepEqual(rotate.v2?.change, { $case: 'replace', leaving: 'carol', joining: 'dave' });
    assert.deepEqual(rotate.v2?.root, h(2, 'alice', 'bob', 'dave'));
    assert.deepEqual(scenarioPlan({ scenario: 'compromise', keyholders: 4, threshold: 3 }).v2?.change, { $case: 'revoke', leaving: 'dave', joining: 'erin' });
    const expiry = scenarioPlan({ scenario: 'expiry', keyholders: 3, threshold: 2 });
    assert.equal(expiry.v1.expiresDays, 20);
    assert.deepEqual(expiry.v2?.root, expiry.v1.root);
    assert.equal(scenarioPlan({ scenario: 'bootstrap', keyholders: 3, threshold: 2 }).v2, null);
    const pep = scenarioPlan({ scenario: 'pep458', keyholders: 5, threshold: 3 });
    assert.deepEqual(pep.v1.root, h(3, 'alice', 'bob', 'carol', 'dave', 'erin'));
    assert.deepEqual(pep.v1.targets, h(2, 'alice', 'bob'));
    assert.deepEqual(pep.online, [{ name: 'online', roles: ['snapshot', 'timestamp', 'bins'] }]);
    assert.deepEqual(pep.bins, { namePrefix: 'bins', bitLength: 14 });
    assert.equal(pep.v2, null);
  });

  it('signers meet the old and the new threshold, the joining keyholder first, never a revoked one', () => {
    assert.deepEqual(chooseSigners(null, h(2, 'a', 'b', 'c')), ['a', 'b']);
    assert.deepEqual(chooseSigners(h(2, 'a', 'b', 'c'), h(2, 'a', 'b', 'd'), ['d']), ['d', 'a', 'b']);
    // 3 of 3 replacing c: the leaving keyholder must sign too, for the old threshold.
    assert.deepEqual(chooseSigners(h(3, 'a', 'b', 'c'), h(3, 'a', 'b', 'd'), ['d']), ['d', 'a', 'b', 'c']);
    // One keyholder handing over to another.
    assert.deepEqual(chooseSigners(h(1, 'a'), h(1, 'b'), ['b']), ['b', 'a']);
    // Recovery: d is revoked; the old threshold comes from a, b, c.
    assert.deepEqual(chooseSigners(h(3, 'a', 'b', 'c', 'd'), h(3, 'a', 'b', 'c', 'e'), ['e'], ['d']), ['e', 'a', 'b', 'c']);
    assert.throws(() => chooseSigners(h(2, 'a', 'b'), h(1, 'a', 'c'), [], ['a', 'b']), /no set of signers meets the thresholds/);
  });

  it('the v1 plan names the keyholders and the online key files', () => {
    const plan = scenarioPlan({ scenario: 'pep458', keyholders: 3, threshold: 2 });
    assert.equal(
      planV1Text(plan, (role) => `../online/${role}.pub.json`),
      [
        'expires: +365d',
        'consistent_snapshot: true',
        'roles:',
        '  root: { threshold: 2, keyholders: [alice, bob, carol] }',
        '  targets: { threshold: 2, keyholders: [alice, bob] }',
        '  snapshot: { threshold: 1, keys: [../online/snapshot.pub.json] }',
        '  timestamp: { threshold: 1, keys: [../online/timestamp.pub.json] }',
        '',
      ].join('\n')
    );
  });
});
