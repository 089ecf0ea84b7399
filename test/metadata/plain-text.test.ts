// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import type { JsonValue } from '../../src/metadata/json.js';
import type { Metadata, Targets } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { CONTROL_CHARACTERS, findControlCharacter } from '../../src/metadata/plain-text.js';
import { serializeMetadata, stringifySorted } from '../../src/metadata/serialize.js';
import { signMetadata } from '../support/keys.js';
import { fixtureKeys, fixtureRoot, fixtureTargets } from './helpers.js';

/** Every code point in the refused categories, by a scan of the whole range (not a list we typed). */
function refusedCodePoints(): number[] {
  const out: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (CONTROL_CHARACTERS.test(String.fromCodePoint(cp))) out.push(cp);
  }
  return out;
}

const REFUSED = refusedCodePoints();

function targetsWith(path: string, custom: unknown): Metadata<Targets> {
  const k = fixtureKeys();
  const file = { length: 1, hashes: { sha256: 'aa'.repeat(32) } };
  const signed: Targets = {
    ...fixtureTargets(),
    targets: { [path]: custom === undefined ? file : { ...file, custom: custom as JsonValue } },
  };
  return signMetadata(signed, [k.targets]);
}

function refusal(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `an InputError, not ${String(e)}`);
    return e;
  }
  assert.fail('was written');
}

describe('what we write holds no control, bidi or invisible character', () => {
  test('the refused set is what a terminal would act on or hide: C0, DEL, C1, bidi, zero-width, separators', () => {
    for (const cp of [0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0x9b, 0xad, 0x061c, 0x200b, 0x200d, 0x200e, 0x2028, 0x2029, 0x202e, 0x2066, 0x2069, 0xfeff, 0xe0001]) {
      assert.ok(REFUSED.includes(cp), `U+${cp.toString(16)} is refused`);
    }
    for (const cp of [0x20, 0x41, 0xa0, 0xe9, 0x3000, 0x1f600]) assert.ok(!REFUSED.includes(cp), `U+${cp.toString(16)} is written`);
  });

  test('property: any refused character in a target path, a custom key or a custom value stops serializeMetadata, naming file and field', () => {
    const at = fc.constantFrom('path', 'custom-key', 'custom-value', 'custom-array');
    fc.assert(
      fc.property(fc.constantFrom(...REFUSED), at, fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), (cp, where, pre, post) => {
        const ch = String.fromCodePoint(cp);
        const bad = `${pre.replace(CONTROL_CHARACTERS, '')}${ch}${post.replace(CONTROL_CHARACTERS, '')}`;
        const md =
          where === 'path'
            ? targetsWith(`pkg/${bad}.tar.gz`, undefined)
            : where === 'custom-key'
              ? targetsWith('pkg/a.tar.gz', { [bad]: 'x' })
              : where === 'custom-value'
                ? targetsWith('pkg/a.tar.gz', { note: bad })
                : targetsWith('pkg/a.tar.gz', { list: ['ok', bad] });
        const e = refusal(() => serializeMetadata(md, '3.targets.json'));
        assert.equal(e.file, '3.targets.json');
        assert.match(e.field ?? '', /^signed\.targets/);
        if (where !== 'path') assert.ok(e.field?.startsWith('signed.targets["pkg/a.tar.gz"].custom'), e.field);
        const hex = cp.toString(16).toUpperCase().padStart(4, '0');
        assert.ok(e.message.includes(`U+${hex}`), e.message);
        // The message itself carries the character only escaped.
        assert.equal(CONTROL_CHARACTERS.test(e.message.replace(/\n/g, '')), false, 'the message holds no raw control character');
      }),
      { numRuns: 400, seed: 15 }
    );
  });

  test('the same content without the character is written and read back', () => {
    const md = targetsWith('pkg/é 😀 "q" \\.tar.gz', { note: 'caf\u00e9\u00a0ok', list: ['x'] });
    const bytes = serializeMetadata(md, '3.targets.json');
    const back = parseMetadata(bytes, '3.targets.json', 'targets');
    assert.deepEqual(Object.keys(back.signed.targets), ['pkg/é 😀 "q" \\.tar.gz']);
  });

  test('PEM public keys keep their newlines; a carriage return or an escape inside a PEM block is refused', () => {
    const k = fixtureKeys();
    const root = fixtureRoot();
    const pem = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';
    assert.equal(findControlCharacter({ keyval: { public: pem } }), undefined);
    assert.equal(findControlCharacter({ chain: pem + pem }), undefined, 'a chain of PEM blocks');
    assert.deepEqual(findControlCharacter({ keyval: { public: pem.replace(/\n/g, '\r\n') } })?.char, 'U+000D');
    assert.deepEqual(findControlCharacter({ keyval: { public: pem.replace('MFkw', 'MF\u001bkw') } })?.char, 'U+001B');
    assert.deepEqual(findControlCharacter({ note: 'line one\nline two' }), { path: ['note'], char: 'U+000A' }, 'a newline outside a PEM block');
    // A real root with its Ed25519 keys is written as before.
    assert.ok(serializeMetadata(signMetadata(root, k.root), 'root.json').length > 0);
  });

  test('an unknown field of signed (carried over from another tool) holding ESC is never written', () => {
    const k = fixtureKeys();
    const root = { ...fixtureRoot(), x_note: 'version 3\u001b[1A\u001b[2K' } as unknown as Parameters<typeof signMetadata>[0];
    const e = refusal(() => serializeMetadata(signMetadata(root, k.root), '2.root.json'));
    assert.equal(e.field, 'signed.x_note');
  });

  test('every other JSON file (public key files, requests, signature files, settings) is refused the same way, naming it', () => {
    const e = refusal(() => stringifySorted({ name: 'alice', device: { model: 'Yubi\u202eKey' } }, 'keyholders/alice.pub.json'));
    assert.equal(e.file, 'keyholders/alice.pub.json');
    assert.equal(e.field, 'device.model');
    assert.match(e.message, /U\+202E/);
  });
});
