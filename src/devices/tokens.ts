// SPDX-License-Identifier: Apache-2.0
/**
 * The inventory of USB HID devices before a ceremony: which security tokens
 * are connected, and whether anything else presents a keyboard. Pure: the
 * device list comes in (from node-hid or a fake), the inventory goes out.
 *
 * Recognition is by USB vendor and product ID, which any device can forge:
 * it names what a device claims to be, it does not authenticate it. Keys are
 * authenticated by their public key and attestation, never by this list.
 */

/**
 * One HID interface (top-level collection) as the OS lists it. node-hid
 * lists one entry per interface, and hidapi ≥ 0.13 one per top-level usage
 * of an interface, so one physical token usually appears several times.
 */
export interface HidDevice {
  vendorId: number;
  productId: number;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
  usagePage?: number;
  usage?: number;
  /** USB interface number; -1 when unknown (e.g. Bluetooth). */
  interface?: number;
  path?: string;
}

/** Lists the connected HID interfaces: node-hid in production, a fake in tests. */
export interface HidEnumerator {
  list(): Promise<readonly HidDevice[]>;
}

/** A product of a token vendor, matched when `(productId & mask) === productId`. */
export interface KnownModel {
  readonly productId: number;
  /** Default 0xffff (exact). Ledger encodes the model in the high byte only. */
  readonly mask?: number;
  readonly model: string;
  /** Whether this product presents a HID keyboard interface of its own. */
  readonly keyboard: boolean;
}

export interface KnownVendor {
  readonly vendorId: number;
  readonly vendor: string;
  /**
   * Whether the vendor ID belongs to this vendor alone. Shared IDs
   * (STMicroelectronics' 0x0483, pid.codes' 0x1209, Clay Logic's 0x20a0,
   * OpenMoko's 0x1d50) are used by many unrelated devices, keyboards among
   * them, so there only the listed products are recognised.
   */
  readonly exclusive: boolean;
  /** What its keyboard interface is, for the products that have one. */
  readonly keyboardNote?: string;
  readonly models: readonly KnownModel[];
}

const YUBIKEY_KEYBOARD =
  'keyboard interface: the YubiKey OTP application, which types a one-time password when the key is touched (known, not a BadUSB warning)';

function freezeVendor(v: KnownVendor): KnownVendor {
  for (const m of v.models) Object.freeze(m);
  Object.freeze(v.models);
  return Object.freeze(v);
}

/**
 * Known token vendors and products. Sources: Yubico yubikit `UsbPid`,
 * Nitrokey `41-nitrokey.rules`, SoloKeys udev rules, Ledger's device models
 * (legacy product IDs and the `MMII` scheme: model byte, interface bits),
 * OnlyKey's udev rule.
 */
export const KNOWN_TOKEN_VENDORS: readonly KnownVendor[] = Object.freeze(
  [
    {
      vendorId: 0x1050,
      vendor: 'Yubico',
      exclusive: true,
      keyboardNote: YUBIKEY_KEYBOARD,
      // The product ID says which USB interfaces are enabled: OTP is the keyboard.
      models: [
        { productId: 0x0010, model: 'YubiKey (OTP)', keyboard: true },
        { productId: 0x0110, model: 'YubiKey NEO (OTP)', keyboard: true },
        { productId: 0x0111, model: 'YubiKey NEO (OTP+CCID)', keyboard: true },
        { productId: 0x0112, model: 'YubiKey NEO (CCID)', keyboard: false },
        { productId: 0x0113, model: 'YubiKey NEO (FIDO)', keyboard: false },
        { productId: 0x0114, model: 'YubiKey NEO (OTP+FIDO)', keyboard: true },
        { productId: 0x0115, model: 'YubiKey NEO (FIDO+CCID)', keyboard: false },
        { productId: 0x0116, model: 'YubiKey NEO (OTP+FIDO+CCID)', keyboard: true },
        { productId: 0x0120, model: 'Security Key by Yubico (FIDO)', keyboard: false },
        { productId: 0x0401, model: 'YubiKey 4/5 (OTP)', keyboard: true },
        { productId: 0x0402, model: 'YubiKey 4/5 (FIDO)', keyboard: false },
        { productId: 0x0403, model: 'YubiKey 4/5 (OTP+FIDO)', keyboard: true },
        { productId: 0x0404, model: 'YubiKey 4/5 (CCID)', keyboard: false },
        { productId: 0x0405, model: 'YubiKey 4/5 (OTP+CCID)', keyboard: true },
        { productId: 0x0406, model: 'YubiKey 4/5 (FIDO+CCID)', keyboard: false },
        { productId: 0x0407, model: 'YubiKey 4/5 (OTP+FIDO+CCID)', keyboard: true },
        { productId: 0x0410, model: 'YubiKey Plus (OTP+FIDO)', keyboard: true },
      ],
    },
    {
      vendorId: 0x20a0,
      vendor: 'Nitrokey',
      exclusive: false,
      models: [
        { productId: 0x4108, model: 'Nitrokey Pro', keyboard: false },
        { productId: 0x4109, model: 'Nitrokey Storage', keyboard: false },
        { productId: 0x4211, model: 'Nitrokey Start', keyboard: false },
        { productId: 0x4230, model: 'Nitrokey HSM', keyboard: false },
        { productId: 0x4287, model: 'Nitrokey FIDO U2F', keyboard: false },
        { productId: 0x42b1, model: 'Nitrokey FIDO2', keyboard: false },
        { productId: 0x42b2, model: 'Nitrokey 3', keyboard: false },
        { productId: 0x42b4, model: 'Nitrokey Pro (bootloader)', keyboard: false },
        { productId: 0x42dd, model: 'Nitrokey 3 (bootloader)', keyboard: false },
        { productId: 0x42e8, model: 'Nitrokey 3A Mini (bootloader)', keyboard: false },
      ],
    },
    {
      vendorId: 0x0483,
      vendor: 'SoloKeys',
      exclusive: false,
      models: [{ productId: 0xa2ca, model: 'Solo', keyboard: false }],
    },
    {
      vendorId: 0x1209,
      vendor: 'SoloKeys',
      exclusive: false,
      models: [
        { productId: 0xbeee, model: 'Solo 2', keyboard: false },
        { productId: 0xb000, model: 'Solo 2 (bootloader)', keyboard: false },
      ],
    },
    {
      vendorId: 0x2c97,
      vendor: 'Ledger',
      exclusive: true,
      keyboardNote: 'keyboard interface: Ledger devices can present one for apps that type passwords (known, not a BadUSB warning)',
      models: [
        { productId: 0x0000, model: 'Ledger Blue', keyboard: true },
        { productId: 0x0001, model: 'Ledger Nano S', keyboard: true },
        { productId: 0x0004, model: 'Ledger Nano X', keyboard: true },
        { productId: 0x0005, model: 'Ledger Nano S Plus', keyboard: true },
        { productId: 0x0006, model: 'Ledger Stax', keyboard: true },
        { productId: 0x0007, model: 'Ledger Flex', keyboard: true },
        { productId: 0x1000, mask: 0xff00, model: 'Ledger Nano S', keyboard: true },
        { productId: 0x4000, mask: 0xff00, model: 'Ledger Nano X', keyboard: true },
        { productId: 0x5000, mask: 0xff00, model: 'Ledger Nano S Plus', keyboard: true },
        { productId: 0x6000, mask: 0xff00, model: 'Ledger Stax', keyboard: true },
        { productId: 0x7000, mask: 0xff00, model: 'Ledger Flex', keyboard: true },
      ],
    },
    {
      vendorId: 0x1d50,
      vendor: 'OnlyKey',
      exclusive: false,
      keyboardNote: 'keyboard interface: OnlyKey types stored passwords and one-time passwords (known, not a BadUSB warning)',
      models: [{ productId: 0x60fc, model: 'OnlyKey', keyboard: true }],
    },
  ].map(freezeVendor)
);

/** The warning for a keyboard that is not a known token. */
export const UNEXPECTED_KEYBOARD_WARNING =
  'unexpected keyboard: an unknown HID keyboard on an air-gapped host is a BadUSB risk; unplug it unless you know what it is';

/** One HID interface of a device, as reported. */
export interface TokenInterface {
  /** USB interface number, or null when the OS does not say (-1). */
  readonly interface: number | null;
  /** HID usage page and usage of the top-level collection, `0x`-hex. */
  readonly usagePage: string | null;
  readonly usage: string | null;
  /** `keyboard`, `keypad`, `mouse`, `FIDO`, `consumer control`, `vendor-defined` or `other`. */
  readonly kind: string;
  readonly path: string | null;
}

/** One physical device: its HID interfaces grouped. */
export interface TokenEntry {
  /** `0x`-hex, 4 digits. */
  readonly vendorId: string;
  readonly productId: string;
  /** The token vendor, when the vendor ID (exclusive) or the product is known. */
  readonly vendor: string | null;
  /** The recognised model, or null. */
  readonly model: string | null;
  /** The USB product and manufacturer strings, as the device reports them. */
  readonly product: string | null;
  readonly manufacturer: string | null;
  /** The USB serial string, or null when the device does not expose one over HID. */
  readonly serial: string | null;
  /** Whether any interface is a HID keyboard or keypad. */
  readonly keyboard: boolean;
  readonly interfaces: readonly TokenInterface[];
  /** What is known about it (e.g. why a token has a keyboard interface). */
  readonly notes: readonly string[];
  /** What the operator should act on (also in the inventory's `warnings`). */
  readonly warnings: readonly string[];
}

export interface TokenInventory {
  /** Every HID device, recognised or not, in the order the OS listed them. */
  readonly tokens: readonly TokenEntry[];
  /** Each device's warnings, prefixed with the device. */
  readonly warnings: readonly string[];
  /** Physical devices (after grouping interfaces). */
  readonly devices: number;
  /** Devices whose model is recognised. */
  readonly recognized: number;
  /** HID interfaces as listed by the OS, before grouping. */
  readonly hidInterfaces: number;
}

/** `0x`-hex, at least 4 digits: USB IDs and HID usages. */
export function hex4(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}

/** Keyboard (0x01/0x06) or keypad (0x01/0x07): both can type any key. */
function isKeyboardUsage(usagePage: number | undefined, usage: number | undefined): boolean {
  return usagePage === 0x01 && (usage === 0x06 || usage === 0x07);
}

function usageKind(usagePage: number | undefined, usage: number | undefined): string {
  if (usagePage === undefined || usage === undefined) return 'other';
  if (usagePage === 0x01 && usage === 0x06) return 'keyboard';
  if (usagePage === 0x01 && usage === 0x07) return 'keypad';
  if (usagePage === 0x01 && usage === 0x02) return 'mouse';
  if (usagePage === 0x0c && usage === 0x01) return 'consumer control';
  if (usagePage === 0xf1d0) return 'FIDO';
  if (usagePage >= 0xff00) return 'vendor-defined';
  return 'other';
}

interface Recognition {
  readonly vendor: KnownVendor | null;
  readonly model: KnownModel | null;
}

/** What a vendor/product ID pair claims to be, from {@link KNOWN_TOKEN_VENDORS}. */
export function recognize(vendorId: number, productId: number): Recognition {
  let vendorOnly: KnownVendor | null = null;
  for (const v of KNOWN_TOKEN_VENDORS) {
    if (v.vendorId !== vendorId) continue;
    const model = v.models.find((m) => (productId & (m.mask ?? 0xffff)) === m.productId);
    if (model !== undefined) return { vendor: v, model };
    if (v.exclusive) vendorOnly = v;
  }
  return { vendor: vendorOnly, model: null };
}

function nonEmpty(s: string | undefined): string | null {
  return s === undefined || s === '' ? null : s;
}

function knownInterface(n: number | undefined): number | null {
  return n === undefined || !Number.isSafeInteger(n) || n < 0 ? null : n;
}

/** `bus-port[.port…]` of a libusb-style hidapi path `1-2.3:1.0`, else null. */
function libusbPort(path: string | undefined): string | null {
  const m = path === undefined ? null : /^(\d+-\d+(?:\.\d+)*):\d+\.\d+$/.exec(path);
  return m?.[1] ?? null;
}

interface Group {
  readonly key: string;
  readonly entries: HidDevice[];
  readonly paths: Set<string>;
  readonly interfaceNumbers: Set<number>;
}

/**
 * Groups HID entries into physical devices. Entries with the same path are
 * one interface (hidapi lists each top-level usage). Devices are told apart
 * by vendor/product, serial and (libusb paths) bus port; within those, an
 * interface number seen twice means a second device, which separates two
 * identical tokens that expose no serial (hidraw paths, `/dev/hidrawN`, say
 * nothing about the device). An entry with no interface number and a new
 * path is counted as a device of its own.
 */
function groupDevices(devices: readonly HidDevice[]): Group[] {
  const groups: Group[] = [];
  for (const d of devices) {
    if (d.path !== undefined && d.path !== '') {
      const samePath = groups.find((g) => g.paths.has(d.path ?? ''));
      if (samePath !== undefined) {
        samePath.entries.push(d);
        continue;
      }
    }
    const key = [hex4(d.vendorId), hex4(d.productId), d.serialNumber ?? '', libusbPort(d.path) ?? ''].join('|');
    const n = knownInterface(d.interface);
    let group = n === null ? undefined : groups.find((g) => g.key === key && !g.interfaceNumbers.has(n));
    if (group === undefined) {
      group = { key, entries: [], paths: new Set(), interfaceNumbers: new Set() };
      groups.push(group);
    }
    group.entries.push(d);
    if (d.path !== undefined && d.path !== '') group.paths.add(d.path);
    if (n !== null) group.interfaceNumbers.add(n);
  }
  return groups;
}

function firstString(entries: readonly HidDevice[], pick: (d: HidDevice) => string | undefined): string | null {
  for (const d of entries) {
    const s = nonEmpty(pick(d));
    if (s !== null) return s;
  }
  return null;
}

function deviceLabel(entry: Pick<TokenEntry, 'vendorId' | 'productId' | 'model' | 'product'>): string {
  const name = entry.model ?? entry.product;
  return `${entry.vendorId}:${entry.productId}` + (name === null ? '' : ` (${name})`);
}

function toEntry(g: Group): TokenEntry {
  const first = g.entries[0];
  // A group is created with its first entry.
  if (first === undefined) throw new Error('empty device group');
  const { vendor, model } = recognize(first.vendorId, first.productId);
  const interfaces: TokenInterface[] = g.entries.map((d) => ({
    interface: knownInterface(d.interface),
    usagePage: d.usagePage === undefined ? null : hex4(d.usagePage),
    usage: d.usage === undefined ? null : hex4(d.usage),
    kind: usageKind(d.usagePage, d.usage),
    path: nonEmpty(d.path),
  }));
  const keyboard = g.entries.some((d) => isKeyboardUsage(d.usagePage, d.usage));
  const base = {
    vendorId: hex4(first.vendorId),
    productId: hex4(first.productId),
    vendor: vendor?.vendor ?? null,
    model: model?.model ?? null,
    product: firstString(g.entries, (d) => d.product),
    manufacturer: firstString(g.entries, (d) => d.manufacturer),
    serial: firstString(g.entries, (d) => d.serialNumber),
    keyboard,
    interfaces,
  };
  const notes: string[] = [];
  const warnings: string[] = [];
  if (keyboard) {
    if (model === null) {
      warnings.push(UNEXPECTED_KEYBOARD_WARNING);
    } else if (!model.keyboard) {
      warnings.push(
        `unexpected keyboard: a ${model.model} presents no keyboard, so this may be another device using its USB IDs (they can be forged); ` +
          'an unknown HID keyboard on an air-gapped host is a BadUSB risk; unplug it unless you know what it is'
      );
    } else {
      notes.push(vendor?.keyboardNote ?? 'keyboard interface: known for this model');
    }
  }
  if (base.serial === null && model !== null) {
    notes.push('serial not exposed over HID: read it over PKCS#11 or PC/SC (CCID) instead');
  }
  return { ...base, notes, warnings };
}

/**
 * The inventory of HID devices: one entry per physical device, recognised
 * tokens named, keyboards flagged, and a BadUSB warning for every keyboard
 * that is not a known token (or that claims a token's IDs while that token
 * has no keyboard).
 */
export function inventory(devices: readonly HidDevice[]): TokenInventory {
  const tokens = groupDevices(devices).map(toEntry);
  return {
    tokens,
    warnings: tokens.flatMap((t) => t.warnings.map((w) => `${deviceLabel(t)}: ${w}`)),
    devices: tokens.length,
    recognized: tokens.filter((t) => t.model !== null).length,
    hidInterfaces: devices.length,
  };
}
