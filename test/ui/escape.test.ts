// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §0: what is on the screen is what is signed. Unit cases for the
 * escaping, and a fast-check property over every field the review prints:
 * whatever text a draft holds, no line of the review carries a character a
 * terminal would interpret or hide, and the choke point lets through only
 * this program's own colour codes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildReview } from '../../src/ceremony/review.js';
import { withOwner } from '../../src/metadata/key-owner.js';
import type { Root, Targets } from '../../src/metadata/model.js';
import { targetPathWarnings } from '../../src/ceremony/target-paths.js';
import { jsonSafe, showText, terminalSafe } from '../../src/ui/escape.js';
import { showReview } from '../../src/cli/review-screen.js';
import { COLOR, colourWanted, loadColour } from '../../src/ui/render.js';

await loadColour();
import { testKey } from '../support/keys.js';
import { buildRepository } from '../support/repo.js';

const NOW = Date.UTC(2027, 0, 1);

/**
 * Characters no printed line may hold, written out independently of the
 * escaper's own pattern: C0 (all of them: a review line is one line), DEL,
 * C1, bidi controls, zero-width and invisible characters, separators, BOM,
 * lone surrogates.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u2028\u2029\ufeff\u00ad]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** Text an attacker would choose: terminal escapes, bidi, invisible, plus anything at all. */
const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom('\u001b', '[', '1', 'A', '2', 'K', '\r', '\n', '\t', '\u009b', '\u007f', '\u202e', '\u2066', '\u200b', '\u200d', '\ufeff', '\u2028', 'a', 'é', '\ud800', '\udc00', 'x') }),
  fc.string({ unit: 'binary' }),
  fc.constant('\u001b[1A\r\u001b[2KRoot role: unchanged, 2 of 3 keys')
);

/** Hostile text that can be in parsed metadata (a JSON file cannot hold a lone surrogate: the reader refuses it). */
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
const inMetadata = hostile.filter((s) => !LONE.test(s));

describe('escaping (unit)', () => {
  test('controls, bidi and invisible characters are shown as \\u{…}', () => {
    assert.equal(showText('a\u001b[1A\rb'), 'a\\u{1B}[1A\\u{D}b');
    assert.equal(showText('evil\u202Etxt.exe'), 'evil\\u{202E}txt.exe');
    assert.equal(showText('a\u200Bb\u00A0c\n'), 'a\\u{200B}b\\u{A0}c\\u{A}');
    assert.equal(showText('\u009b31m'), '\\u{9B}31m');
    assert.equal(showText('plain ASCII, é, 日本, 🙂, → …'), 'plain ASCII, é, 日本, 🙂, → …');
    assert.equal(showText(showText('x\u001by')), showText('x\u001by'));
  });

  test('the choke point keeps newlines, tabs, its own colours and the progress bar, nothing else', () => {
    assert.equal(terminalSafe(COLOR.ok('ok') + ' a\u001b[2Jb\n'), '\u001b[32mok\u001b[39m a\\u{1B}[2Jb\n');
    assert.equal(terminalSafe('\r[###   ] 50%\u001b[K'), '\r[###   ] 50%\u001b[K');
    assert.equal(terminalSafe('a\rb\u001b[K c'), 'a\\u{D}b\\u{1B}[K c');
    assert.equal(terminalSafe('\u001b[8mhidden\u001b[0m'), '\\u{1B}[8mhidden\u001b[0m');
  });

  test('--json: DEL, C1, bidi and invisible characters become \\u escapes, the JSON reads back the same', () => {
    const value = { path: 'a\u007f\u009b\u202e\u200bb\ud800', ok: true };
    const out = jsonSafe(JSON.stringify(value, null, 2));
    assert.doesNotMatch(out.replaceAll('\n', ' '), FORBIDDEN);
    assert.deepEqual(JSON.parse(out), value);
  });
});

describe('escaping (property over every printed review field)', () => {
  const repo = buildRepository({ expires: '2027-06-01T00:00:00Z', rootVersions: 1 });
  const v1 = (repo.roots[0] as NonNullable<(typeof repo.roots)[0]>).signed;
  const extra = testKey('escape/extra');
  const dan = repo.keys.delegate;

  test('root: unknown field names and values, a bound name, a request label, a key\'s extra fields', () => {
    fc.assert(
      fc.property(inMetadata, inMetadata, inMetadata, inMetadata, (field, value, owner, label) => {
        const bound = withOwner({ ...extra.tuf, 'x-note': value } as typeof extra.tuf, owner);
        const draft = {
          ...v1,
          version: 2,
          [`x-${field}`]: value,
          keys: { ...v1.keys, [bound.keyid]: bound.key },
          roles: { ...v1.roles, root: { keyids: [...(v1.roles['root']?.keyids ?? []), bound.keyid], threshold: 1 } },
        } as Root;
        const r = buildReview({ role: 'root', draft, previous: v1, keyholders: {}, labels: { [bound.keyid]: label }, nowMs: NOW });
        for (const line of [...r.summary, ...r.details, ...r.warnings]) assert.doesNotMatch(line, FORBIDDEN, JSON.stringify(line));
      }),
      { numRuns: 300, seed: 14 }
    );
  });

  test('targets: paths, custom data, hash names, delegated role names and patterns, expires, spec_version', () => {
    fc.assert(
      fc.property(inMetadata, inMetadata, inMetadata, inMetadata, inMetadata, (path, custom, role, pattern, text) => {
        const prev: Targets = { _type: 'targets', spec_version: '1.0.31', version: 1, expires: '2027-06-01T00:00:00Z', targets: { [`${path}-old`]: { length: 1, hashes: { sha256: '00'.repeat(32) } } } };
        const draft = {
          _type: 'targets',
          spec_version: text,
          version: 2,
          expires: text,
          targets: { [path]: { length: 2, hashes: { [text]: custom, sha256: '11'.repeat(32) }, custom: { [custom]: text } }, [`${path}-old`]: { length: 3, hashes: { sha256: custom } } },
          delegations: { keys: { [dan.keyid]: dan.tuf }, roles: [{ name: role, keyids: [dan.keyid, text], threshold: 1, terminating: false, paths: [pattern] }] },
        } as unknown as Targets;
        const r = buildReview({ role, draft, previous: prev, keyholders: { [dan.keyid]: text }, nowMs: NOW });
        for (const line of [...r.summary, ...r.details, ...r.warnings]) assert.doesNotMatch(line, FORBIDDEN, JSON.stringify(line));
      }),
      { numRuns: 300, seed: 14 }
    );
  });

  test('the choke point: any text, coloured or not, reaches the terminal with only our own escape codes', () => {
    // eslint-disable-next-line no-control-regex
    const OWN = /\u001b\[(?:0|1|2|4|22|24|31|32|33|36|39|90)m/gu;
    fc.assert(
      fc.property(hostile, fc.boolean(), (text, coloured) => {
        const out = terminalSafe(coloured ? COLOR.warn(text) : text);
        // eslint-disable-next-line no-control-regex
        const rest = out.replace(OWN, '').replace(/^\r/u, '').replace(/\u001b\[K$/u, '');
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(rest, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\ufeff]/u, JSON.stringify(out));
      }),
      { numRuns: 1000, seed: 14 }
    );
  });
});

describe('target paths verify reports', () => {
  test('hidden characters, NFD and lookalikes are named, escaped', () => {
    const w = targetPathWarnings(['ok/a.txt', 'bad/\u202Eexe.txt', 'x/Caf\u00e9', 'x/cafe\u0301', 'x/README', 'x/readme']);
    assert.deepEqual(w, [
      'target path contains invisible, bidi or other hidden characters (bad/\\u{202E}exe.txt)',
      'target path is not in Unicode normal form NFC: it would show the same as another path (x/cafe\u0301)',
      'target paths "x/Caf\u00e9" and "x/cafe\u0301" differ only by case or Unicode normalization',
      'target paths "x/README" and "x/readme" differ only by case or Unicode normalization',
    ]);
  });
});

describe('colours (chalk) after escaping', () => {
  test('NO_COLOR, FORCE_COLOR, TERM=dumb, --no-color, --json and terminals decide', () => {
    assert.equal(colourWanted({}, true, true, false), true);
    assert.equal(colourWanted({}, false, true, false), false);
    assert.equal(colourWanted({ NO_COLOR: '1' }, true, true, false), false);
    assert.equal(colourWanted({ NO_COLOR: '' }, true, true, false), true);
    assert.equal(colourWanted({ FORCE_COLOR: '1' }, false, true, false), true);
    assert.equal(colourWanted({ FORCE_COLOR: '0' }, true, true, false), false);
    assert.equal(colourWanted({ TERM: 'dumb' }, true, true, false), false);
    assert.equal(colourWanted({ FORCE_COLOR: '1' }, true, false, false), false);
    assert.equal(colourWanted({ FORCE_COLOR: '1' }, true, true, true), false);
  });

  test('the review colours added, removed and warnings; a value\'s escape inside a coloured line is text', () => {
    const repo = buildRepository({ expires: '2027-06-01T00:00:00Z', rootVersions: 1 });
    const v1 = (repo.roots[0] as NonNullable<(typeof repo.roots)[0]>).signed;
    const k = testKey('colour/new');
    const draft = { ...v1, version: 2, 'x-evil': '\u001b[2J', keys: { ...v1.keys, [k.keyid]: k.tuf }, roles: { ...v1.roles, root: { keyids: [...(v1.roles['root']?.keyids ?? []), k.keyid], threshold: 1 } } } as Root;
    const review = buildReview({ role: 'root', draft, previous: v1, keyholders: {}, labels: { [k.keyid]: 'x\u001b[31my' }, nowMs: NOW });
    let out = '';
    const io = { stdout: () => undefined, stderr: () => undefined, env: {}, now: () => NOW, isTTY: false, cwd: '.', prompter: null };
    showReview(review, io, { full: true, write: (t) => (out += terminalSafe(t)), style: COLOR, header: [], footer: [], interactive: false });
    /* eslint-disable no-control-regex */
    assert.match(out, /\u001b\[33mWARNING: root role threshold lowered 2 → 1[^\n]*\u001b\[39m/u);
    assert.match(out, /\u001b\[32m {6}\+ "x\\u\{1B\}\[31my"\? \(an unbound label/u);
    assert.match(out, /Field "x-evil": added "\\u\{1B\}\[2J"/u);
    assert.doesNotMatch(out.replace(/\u001b\[(?:32|33|31|39)m/gu, ''), /\u001b/u);
    /* eslint-enable no-control-regex */
  });
});
