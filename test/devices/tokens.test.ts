// SPDX-License-Identifier: Apache-2.0
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GlobalOptions, Io } from '../../src/cli/io.js';
import { printable, runTokens } from '../../src/cli/commands/tokens.js';
import { loadNodeHidEnumerator, toHidDevice } from '../../src/devices/node-hid.js';
import { inventory, KNOWN_TOKEN_VENDORS, recognize, UNEXPECTED_KEYBOARD_WARNING, type HidDevice, type HidEnumerator } from '../../src/devices/tokens.js';
import { EnvironmentError, EXIT } from '../../src/errors.js';

// Fake device lists, shaped as node-hid 3.4 (hidapi 0.15, hidraw) lists them:
// one entry per interface and top-level usage, paths /dev/hidrawN.
const YUBIKEY_5: HidDevice[] = [
  { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw0', serialNumber: '', manufacturer: 'Yubico', product: 'YubiKey OTP+FIDO+CCID', interface: 0, usagePage: 0x01, usage: 0x06 },
  { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw1', serialNumber: '', manufacturer: 'Yubico', product: 'YubiKey OTP+FIDO+CCID', interface: 1, usagePage: 0xf1d0, usage: 0x01 },
];
const NITROKEY_3: HidDevice[] = [
  { vendorId: 0x20a0, productId: 0x42b2, path: '/dev/hidraw2', serialNumber: '', manufacturer: 'Nitrokey', product: 'Nitrokey 3', interface: 1, usagePage: 0xf1d0, usage: 0x01 },
];
const LEDGER: HidDevice[] = [
  { vendorId: 0x2c97, productId: 0x5011, path: '/dev/hidraw3', serialNumber: '0001', manufacturer: 'Ledger', product: 'Nano S Plus', interface: 0, usagePage: 0xffa0, usage: 0x01 },
  { vendorId: 0x2c97, productId: 0x5011, path: '/dev/hidraw4', serialNumber: '0001', manufacturer: 'Ledger', product: 'Nano S Plus', interface: 1, usagePage: 0xf1d0, usage: 0x01 },
];
// An ordinary keyboard: keyboard interface, and a second interface listed
// twice (consumer control and system control on the same hidraw node).
const UNKNOWN_KEYBOARD: HidDevice[] = [
  { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw5', manufacturer: 'Logitech', product: 'USB Keyboard', interface: 0, usagePage: 0x01, usage: 0x06 },
  { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw6', manufacturer: 'Logitech', product: 'USB Keyboard', interface: 1, usagePage: 0x0c, usage: 0x01 },
  { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw6', manufacturer: 'Logitech', product: 'USB Keyboard', interface: 1, usagePage: 0x01, usage: 0x80 },
];
const UNKNOWN_MOUSE: HidDevice[] = [
  { vendorId: 0x046d, productId: 0xc077, path: '/dev/hidraw7', manufacturer: 'Logitech', product: 'USB Optical Mouse', interface: 0, usagePage: 0x01, usage: 0x02 },
];

const PLAIN_GLOBAL: GlobalOptions = { json: false, color: false, input: false, yes: false };
const JSON_GLOBAL: GlobalOptions = { ...PLAIN_GLOBAL, json: true };

interface Captured {
  readonly io: Io;
  readonly out: () => string;
  readonly err: () => string;
}

function captureIo(): Captured {
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: {},
    now: () => {
      throw new Error('tokens must not read the clock');
    },
    isTTY: false,
    cwd: '/nonexistent',
    prompter: null,
  };
  return { io, out: () => out, err: () => err };
}

function fakeEnumerator(devices: readonly HidDevice[]): () => Promise<HidEnumerator> {
  return () => Promise.resolve({ list: () => Promise.resolve(devices) });
}

/** The error node-hid's lazy binding throws on a host without libusb. */
const LIBUSB_MISSING = 'libusb-1.0.so.0: cannot open shared object file: No such file or directory';

describe('inventory (pure)', () => {
  it('groups a YubiKey 5 (OTP keyboard + FIDO interfaces) into one device with its model; the keyboard is noted, not warned', () => {
    const inv = inventory(YUBIKEY_5);
    assert.equal(inv.devices, 1);
    assert.equal(inv.hidInterfaces, 2);
    assert.equal(inv.recognized, 1);
    const [t] = inv.tokens;
    assert.ok(t);
    assert.equal(t.vendorId, '0x1050');
    assert.equal(t.productId, '0x0407');
    assert.equal(t.vendor, 'Yubico');
    assert.equal(t.model, 'YubiKey 4/5 (OTP+FIDO+CCID)');
    assert.equal(t.product, 'YubiKey OTP+FIDO+CCID');
    assert.equal(t.manufacturer, 'Yubico');
    assert.equal(t.serial, null, 'an empty serial string is "not exposed"');
    assert.equal(t.keyboard, true);
    assert.deepEqual(
      t.interfaces.map((i) => [i.interface, i.kind, i.usagePage, i.usage]),
      [
        [0, 'keyboard', '0x0001', '0x0006'],
        [1, 'FIDO', '0xf1d0', '0x0001'],
      ]
    );
    assert.deepEqual(t.warnings, []);
    assert.deepEqual(inv.warnings, []);
    assert.ok(t.notes.some((n) => /keyboard interface: the YubiKey OTP application/.test(n)), t.notes.join('\n'));
    assert.ok(t.notes.some((n) => /serial not exposed over HID/.test(n)));
  });

  it('recognises a Nitrokey 3 by its product ID on the shared vendor ID 0x20a0', () => {
    const inv = inventory(NITROKEY_3);
    assert.equal(inv.devices, 1);
    const [t] = inv.tokens;
    assert.equal(t?.vendor, 'Nitrokey');
    assert.equal(t?.model, 'Nitrokey 3');
    assert.equal(t?.keyboard, false);
    assert.deepEqual(inv.warnings, []);
  });

  it('recognises a Ledger Nano S Plus by the model byte of its MMII product ID, serial as exposed', () => {
    const inv = inventory(LEDGER);
    assert.equal(inv.devices, 1);
    const [t] = inv.tokens;
    assert.equal(t?.vendor, 'Ledger');
    assert.equal(t?.model, 'Ledger Nano S Plus');
    assert.equal(t?.serial, '0001');
    assert.equal(t?.interfaces.length, 2);
    assert.deepEqual(inv.warnings, []);
    assert.equal(recognize(0x2c97, 0x0004).model?.model, 'Ledger Nano X', 'legacy product ID');
  });

  it('warns about an unknown vendor keyboard (BadUSB), grouping its interfaces and the usages listed per interface', () => {
    const inv = inventory(UNKNOWN_KEYBOARD);
    assert.equal(inv.devices, 1);
    assert.equal(inv.hidInterfaces, 3);
    assert.equal(inv.recognized, 0);
    const [t] = inv.tokens;
    assert.equal(t?.model, null);
    assert.equal(t?.vendor, null);
    assert.equal(t?.keyboard, true);
    assert.deepEqual(t?.warnings, [UNEXPECTED_KEYBOARD_WARNING]);
    assert.deepEqual(inv.warnings, [`0x046d:0xc31c (USB Keyboard): ${UNEXPECTED_KEYBOARD_WARNING}`]);
    assert.match(UNEXPECTED_KEYBOARD_WARNING, /^unexpected keyboard: an unknown HID keyboard on an air-gapped host is a BadUSB risk; unplug it unless you know what it is$/);
  });

  it('lists an unknown non-keyboard device as unknown, without the BadUSB warning', () => {
    const inv = inventory(UNKNOWN_MOUSE);
    assert.equal(inv.devices, 1);
    assert.equal(inv.tokens[0]?.model, null);
    assert.equal(inv.tokens[0]?.keyboard, false);
    assert.deepEqual(inv.tokens[0]?.warnings, []);
    assert.deepEqual(inv.warnings, []);
  });

  it('returns an empty inventory for an empty list', () => {
    assert.deepEqual(inventory([]), { tokens: [], warnings: [], devices: 0, recognized: 0, hidInterfaces: 0 });
  });

  it('takes everything together in the order listed, warning only about the unknown keyboard', () => {
    const inv = inventory([...YUBIKEY_5, ...NITROKEY_3, ...LEDGER, ...UNKNOWN_KEYBOARD, ...UNKNOWN_MOUSE]);
    assert.deepEqual(
      inv.tokens.map((t) => t.model),
      ['YubiKey 4/5 (OTP+FIDO+CCID)', 'Nitrokey 3', 'Ledger Nano S Plus', null, null]
    );
    assert.equal(inv.devices, 5);
    assert.equal(inv.recognized, 3);
    assert.equal(inv.warnings.length, 1);
  });

  it('counts two identical YubiKeys without serials as two devices (interface numbers repeat)', () => {
    const second = YUBIKEY_5.map((d, i) => ({ ...d, path: `/dev/hidraw${String(10 + i)}` }));
    const inv = inventory([YUBIKEY_5[0], second[0], YUBIKEY_5[1], second[1]].filter((d) => d !== undefined));
    assert.equal(inv.devices, 2);
    assert.deepEqual(
      inv.tokens.map((t) => t.interfaces.map((i) => i.interface)),
      [
        [0, 1],
        [0, 1],
      ]
    );
  });

  it('groups libusb-style paths by bus port', () => {
    const inv = inventory([
      { vendorId: 0x1050, productId: 0x0407, path: '1-2:1.0', interface: 0, usagePage: 1, usage: 6 },
      { vendorId: 0x1050, productId: 0x0407, path: '1-2:1.1', interface: 1, usagePage: 0xf1d0, usage: 1 },
      { vendorId: 0x1050, productId: 0x0407, path: '1-3.1:1.1', interface: 1, usagePage: 0xf1d0, usage: 1 },
    ]);
    assert.deepEqual(
      inv.tokens.map((t) => t.interfaces.map((i) => i.path)),
      [['1-2:1.0', '1-2:1.1'], ['1-3.1:1.1']]
    );
  });

  it('warns about a keyboard using the IDs of a token that has none (forged IDs)', () => {
    const inv = inventory([{ ...NITROKEY_3[0], interface: 0, usagePage: 0x01, usage: 0x06 } as HidDevice]);
    assert.equal(inv.tokens[0]?.model, 'Nitrokey 3');
    assert.equal(inv.warnings.length, 1);
    assert.match(inv.warnings[0] ?? '', /^0x20a0:0x42b2 \(Nitrokey 3\): unexpected keyboard: a Nitrokey 3 presents no keyboard.*BadUSB risk/);
  });

  it('treats a keypad like a keyboard', () => {
    const inv = inventory([{ vendorId: 0x1234, productId: 0x5678, path: '/dev/hidraw9', interface: 0, usagePage: 0x01, usage: 0x07 }]);
    assert.equal(inv.tokens[0]?.keyboard, true);
    assert.equal(inv.tokens[0]?.interfaces[0]?.kind, 'keypad');
    assert.deepEqual(inv.tokens[0]?.warnings, [UNEXPECTED_KEYBOARD_WARNING]);
  });

  it('recognises shared vendor IDs only by product: an STM32 keyboard on 0x0483 is not a SoloKey', () => {
    assert.equal(recognize(0x0483, 0xa2ca).model?.model, 'Solo');
    assert.equal(recognize(0x1209, 0xbeee).model?.model, 'Solo 2');
    assert.equal(recognize(0x1d50, 0x60fc).model?.model, 'OnlyKey');
    assert.deepEqual(recognize(0x0483, 0x5750), { vendor: null, model: null });
    const inv = inventory([{ vendorId: 0x0483, productId: 0x5750, path: '/dev/hidraw9', interface: 0, usagePage: 0x01, usage: 0x06 }]);
    assert.equal(inv.tokens[0]?.vendor, null);
    assert.deepEqual(inv.tokens[0]?.warnings, [UNEXPECTED_KEYBOARD_WARNING]);
  });

  it('names the vendor of an unknown product on an exclusive vendor ID, and still warns about its keyboard', () => {
    const inv = inventory([{ vendorId: 0x1050, productId: 0x0999, path: '/dev/hidraw9', interface: 0, usagePage: 0x01, usage: 0x06 }]);
    assert.equal(inv.tokens[0]?.vendor, 'Yubico');
    assert.equal(inv.tokens[0]?.model, null);
    assert.deepEqual(inv.tokens[0]?.warnings, [UNEXPECTED_KEYBOARD_WARNING]);
  });

  it('notes the keyboard of an OnlyKey without warning', () => {
    const inv = inventory([{ vendorId: 0x1d50, productId: 0x60fc, path: '/dev/hidraw9', interface: 0, usagePage: 0x01, usage: 0x06 }]);
    assert.deepEqual(inv.warnings, []);
    assert.match(inv.tokens[0]?.notes.join('\n') ?? '', /OnlyKey types stored passwords/);
  });

  it('keeps the table frozen', () => {
    assert.ok(Object.isFrozen(KNOWN_TOKEN_VENDORS));
    for (const v of KNOWN_TOKEN_VENDORS) {
      assert.ok(Object.isFrozen(v) && Object.isFrozen(v.models) && v.models.every((m) => Object.isFrozen(m)), v.vendor);
    }
  });
});

describe('runTokens', () => {
  const ALL = [...YUBIKEY_5, ...NITROKEY_3, ...LEDGER, ...UNKNOWN_KEYBOARD, ...UNKNOWN_MOUSE];

  it('prints one block per device, and the BadUSB warning on stderr', async () => {
    const c = captureIo();
    assert.equal(await runTokens(PLAIN_GLOBAL, c.io, fakeEnumerator(ALL)), 0);
    const out = c.out();
    assert.equal(
      out,
      [
        'YubiKey 4/5 (OTP+FIDO+CCID)  0x1050:0x0407',
        '  product: YubiKey OTP+FIDO+CCID (Yubico)',
        '  serial: serial not exposed over HID',
        '  interfaces: 0 keyboard, 1 FIDO',
        '  note: keyboard interface: the YubiKey OTP application, which types a one-time password when the key is touched (known, not a BadUSB warning)',
        '  note: serial not exposed over HID: read it over PKCS#11 or PC/SC (CCID) instead',
        '',
        'Nitrokey 3  0x20a0:0x42b2',
        '  product: Nitrokey 3 (Nitrokey)',
        '  serial: serial not exposed over HID',
        '  interfaces: 1 FIDO',
        '  note: serial not exposed over HID: read it over PKCS#11 or PC/SC (CCID) instead',
        '',
        'Ledger Nano S Plus  0x2c97:0x5011',
        '  product: Nano S Plus (Ledger)',
        '  serial: 0001',
        '  interfaces: 0 vendor-defined, 1 FIDO',
        '',
        'unknown  0x046d:0xc31c',
        '  product: USB Keyboard (Logitech)',
        '  serial: serial not exposed over HID',
        '  interfaces: 0 keyboard, 1 consumer control, 1 other',
        `  warning: ${UNEXPECTED_KEYBOARD_WARNING}`,
        '',
        'unknown  0x046d:0xc077',
        '  product: USB Optical Mouse (Logitech)',
        '  serial: serial not exposed over HID',
        '  interfaces: 0 mouse',
        '',
        '3 known tokens among 5 HID devices',
        '',
      ].join('\n')
    );
    assert.match(out, /\n3 known tokens among 5 HID devices\n$/);
    assert.ok(!out.includes('\u001b'), 'no colour without --color');
    assert.equal(c.err(), `warning: 0x046d:0xc31c (USB Keyboard): ${UNEXPECTED_KEYBOARD_WARNING}\n`);
  });

  it('prints "no tokens found" for an empty list (exit 0)', async () => {
    const c = captureIo();
    assert.equal(await runTokens(PLAIN_GLOBAL, c.io, fakeEnumerator([])), 0);
    assert.equal(c.out(), 'no tokens found\n');
    assert.equal(c.err(), '');
  });

  it('--json: one document on stdout with tokens, warnings and devices; warnings also on stderr', async () => {
    const c = captureIo();
    assert.equal(await runTokens(JSON_GLOBAL, c.io, fakeEnumerator(ALL)), 0);
    const doc = JSON.parse(c.out()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(doc).sort(), ['devices', 'hidInterfaces', 'ok', 'recognized', 'tokens', 'warnings']);
    assert.equal(doc['ok'], true);
    assert.equal(doc['devices'], 5);
    assert.equal(doc['recognized'], 3);
    assert.equal(doc['hidInterfaces'], 9);
    assert.deepEqual(doc['warnings'], [`0x046d:0xc31c (USB Keyboard): ${UNEXPECTED_KEYBOARD_WARNING}`]);
    const tokens = doc['tokens'] as Record<string, unknown>[];
    assert.equal(tokens.length, 5);
    assert.deepEqual(Object.keys(tokens[0] ?? {}).sort(), [
      'interfaces',
      'keyboard',
      'manufacturer',
      'model',
      'notes',
      'product',
      'productId',
      'serial',
      'vendor',
      'vendorId',
      'warnings',
    ]);
    assert.deepEqual(
      tokens.map((t) => [t['vendorId'], t['productId'], t['model'], t['serial'], t['keyboard']]),
      [
        ['0x1050', '0x0407', 'YubiKey 4/5 (OTP+FIDO+CCID)', null, true],
        ['0x20a0', '0x42b2', 'Nitrokey 3', null, false],
        ['0x2c97', '0x5011', 'Ledger Nano S Plus', '0001', false],
        ['0x046d', '0xc31c', null, null, true],
        ['0x046d', '0xc077', null, null, false],
      ]
    );
    assert.match(c.err(), /^warning: 0x046d:0xc31c \(USB Keyboard\): unexpected keyboard: /);
  });

  it('--json with no devices', async () => {
    const c = captureIo();
    await runTokens(JSON_GLOBAL, c.io, fakeEnumerator([]));
    assert.deepEqual(JSON.parse(c.out()), { ok: true, tokens: [], warnings: [], devices: 0, recognized: 0, hidInterfaces: 0 });
  });

  it('shows device strings with terminal escapes and bidi overrides escaped', async () => {
    const c = captureIo();
    const hostile: HidDevice = { ...UNKNOWN_MOUSE[0], product: 'Mouse\u001b]0;pwned\u0007\u202e' } as HidDevice;
    await runTokens(PLAIN_GLOBAL, c.io, fakeEnumerator([hostile]));
    for (const ch of ['\u001b', '\u0007', '\u202e']) assert.ok(!c.out().includes(ch));
    assert.match(c.out(), /product: Mouse\\u\{1b\}\]0;pwned\\u\{7\}\\u\{202e\}/);
    assert.equal(printable('a\u0000b\u009bc'), 'a\\u{0}b\\u{9b}c');
  });

  it('propagates the EnvironmentError (exit 3) of a node-hid that cannot load, with the reason', async () => {
    const c = captureIo();
    const failing = (): Promise<unknown> => Promise.reject(new Error(LIBUSB_MISSING));
    await assert.rejects(runTokens(PLAIN_GLOBAL, c.io, () => loadNodeHidEnumerator(failing)), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.equal(err.exitCode, EXIT.ENVIRONMENT);
      assert.equal(err.exitCode, 3);
      assert.match(err.message, /libusb-1\.0\.so\.0: cannot open shared object file/);
      assert.match(err.hint ?? '', /apt-get install libusb-1\.0-0 libudev1/);
      return true;
    });
    assert.equal(c.out(), '');
  });
});

describe('loadNodeHidEnumerator', () => {
  it('reports a missing node-hid module with an install hint', async () => {
    const missing = Object.assign(new Error("Cannot find package 'node-hid' imported from /x/build/src/devices/node-hid.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await assert.rejects(loadNodeHidEnumerator(() => Promise.reject(missing)), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /^cannot load node-hid: Cannot find package 'node-hid'/);
      assert.match(err.hint ?? '', /npm install node-hid@3\.4\.0/);
      assert.equal(err.cause, missing);
      return true;
    });
  });

  it('loads the native binding at once: an import that succeeds but whose binding lacks libusb is an EnvironmentError', async () => {
    let listed = false;
    const mod = {
      getHidapiVersion: (): string => {
        throw new Error(LIBUSB_MISSING);
      },
      devicesAsync: (): Promise<unknown[]> => {
        listed = true;
        return Promise.resolve([]);
      },
    };
    await assert.rejects(loadNodeHidEnumerator(() => Promise.resolve(mod)), (err: unknown) => {
      assert.ok(err instanceof EnvironmentError);
      assert.match(err.message, /native binding: libusb-1\.0\.so\.0: cannot open shared object file/);
      assert.match(err.hint ?? '', /libusb-1\.0-0 libudev1/);
      return true;
    });
    assert.equal(listed, false);
  });

  it('uses devicesAsync() when present, else devices(), also on the CommonJS default export; drops malformed records', async () => {
    const raw = [
      { vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw0', serialNumber: undefined, release: 0x0526, interface: 0, usagePage: 1, usage: 6 },
      { vendorId: 'x', productId: 1 },
      null,
    ];
    let syncCalled = false;
    const asyncMod = {
      devicesAsync: (): Promise<unknown[]> => Promise.resolve(raw),
      devices: (): unknown[] => {
        syncCalled = true;
        return [];
      },
    };
    const expected = [{ vendorId: 0x1050, productId: 0x0407, path: '/dev/hidraw0', interface: 0, usagePage: 1, usage: 6 }];
    assert.deepEqual(await (await loadNodeHidEnumerator(() => Promise.resolve(asyncMod))).list(), expected);
    assert.equal(syncCalled, false);
    const syncOnly = { default: { devices: (): unknown[] => raw } };
    assert.deepEqual(await (await loadNodeHidEnumerator(() => Promise.resolve(syncOnly))).list(), expected);
    assert.equal(toHidDevice({ vendorId: 0x10000, productId: 1 }), null);
  });

  it('wraps a failure to list in an EnvironmentError', async () => {
    const mod = { devicesAsync: (): Promise<unknown[]> => Promise.reject(new Error('hid_enumerate failed')) };
    const e = await loadNodeHidEnumerator(() => Promise.resolve(mod));
    await assert.rejects(e.list(), (err: unknown) => err instanceof EnvironmentError && /cannot list HID devices: hid_enumerate failed/.test(err.message));
  });

  it('rejects a module without devices functions', async () => {
    await assert.rejects(loadNodeHidEnumerator(() => Promise.resolve({})), (err: unknown) => err instanceof EnvironmentError && /neither devicesAsync\(\) nor devices\(\)/.test(err.message));
  });

  // The real module. In CI (CI=true) node-hid and libusb-1.0-0/libudev1
  // must be installed: a failure to load fails the test instead of skipping.
  it('loads the real node-hid and lists HID devices (none on a host without a USB bus)', async (t) => {
    const inCi = (process.env['CI'] ?? '') !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0';
    let enumerator: HidEnumerator;
    try {
      enumerator = await loadNodeHidEnumerator();
    } catch (err) {
      if (inCi) throw err;
      const hint = err instanceof EnvironmentError && err.hint !== undefined ? ` (${err.hint})` : '';
      t.skip(`node-hid cannot load here: ${err instanceof Error ? err.message : String(err)}${hint}`);
      return;
    }
    const devices = await enumerator.list();
    for (const d of devices) assert.ok(Number.isInteger(d.vendorId) && Number.isInteger(d.productId));
    const inv = inventory(devices);
    assert.equal(inv.hidInterfaces, devices.length);
    t.diagnostic(`node-hid listed ${String(devices.length)} HID interfaces, ${String(inv.devices)} devices`);
    const c = captureIo();
    assert.equal(await runTokens(JSON_GLOBAL, c.io, () => Promise.resolve(enumerator)), 0);
    assert.equal((JSON.parse(c.out()) as { devices: number }).devices, inv.devices);
  });
});
