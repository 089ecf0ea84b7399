// SPDX-License-Identifier: Apache-2.0
/**
 * A picture of the trust: a root's roles, their keys by
 * keyholder name and their thresholds, old → new, as inline SVG — no
 * scripts, no external resources, sized for A4. Keys that join are green
 * with `+`, keys that leave red, struck through, with `−`; keys on hardware
 * (where known) are marked "token". Pure: roots in, text out; every name
 * from a file is escaped for the terminal's rules and then for XML.
 */
import { TOP_LEVEL_ROLES, own, type Root, type RoleKeys } from '../metadata/model.js';
import { showText } from './escape.js';

export interface TrustPictureArgs {
  /** The root trusted before (null: a first root). */
  readonly previous: Root | null;
  readonly next: Root;
  readonly names: (keyid: string) => string | undefined;
  /**
   * True: on a hardware token; `attested`: generated on a hardware token, as
   * its verified attestation says; false: a key file; undefined: not known.
   */
  readonly hardware: (keyid: string) => boolean | 'attested' | undefined;
}

/** Text safe inside SVG/HTML: hidden characters shown as `\u{…}`, markup escaped. */
export function xmlText(s: string): string {
  return showText(s).replace(/[&<>"']/g, (c) => `&#${String(c.charCodeAt(0))};`);
}

const COL_W = 165;
const GAP = 10;
const ROW_H = 22;
const HEAD_H = 52;
const WIDTH = TOP_LEVEL_ROLES.length * COL_W + (TOP_LEVEL_ROLES.length - 1) * GAP;

const MARK = new Map<boolean | 'attested' | undefined, string>([
  [true, ' · token'],
  ['attested', ' · attested'],
  [false, ' · file'],
]);
const LEGEND = new Map<boolean | 'attested', string>([
  [true, 'token: key on a hardware token'],
  ['attested', 'attested: generated on a hardware token (attestation verified)'],
  [false, 'file: an encrypted key file'],
]);

function threshold(r: RoleKeys | undefined): string {
  return r === undefined ? 'none' : `${String(r.threshold)} of ${String(r.keyids.length)}`;
}

/** The SVG element (a string), 680 px wide: four role columns, one row per key. */
export function trustPictureSvg(a: TrustPictureArgs): string {
  const cols = TOP_LEVEL_ROLES.map((role) => {
    const before = a.previous === null ? undefined : own(a.previous.roles, role);
    const after = own(a.next.roles, role);
    const old = before?.keyids ?? [];
    const now = after?.keyids ?? [];
    const rows = [
      ...now.map((k) => ({ keyid: k, change: a.previous === null || old.includes(k) ? 'kept' : 'joins' })),
      ...old.filter((k) => !now.includes(k)).map((k) => ({ keyid: k, change: 'leaves' })),
    ];
    const moved = a.previous === null ? threshold(after) : threshold(before) === threshold(after) ? `${threshold(after)} (unchanged)` : `${threshold(before)} → ${threshold(after)}`;
    return { role, moved, rows };
  });
  const marks = new Set(cols.flatMap((c) => c.rows.map((r) => a.hardware(r.keyid))));
  const height = HEAD_H + Math.max(1, ...cols.map((c) => c.rows.length)) * ROW_H + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${String(WIDTH)} ${String(height)}" width="100%" role="img" aria-label="root roles, keys and thresholds" font-family="sans-serif" font-size="11">`,
  ];
  cols.forEach((c, i) => {
    const x = i * (COL_W + GAP);
    parts.push(`<rect x="${String(x)}" y="0" width="${String(COL_W)}" height="${String(height - 30)}" fill="#f6f6f6" stroke="#888"/>`);
    parts.push(`<text x="${String(x + 8)}" y="18" font-weight="bold" font-size="13">${xmlText(c.role)}</text>`);
    parts.push(`<text x="${String(x + 8)}" y="36">threshold ${xmlText(c.moved)}</text>`);
    c.rows.forEach((r, j) => {
      const y = HEAD_H + j * ROW_H;
      const name = a.names(r.keyid);
      const hw = a.hardware(r.keyid);
      const label = `${r.change === 'joins' ? '+ ' : r.change === 'leaves' ? '− ' : ''}${name ?? 'no name'} ${r.keyid.slice(0, 8)}${MARK.get(hw) ?? ''}`;
      const fill = r.change === 'joins' ? '#dff3df' : r.change === 'leaves' ? '#f8dede' : '#ffffff';
      const stroke = r.change === 'joins' ? '#2a7a2a' : r.change === 'leaves' ? '#a02020' : '#999';
      parts.push(`<rect x="${String(x + 6)}" y="${String(y)}" width="${String(COL_W - 12)}" height="${String(ROW_H - 4)}" rx="3" fill="${fill}" stroke="${stroke}"${r.change === 'leaves' ? ' stroke-dasharray="3 2"' : ''}/>`);
      parts.push(
        `<text x="${String(x + 10)}" y="${String(y + 13)}"${r.change === 'leaves' ? ' text-decoration="line-through"' : ''}>${xmlText(label.length > 30 ? `${label.slice(0, 29)}…` : label)}</text>`
      );
    });
  });
  parts.push(
    `<text x="0" y="${String(height - 10)}" font-size="10">${xmlText([...(a.previous === null ? [] : ['+ joins (green) · − leaves (red, struck through)']), ...[...LEGEND].filter(([m]) => marks.has(m)).map(([, t]) => t)].join(' · '))}</text>`,
    '</svg>'
  );
  return parts.join('\n');
}

/** A self-contained A4 HTML page holding the picture (no scripts, no external resources). */
export function trustPictureHtml(title: string, lines: readonly string[], svg: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${xmlText(title)}</title>`,
    '<style>@page { size: A4; margin: 15mm; } body { font-family: sans-serif; font-size: 11pt; max-width: 180mm; } svg { max-width: 180mm; }</style>',
    '</head><body>',
    `<h1>${xmlText(title)}</h1>`,
    ...lines.map((l) => `<p>${xmlText(l)}</p>`),
    svg,
    '</body></html>',
    '',
  ].join('\n');
}
