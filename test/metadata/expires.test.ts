// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatExpires, isStrictExpires, parseExpires } from '../../src/metadata/expires.js';

describe('parseExpires', () => {
  describe('strict form: the instant Date.parse gives, no legacy note', () => {
    const strict = [
      '2030-01-01T00:00:00Z',
      '2026-12-04T19:29:48Z',
      '1970-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2024-02-29T12:00:00Z',
      '2000-02-29T23:59:59Z',
      '2030-04-30T00:00:00Z',
      '2030-12-31T23:59:59Z',
      '9999-12-31T23:59:59Z',
      '0099-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
    ];
    for (const s of strict) {
      test(s, () => {
        const p = parseExpires(s);
        assert.ok(p !== undefined);
        assert.equal(p.ms, Date.parse(s));
        assert.equal(p.legacy, undefined);
        assert.equal(isStrictExpires(s), true);
      });
    }
  });

  describe('legacy forms: correct instant and a note', () => {
    const cases: readonly (readonly [string, number, RegExp])[] = [
      ['2021-12-18T13:28:12.99008-06:00', Date.UTC(2021, 11, 18, 19, 28, 12, 990), /fractional seconds and a UTC offset/],
      ['2030-01-01T00:00:00.000Z', Date.UTC(2030, 0, 1), /fractional seconds/],
      ['2030-01-01T00:00:00.5Z', Date.UTC(2030, 0, 1, 0, 0, 0, 500), /fractional seconds/],
      ['2030-01-01T00:00:00.999999999Z', Date.UTC(2030, 0, 1, 0, 0, 0, 999), /fractional seconds/],
      ['2030-01-01T00:00:00+00:00', Date.UTC(2030, 0, 1), /UTC offset/],
      ['2030-01-01T05:30:00+05:30', Date.UTC(2030, 0, 1), /UTC offset/],
      ['2029-12-31T23:59:00-00:01', Date.UTC(2030, 0, 1), /UTC offset/],
      ['2030-01-01T00:00:00-23:59', Date.UTC(2030, 0, 1, 23, 59), /UTC offset/],
      ['2030-03-01T01:00:00+02:00', Date.UTC(2030, 1, 28, 23), /UTC offset/],
      ['2030-01-01t00:00:00z', Date.UTC(2030, 0, 1), /lowercase t\/z/],
      ['2030-01-01T00:00:00z', Date.UTC(2030, 0, 1), /lowercase t\/z/],
    ];
    for (const [s, ms, note] of cases) {
      test(s, () => {
        const p = parseExpires(s);
        assert.ok(p !== undefined);
        assert.equal(p.ms, ms);
        assert.match(p.legacy ?? '', note);
        assert.match(p.legacy ?? '', /python-tuf rejects it/);
        assert.ok((p.legacy ?? '').includes(s));
        assert.equal(isStrictExpires(s), false);
      });
    }
    test('offset forms agree with Date.parse', () => {
      for (const s of ['2021-12-18T13:28:12.990-06:00', '2030-06-15T08:00:00+09:00', '2030-06-15T08:00:00.123Z']) {
        assert.equal(parseExpires(s)?.ms, Date.parse(s), s);
      }
    });
    test('fractional seconds are truncated to the millisecond, for every millisecond', () => {
      const base = Date.UTC(2021, 0, 1);
      for (let i = 0; i < 1000; i++) {
        const digits = String(i).padStart(3, '0');
        assert.equal(parseExpires(`2021-01-01T00:00:00.${digits}Z`)?.ms, base + i, digits);
        assert.equal(parseExpires(`2021-01-01T00:00:00.${digits}999999Z`)?.ms, base + i, digits + '999999');
        assert.equal(parseExpires(`2021-01-01T00:00:00.${digits}0001Z`)?.ms, base + i, digits + '0001');
      }
    });
  });

  describe('invalid dates are rejected', () => {
    const invalid = [
      'not a date',
      '',
      '2030-02-30T00:00:00Z',
      '2030-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2030-04-31T00:00:00Z',
      '2030-13-01T00:00:00Z',
      '2030-00-10T00:00:00Z',
      '2030-01-00T00:00:00Z',
      '2030-01-32T00:00:00Z',
      '2030-01-01T24:00:00Z',
      '2030-01-01T23:60:00Z',
      '2030-01-01T23:59:60Z',
      '2030-1-01T00:00:00Z',
      '2030-01-01T0:00:00Z',
      '30-01-01T00:00:00Z',
      '+002030-01-01T00:00:00Z',
      '2030-01-01',
      '2030-01-01T00:00Z',
      '2030-01-01T00:00:00',
      '2030-01-01 00:00:00Z',
      ' 2030-01-01T00:00:00Z',
      '2030-01-01T00:00:00Z ',
      '2030-01-01T00:00:00Z\n',
      '2030-01-01T00:00:00.Z',
      '2030-01-01T00:00:00.1234567890Z',
      '2030-01-01T00:00:00+0000',
      '2030-01-01T00:00:00+00',
      '2030-01-01T00:00:00+24:00',
      '2030-01-01T00:00:00+99:99',
      '2030-01-01T00:00:00-00:60',
      '2030-01-01T00:00:00UTC',
      '２０３０-01-01T00:00:00Z',
      '1893456000',
    ];
    for (const s of invalid) {
      test(JSON.stringify(s), () => {
        assert.equal(parseExpires(s), undefined);
        assert.equal(isStrictExpires(s), false);
      });
    }
  });
});

describe('formatExpires', () => {
  const cases: readonly (readonly [number, string])[] = [
    [Date.UTC(2030, 0, 1), '2030-01-01T00:00:00Z'],
    [Date.UTC(2030, 0, 1, 0, 0, 0, 999), '2030-01-01T00:00:00Z'],
    [Date.UTC(2030, 0, 1, 0, 0, 0, 1), '2030-01-01T00:00:00Z'],
    [Date.UTC(2026, 11, 4, 19, 29, 48, 500), '2026-12-04T19:29:48Z'],
    [0, '1970-01-01T00:00:00Z'],
    // Before the epoch, milliseconds are dropped towards the past too.
    [Date.UTC(1969, 11, 31, 23, 59, 59, 500), '1969-12-31T23:59:59Z'],
    [Date.UTC(9999, 11, 31, 23, 59, 59, 999), '9999-12-31T23:59:59Z'],
  ];
  for (const [ms, text] of cases) {
    test(`${String(ms)} -> ${text}`, () => {
      assert.equal(formatExpires(ms), text);
      assert.equal(isStrictExpires(text), true);
      assert.equal(parseExpires(text)?.ms, Math.floor(ms / 1000) * 1000);
    });
  }
});
