// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §6: `status --html FILE` draws the root's roles, keys by
 * keyholder name and thresholds, old → new, as inline SVG in a
 * self-contained page (no scripts, no external resources) that headless
 * Chromium prints on A4.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { findChromium, printA4 } from '../support/chromium.js';

describe('status --html: a picture of the trust', () => {
  let base: string;
  let fx: CeremonyFixture;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-status-html-'));
    fx = await ceremonyFixture(base);
    await fx.ok(fx.ws, ['root', 'draft']);
    await fx.ok(fx.ws, ['root', 'add-key', 'root', 'dave']);
    await fx.ok(fx.ws, ['root', 'remove-key', 'root', 'carol']);
    await fx.ok(fx.ws, ['root', 'set-threshold', 'targets', '1']);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('who joins, who leaves, thresholds old → new; no scripts or external resources', async () => {
    await fx.ok(fx.ws, ['status', '--html', 'trust.html']);
    const html = await readFile(join(fx.ws, 'trust.html'), 'utf8');
    assert.match(html, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(html, /Trust of &#34;fixture&#34;: root version 1 → version 2/);
    assert.match(html, />\+ dave [0-9a-f]{8}/);
    assert.match(html, /text-decoration="line-through">− carol [0-9a-f]{8}/);
    assert.match(html, />threshold 2 of 3 → 1 of 3</);
    assert.match(html, />threshold 2 of 3 \(unchanged\)</);
    assert.match(html, />alice [0-9a-f]{8} · file</);
    assert.doesNotMatch(html, /<script|javascript:|https?:\/\/(?!www\.w3\.org\/2000\/svg)|<link|<img|@import/i);
  });

  it('headless Chromium prints it on one A4 page', async (t) => {
    const chromium = findChromium();
    if (chromium === null) {
      t.skip('chromium is not installed (apt-get install chromium)');
      return;
    }
    await fx.ok(fx.ws, ['status', '--html', 'print.html']);
    assert.equal(await printA4(chromium, join(fx.ws, 'print.html'), join(base, 'trust.pdf'), base), 1);
  });
});
