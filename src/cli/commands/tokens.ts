// SPDX-License-Identifier: Apache-2.0
/** `tuf-ceremony tokens [--json]`: the USB HID devices connected, tokens named, keyboards flagged. */
import { inventory, type HidEnumerator, type TokenEntry, type TokenInventory } from '../../devices/tokens.js';
import { COLOR, PLAIN, type Style } from '../../ui/render.js';
import type { GlobalOptions, Io } from '../io.js';

/**
 * Device strings come from the device: a hostile one can name itself with
 * terminal escapes or bidi overrides. Show those as `\u{…}` escapes.
 */
export function printable(s: string): string {
  return Array.from(s, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return isUnsafe(cp) ? `\\u{${cp.toString(16)}}` : c;
  }).join('');
}

/** C0 and C1 controls (ESC, CSI…), and the bidi marks and overrides. */
function isUnsafe(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

function plural(n: number, one: string, many: string): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

function title(t: TokenEntry): string {
  if (t.model !== null) return t.model;
  return t.vendor === null ? 'unknown' : `unknown ${t.vendor} model`;
}

function interfacesText(t: TokenEntry): string {
  return t.interfaces.map((i) => (i.interface === null ? i.kind : `${String(i.interface)} ${i.kind}`)).join(', ');
}

/** The human inventory: one block per device, then a summary line. Pure. */
export function renderTokenInventory(inv: TokenInventory, style: Style): string[] {
  if (inv.tokens.length === 0) return ['no tokens found'];
  const lines: string[] = [];
  for (const t of inv.tokens) {
    const name = title(t);
    const head = t.warnings.length > 0 ? style.bad(name) : t.model !== null ? style.ok(name) : name;
    lines.push(`${head}  ${t.vendorId}:${t.productId}`);
    const maker = t.manufacturer === null ? '' : ` (${printable(t.manufacturer)})`;
    lines.push(`  product: ${t.product === null ? style.dim('no product string') : printable(t.product)}${maker}`);
    lines.push(`  serial: ${t.serial === null ? style.dim('serial not exposed over HID') : printable(t.serial)}`);
    lines.push(`  interfaces: ${interfacesText(t)}`);
    for (const n of t.notes) lines.push(`  ${style.dim('note:')} ${n}`);
    for (const w of t.warnings) lines.push(`  ${style.warn('warning:')} ${w}`);
    lines.push('');
  }
  const found = inv.recognized === 0 ? 'no known tokens' : plural(inv.recognized, 'known token', 'known tokens');
  lines.push(`${found} among ${plural(inv.devices, 'HID device', 'HID devices')}`);
  return lines;
}

/**
 * Lists the connected USB HID devices through the enumerator, names the
 * known security tokens, and warns on stderr about keyboards that are not
 * known tokens (BadUSB). Always exit 0: an inventory, not a check.
 * @param enumerator creates the enumerator, e.g. `loadNodeHidEnumerator`
 * @throws EnvironmentError (exit 3) from the enumerator when node-hid or its
 *   native libraries are missing
 */
export async function runTokens(global: GlobalOptions, io: Io, enumerator: () => Promise<HidEnumerator>): Promise<number> {
  const devices = await (await enumerator()).list();
  const inv = inventory(devices);
  if (global.json) {
    io.stdout(JSON.stringify({ ok: true, ...inv }, null, 2) + '\n');
  } else {
    const style = global.color ? COLOR : PLAIN;
    io.stdout(renderTokenInventory(inv, style).join('\n') + '\n');
  }
  // Warnings go to stderr in both modes: an operator piping --json into the
  // audit log must still see them.
  for (const w of inv.warnings) io.stderr(`warning: ${printable(w)}\n`);
  return 0;
}
