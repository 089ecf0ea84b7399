// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { constants, createHash, ECDH, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { computeKeyId, decodeKey, verifySignature, type DecodedKey, type TufKey } from '../../src/metadata/keys.js';
import { signBytes, testKey, type TestKeyType } from '../support/keys.js';

const DATA = Buffer.from('{"_type":"root","version":1}', 'utf8');
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

function supported(d: DecodedKey): Extract<DecodedKey, { $case: 'supported' }> {
  if (d.$case !== 'supported') assert.fail(`expected a supported key, got: ${d.reason}`);
  return d;
}

function pem(k: KeyObject): string {
  return k.export({ type: 'spki', format: 'pem' }) as string;
}

function spkiSha256(k: KeyObject): string {
  return createHash('sha256').update(k.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Flips the low bit of byte `i` of a hex signature. */
function flip(sigHex: string, i: number): string {
  const b = Buffer.from(sigHex, 'hex');
  b[i] = (b[i] as number) ^ 1;
  return b.toString('hex');
}

// Minimal DER for ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (short lengths only).
function derDecode(sig: Buffer): { r: bigint; s: bigint } {
  assert.equal(sig[0], 0x30);
  assert.equal(sig[1], sig.length - 2);
  let i = 2;
  const ints: bigint[] = [];
  for (let n = 0; n < 2; n++) {
    assert.equal(sig[i], 0x02);
    const len = sig[i + 1] as number;
    ints.push(BigInt('0x' + sig.subarray(i + 2, i + 2 + len).toString('hex')));
    i += 2 + len;
  }
  assert.equal(i, sig.length);
  return { r: ints[0] as bigint, s: ints[1] as bigint };
}

function derInteger(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (((b[0] as number) & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

function derEncode(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function fixed32(v: bigint): Buffer {
  return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
}

describe('computeKeyId', () => {
  const SPEC_KEY = {
    keytype: 'ed25519',
    scheme: 'ed25519',
    keyval: { public: '72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c' },
  };

  test("the spec's example key has key ID 1bf1c6e3…fca3 (python hashlib over encode_canonical)", () => {
    assert.equal(computeKeyId(SPEC_KEY), '1bf1c6e3cdd3d3a8420b19199e27511999850f4b376c4547b2f32fba7e80fca3');
  });

  test('does not depend on key order', () => {
    const reordered = { keyval: { public: SPEC_KEY.keyval.public }, scheme: 'ed25519', keytype: 'ed25519' };
    assert.equal(computeKeyId(reordered), computeKeyId(SPEC_KEY));
  });

  test('extra fields are hashed (sha256 of the hand-written canonical form)', () => {
    const withExtras = { ...SPEC_KEY, keyid_hash_algorithms: ['sha256', 'sha512'], 'x-tuf-on-ci-keyowner': '@jku' };
    const canonical =
      '{"keyid_hash_algorithms":["sha256","sha512"],"keytype":"ed25519","keyval":{"public":"' +
      SPEC_KEY.keyval.public +
      '"},"scheme":"ed25519","x-tuf-on-ci-keyowner":"@jku"}';
    const expected = createHash('sha256').update(canonical, 'utf8').digest('hex');
    assert.equal(computeKeyId(withExtras), expected);
    assert.notEqual(expected, computeKeyId(SPEC_KEY));
  });

  test('is 64 lowercase hex characters and changes with any byte of the key', () => {
    const a = computeKeyId(SPEC_KEY);
    assert.match(a, /^[0-9a-f]{64}$/);
    const b = computeKeyId({ ...SPEC_KEY, keyval: { public: SPEC_KEY.keyval.public.replace(/c$/, 'd') } });
    assert.notEqual(a, b);
  });
});

describe('decodeKey', () => {
  test('ed25519 hex key', () => {
    const k = testKey('keys/ed');
    const d = supported(decodeKey(k.tuf));
    assert.equal(d.algorithm, 'ed25519');
    assert.deepEqual(d.legacy, []);
    assert.equal(d.fingerprint, spkiSha256(k.publicKey));
  });

  test('ed25519 key in uppercase hex is read and reported', () => {
    const k = testKey('keys/ed');
    const d = supported(decodeKey({ ...k.tuf, keyval: { public: k.tuf.keyval.public.toUpperCase() } }));
    assert.equal(d.fingerprint, spkiSha256(k.publicKey));
    assert.equal(d.legacy.length, 1);
    assert.match(d.legacy[0] as string, /uppercase/);
  });

  test('ecdsa PEM key', () => {
    const k = testKey('keys/ec', 'ecdsa-p256');
    assert.equal(k.tuf.keytype, 'ecdsa');
    const d = supported(decodeKey(k.tuf));
    assert.equal(d.algorithm, 'ecdsa-p256');
    assert.deepEqual(d.legacy, []);
    assert.equal(d.fingerprint, spkiSha256(k.publicKey));
  });

  test('legacy keytype ecdsa-sha2-nistp256 is read and reported', () => {
    const k = testKey('keys/ec', 'ecdsa-p256');
    const d = supported(decodeKey({ ...k.tuf, keytype: 'ecdsa-sha2-nistp256' }));
    assert.equal(d.algorithm, 'ecdsa-p256');
    assert.equal(d.legacy.length, 1);
    assert.match(d.legacy[0] as string, /ecdsa-sha2-nistp256.*renamed/);
  });

  test('hex-encoded P-256 points (uncompressed and compressed) are read and reported', () => {
    const k = testKey('keys/ec', 'ecdsa-p256');
    const jwk = k.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x as string, 'base64url');
    const y = Buffer.from(jwk.y as string, 'base64url');
    const uncompressed = '04' + x.toString('hex') + y.toString('hex');
    const compressed = (((y[31] as number) & 1) === 1 ? '03' : '02') + x.toString('hex');
    // The compressed form computed by hand matches OpenSSL's.
    assert.equal(compressed, ECDH.convertKey(uncompressed, 'prime256v1', 'hex', 'hex', 'compressed'));
    for (const hex of [uncompressed, compressed, uncompressed.toUpperCase()]) {
      const d = supported(decodeKey({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp256', keyval: { public: hex } }));
      assert.equal(d.algorithm, 'ecdsa-p256');
      assert.equal(d.fingerprint, spkiSha256(k.publicKey), 'same public key as the PEM form');
      assert.ok(d.legacy.some((l) => /hex-encoded ECDSA point/.test(l)), d.legacy.join('; '));
      assert.ok(verifySignature(d, signBytes(k, DATA), DATA));
    }
  });

  test('ECDSA P-384 PEM key with scheme ecdsa-sha2-nistp384', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const d = supported(decodeKey({ keytype: 'ecdsa', scheme: 'ecdsa-sha2-nistp384', keyval: { public: pem(publicKey) } }));
    assert.equal(d.algorithm, 'ecdsa-p384');
    assert.ok(d.legacy.some((l) => /P-384/.test(l)));
    const sig = sign('sha384', DATA, { key: privateKey, dsaEncoding: 'der' }).toString('hex');
    assert.ok(verifySignature(d, sig, DATA));
    // A SHA-256 digest signature does not count for a nistp384 key.
    assert.equal(verifySignature(d, sign('sha256', DATA, privateKey).toString('hex'), DATA), false);
  });

  test('rsa PEM key', () => {
    const k = testKey('keys/rsa', 'rsa-pss');
    const d = supported(decodeKey(k.tuf));
    assert.equal(d.algorithm, 'rsa-pss-sha256');
    assert.deepEqual(d.legacy, []);
    assert.equal(d.fingerprint, spkiSha256(k.publicKey));
  });

  describe('unsupported keys come back with a reason, never an exception', () => {
    const ed = testKey('keys/ed');
    const ec = testKey('keys/ec', 'ecdsa-p256');
    const rsa = testKey('keys/rsa', 'rsa-pss');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const cases: readonly (readonly [string, TufKey, RegExp])[] = [
      ['unknown keytype', { keytype: 'sigstore-oidc', scheme: 'Fulcio', keyval: { public: '' } }, /unknown key type "sigstore-oidc"/],
      ['known keytype, wrong scheme', { ...ed.tuf, scheme: 'ecdsa-sha2-nistp256' }, /unknown key type "ed25519" with scheme/],
      ['ecdsa keytype with rsa scheme', { ...ec.tuf, scheme: 'rsassa-pss-sha256' }, /unknown key type/],
      ['rsa pkcs1v15 scheme with an ecdsa PEM', { ...rsa.tuf, scheme: 'rsa-pkcs1v15-sha256', keyval: { public: ec.tuf.keyval.public } }, /not a PEM RSA/],
      ['rsa pkcs1v15 with sha512', { ...rsa.tuf, scheme: 'rsa-pkcs1v15-sha512' }, /unknown key type/],
      ['ed25519 as PEM', { ...ed.tuf, keyval: { public: pem(ed.publicKey) } }, /64 hex/],
      ['ed25519 too short', { ...ed.tuf, keyval: { public: ed.tuf.keyval.public.slice(2) } }, /64 hex/],
      ['ed25519 non-hex', { ...ed.tuf, keyval: { public: 'zz' + ed.tuf.keyval.public.slice(2) } }, /64 hex/],
      ['ecdsa garbage', { ...ec.tuf, keyval: { public: 'hello' } }, /neither PEM/],
      ['ecdsa broken PEM', { ...ec.tuf, keyval: { public: ec.tuf.keyval.public.replace(/[A-Z]{4}/, '!!!!') } }, /neither PEM/],
      ['ecdsa hex point not on the curve', { ...ec.tuf, keyval: { public: '04' + '11'.repeat(64) } }, /neither PEM/],
      ['ecdsa hex point of the wrong length', { ...ec.tuf, keyval: { public: '04' + '11'.repeat(40) } }, /neither PEM/],
      ['P-384 key declared nistp256', { ...ec.tuf, keyval: { public: pem(p384) } }, /not a prime256v1 key/],
      ['ed25519 PEM declared ecdsa', { ...ec.tuf, keyval: { public: pem(ed.publicKey) } }, /not a prime256v1 key/],
      ['RSA PEM declared ecdsa', { ...ec.tuf, keyval: { public: rsa.tuf.keyval.public } }, /not a prime256v1 key/],
      ['EC PEM declared rsa', { ...rsa.tuf, keyval: { public: ec.tuf.keyval.public } }, /not a PEM RSA/],
      ['rsa without PEM header', { ...rsa.tuf, keyval: { public: rsa.tuf.keyval.public.slice(5) } }, /not a PEM RSA/],
      ['RSA 1024 bits', { ...rsa.tuf, keyval: { public: pem(rsa1024) } }, /1024 bits \(at least 2048/],
    ];
    for (const [name, key, reason] of cases) {
      test(name, () => {
        const d = decodeKey(key);
        if (d.$case !== 'unsupported') assert.fail('expected unsupported');
        assert.match(d.reason, reason);
        assert.equal(verifySignature(d, 'aa'.repeat(64), DATA), false);
      });
    }
  });
});

describe('verifySignature', () => {
  const TYPES: readonly TestKeyType[] = ['ed25519', 'ecdsa-p256', 'rsa-pss'];
  for (const type of TYPES) {
    describe(type, () => {
      const key = testKey(`verify/${type}`, type);
      const other = testKey(`verify/${type}/other`, type);
      const d = supported(decodeKey(key.tuf));
      const sig = signBytes(key, DATA);

      test('a valid signature verifies', () => {
        assert.equal(verifySignature(d, sig, DATA), true);
      });
      test('uppercase hex is decoded too', () => {
        assert.equal(verifySignature(d, sig.toUpperCase(), DATA), true);
      });
      test('one flipped bit anywhere fails', () => {
        const n = sig.length / 2;
        for (const i of [0, 1, Math.floor(n / 2), n - 2, n - 1]) {
          assert.equal(verifySignature(d, flip(sig, i), DATA), false, `byte ${String(i)}`);
        }
      });
      test('other data fails', () => {
        assert.equal(verifySignature(d, sig, Buffer.from('{"_type":"root","version":2}')), false);
        assert.equal(verifySignature(d, sig, Buffer.concat([DATA, Buffer.from(' ')])), false);
      });
      test("another key's signature fails", () => {
        assert.equal(verifySignature(d, signBytes(other, DATA), DATA), false);
      });
      test('truncated or extended signatures fail', () => {
        assert.equal(verifySignature(d, sig.slice(0, -2), DATA), false);
        assert.equal(verifySignature(d, sig + '00', DATA), false);
      });
      describe('malformed signature text is false, never an exception', () => {
        const bad: readonly (readonly [string, string])[] = [
          ['empty', ''],
          ['odd length', sig.slice(0, -1)],
          ['one hex digit', 'a'],
          ['non-hex', 'zz' + sig.slice(2)],
          ['0x prefix', '0x' + sig],
          ['leading space', ' ' + sig],
          ['trailing newline', sig + '\n'],
          ['base64', Buffer.from(sig, 'hex').toString('base64')],
        ];
        for (const [name, s] of bad) {
          test(name, () => assert.equal(verifySignature(d, s, DATA), false));
        }
      });
    });
  }

  test('RFC 8032 test vector 1 (Ed25519, empty message)', () => {
    const d = supported(
      decodeKey({
        keytype: 'ed25519',
        scheme: 'ed25519',
        keyval: { public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' },
      })
    );
    const sig =
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
    assert.equal(verifySignature(d, sig, new Uint8Array(0)), true);
    assert.equal(verifySignature(d, sig, new Uint8Array(1)), false);
  });

  test('Ed25519 with non-canonical S (S + L) is rejected', () => {
    const key = testKey('verify/ed-malleable');
    const d = supported(decodeKey(key.tuf));
    const sig = Buffer.from(signBytes(key, DATA), 'hex');
    const s = BigInt('0x' + Buffer.from(sig.subarray(32)).reverse().toString('hex'));
    assert.ok(s < ED25519_L);
    const s2 = s + ED25519_L;
    assert.ok(s2 < 2n ** 256n);
    const malleated = Buffer.concat([sig.subarray(0, 32), fixed32(s2).reverse()]);
    assert.notDeepEqual(malleated, sig);
    assert.equal(verifySignature(d, sig.toString('hex'), DATA), true);
    assert.equal(verifySignature(d, malleated.toString('hex'), DATA), false);
  });

  test('ECDSA high-S (s -> n - s) is accepted, as OpenSSL does', () => {
    const key = testKey('verify/ecdsa-high-s', 'ecdsa-p256');
    const d = supported(decodeKey(key.tuf));
    for (let i = 0; i < 4; i++) {
      const data = Buffer.concat([DATA, Buffer.from([i])]);
      const der = Buffer.from(signBytes(key, data), 'hex');
      const { r, s } = derDecode(der);
      const other = derEncode(r, P256_N - s);
      assert.notDeepEqual(other, der);
      assert.deepEqual(derEncode(r, s), der, 'DER helper round-trips');
      // Sanity: node:crypto (OpenSSL) itself accepts both.
      assert.ok(verify('sha256', data, { key: key.publicKey, dsaEncoding: 'der' }, other));
      assert.equal(verifySignature(d, der.toString('hex'), data), true);
      assert.equal(verifySignature(d, other.toString('hex'), data), true);
    }
  });

  test('ECDSA raw r||s (IEEE P1363) is not accepted', () => {
    const key = testKey('verify/ecdsa-p1363', 'ecdsa-p256');
    const d = supported(decodeKey(key.tuf));
    const der = Buffer.from(signBytes(key, DATA), 'hex');
    const { r, s } = derDecode(der);
    const raw = Buffer.concat([fixed32(r), fixed32(s)]);
    // The same (r, s) is a valid P1363 signature…
    assert.ok(verify('sha256', DATA, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, raw));
    // …which TUF clients (python, tuf-js) do not count.
    assert.equal(verifySignature(d, raw.toString('hex'), DATA), false);
    const fresh = sign('sha256', DATA, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
    assert.equal(fresh.length, 64);
    assert.equal(verifySignature(d, fresh.toString('hex'), DATA), false);
  });

  test('RSA-PSS: any salt length verifies (salt auto-detected); PKCS#1 v1.5 does not', () => {
    const key = testKey('verify/rsa-salt', 'rsa-pss');
    const d = supported(decodeKey(key.tuf));
    for (const saltLength of [0, 20, 32, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      const sig = sign('sha256', DATA, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
      assert.equal(verifySignature(d, sig.toString('hex'), DATA), true, `salt ${String(saltLength)}`);
    }
    const pkcs1 = sign('sha256', DATA, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING });
    assert.equal(verifySignature(d, pkcs1.toString('hex'), DATA), false);
    const sha512 = sign('sha512', DATA, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    assert.equal(verifySignature(d, sha512.toString('hex'), DATA), false);
  });

  test('an Ed25519 signature does not verify under an ECDSA key and vice versa', () => {
    const ed = testKey('verify/cross-ed');
    const ec = testKey('verify/cross-ec', 'ecdsa-p256');
    assert.equal(verifySignature(supported(decodeKey(ec.tuf)), signBytes(ed, DATA), DATA), false);
    assert.equal(verifySignature(supported(decodeKey(ed.tuf)), signBytes(ec, DATA), DATA), false);
  });
});
