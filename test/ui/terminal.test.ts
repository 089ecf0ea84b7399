// SPDX-License-Identifier: Apache-2.0
/**
 * Issue 14 §0 in a real terminal (tmux): a coordinator's crafted root request
 * adds an attacker's key to root, drops the root threshold to 1, makes that
 * key the only targets key, and carries fifteen unknown `signed` fields whose
 * values are cursor-up, carriage-return and erase-line escapes meant to
 * redraw the review as an honest expiry-only change. The keyholder's screen,
 * as tmux renders it, must show the true changes and the escapes as text.
 * Skips without tmux (fails under CI=true).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { makeRequest } from '../../src/ceremony/request.js';
import type { Root } from '../../src/metadata/model.js';
import { parseMetadata } from '../../src/metadata/parse.js';
import { CEREMONY_NOW, CEREMONY_PASS, ceremonyFixture, type CeremonyFixture } from '../support/ceremony.js';
import { testKey } from '../support/keys.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TTY_MAIN = resolve(HERE, '../support/tty-main.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = !hasTmux && process.env['CI'] !== 'true' ? 'tmux is not installed (apt-get install tmux)' : false;

/** A tmux server of our own (its own socket), one session 120 × 50. */
class Terminal {
  readonly socket = `tuf-ceremony-test-${String(process.pid)}-${String(Math.floor(Math.random() * 1e9))}`;
  private tmux(args: readonly string[]): string {
    const r = spawnSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  start(script: string): void {
    this.tmux(['new-session', '-d', '-x', '120', '-y', '50', `bash ${script}`]);
  }
  /** The screen as text (wrapped lines joined), with the lines scrolled above it when `history`. */
  screen(history = false): string {
    return this.tmux(['capture-pane', '-p', '-J', ...(history ? ['-S', '-'] : [])]);
  }
  keys(...keys: string[]): void {
    this.tmux(['send-keys', ...keys]);
  }
  async waitFor(re: RegExp, ms = 30_000): Promise<string> {
    const until = Date.now() + ms;
    let s = '';
    while (Date.now() < until) {
      s = this.screen();
      if (re.test(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`the screen never showed ${String(re)}; it shows:\n${s}`);
  }
  stop(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

/** What the attacker's fields say: up one line, to column 0, erase it, write an honest-looking line. */
function redraw(i: number): string {
  const fake = ['Root role: unchanged, 2 of 3 keys', 'Targets role: unchanged, 2 of 3 keys', 'Warnings: none', 'Expires: only the expiry changes'];
  return `\u001b[${String(3 + i)}A\r\u001b[2K${fake[i % fake.length] ?? ''}\u001b[999B`;
}

describe('the crafted request in a real terminal (tmux)', { skip }, () => {
  let base: string;
  let fx: CeremonyFixture;
  let req: string;
  let mallory: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-tty-'));
    fx = await ceremonyFixture(base);
    const trusted = parseMetadata(await readFile(join(fx.ws, 'metadata', '1.root.json')), '1.root.json', 'root');
    const t = trusted.signed;
    const m = testKey('tty/mallory');
    mallory = m.keyid;
    const signed: Root & Record<string, unknown> = {
      ...t,
      version: 2,
      expires: '2031-06-01T12:00:00Z',
      keys: { ...t.keys, [m.keyid]: m.tuf },
      roles: { ...t.roles, root: { keyids: [...(t.roles['root']?.keyids ?? []), m.keyid], threshold: 1 }, targets: { keyids: [m.keyid], threshold: 1 } },
    };
    for (let i = 0; i < 15; i++) signed[`x-note-${String(i).padStart(2, '0')}`] = redraw(i);
    // The coordinator labels the attacker's key with a keyholder's name in the request's map.
    const keyholders = Object.fromEntries([[m.keyid, 'carol']]);
    const request = makeRequest({ signed, trustedRoot: trusted, keyholders, createdMs: CEREMONY_NOW, workspace: 'fixture' });
    req = join(fx.home('alice'), 'crafted.request.json');
    // Written the way an attacker would, not by our writer (which refuses control characters).
    await writeFile(req, JSON.stringify(request, null, 2));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function run(args: string): Promise<Terminal> {
    const script = join(base, `run-${String(Math.random()).slice(2)}.sh`);
    await writeFile(
      script,
      [
        'export TERM=xterm-256color NO_COLOR=',
        `export TUF_CEREMONY_TEST_NOW=${String(CEREMONY_NOW)} TUF_CEREMONY_PASSPHRASE='${CEREMONY_PASS}'`,
        `cd '${fx.home('alice')}'`,
        `'${process.execPath}' '${TTY_MAIN}' ${args}`,
        'echo "EXIT=$?"',
        'sleep 600',
        '',
      ].join('\n')
    );
    const term = new Terminal();
    term.start(script);
    return term;
  }

  function assertTrueChanges(screen: string): void {
    assert.match(screen, /root {7}2 of 3 → 1 of 4 {2}\(keys \+1\)/);
    assert.match(screen, /targets {4}2 of 3 → 1 of 1 {2}\(keys \+1 −3\)/);
    assert.match(screen, /WARNING: root role threshold lowered 2 → 1/);
    assert.match(screen, /WARNING: targets role threshold lowered 2 → 1/);
    assert.match(screen, /WARNING: 15 fields that TUF does not define in "signed"/);
    assert.match(screen, new RegExp(`"carol"\\? \\(an unbound label from the request, not covered by the hash\\) \\(ed25519 key ${mallory.slice(0, 16)}\\)`));
    assert.match(screen, /WARNING: root role: 1 key added with no name bound in the signed key/);
    // The fake lines never reach the screen as lines of their own.
    assert.doesNotMatch(screen, /^Warnings: none$/m);
    assert.doesNotMatch(screen, /^Root role: unchanged, 2 of 3 keys$/m);
  }

  it('the summary, then the details in less, then the prompt with the full hash: the true changes on screen; declining signs nothing', async () => {
    const term = await run(`sign crafted.request.json --key alice.key`);
    try {
      // less shows the summary again, then the details with the escapes as text.
      // (Waiting for the very text: less may still be drawing when a capture is taken.)
      const inLess = await term.waitFor(/\\u\{1B\}\[3A\\u\{D\}\\u\{1B\}\[2KRoot role: unchanged/);
      assert.match(inLess, /x-note-00/);
      term.keys('q');
      // (The prompt library wraps its own line at the terminal's width.)
      const atPrompt = await term.waitFor(/Sign root version 2, SHA-256 (?:[0-9a-f]{4} ){15}[0-9a-f]{4}, as\s+alice\?/);
      assertTrueChanges(atPrompt);
      const hash = /SHA-256 of the bytes you sign: ((?:[0-9a-f]{4} ){15}[0-9a-f]{4})/.exec(atPrompt)?.[1];
      assert.ok(hash !== undefined && new RegExp(`Sign root version 2, SHA-256 ${hash}, as\\s+alice\\?`).test(atPrompt), atPrompt);
      term.keys('n', 'Enter');
      const done = await term.waitFor(/EXIT=\d+/);
      assert.match(done, /EXIT=130/);
    } finally {
      term.stop();
    }
  });

  it('--full: everything at once, the escapes shown as text, nothing redrawn', async () => {
    const term = await run(`sign crafted.request.json --key alice.key --full`);
    try {
      await term.waitFor(/Sign root version 2, SHA-256/);
      const atPrompt = term.screen(true);
      assertTrueChanges(atPrompt);
      assert.match(atPrompt, /Field "x-note-14": added "\\u\{1B\}\[17A\\u\{D\}\\u\{1B\}\[2K/);
      term.keys('n', 'Enter');
      assert.match(await term.waitFor(/EXIT=\d+/), /EXIT=130/);
    } finally {
      term.stop();
    }
  });
});

describe('target paths people cannot tell apart', () => {
  let base: string;
  let fx: CeremonyFixture;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'tuf-ceremony-paths-'));
    fx = await ceremonyFixture(base, ['alice', 'bob', 'carol']);
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('targets add refuses a bidi override, a zero-width space, NFD, and a path that differs from a listed one only by case or normalization', async () => {
    await fx.ok(fx.ws, ['targets', 'draft']);
    const file = join(base, 'release.tar.gz');
    await writeFile(file, 'release');
    await fx.ok(fx.ws, ['targets', 'add', file, '--path', 'pkg/Caf\u00e9.tar.gz']);
    const cases: [string, RegExp][] = [
      ['pkg/evil\u202Ezg.rat.exe', /hidden characters \(pkg\/evil\\u\{202E\}zg\.rat\.exe\)/],
      ['pkg/a\u200Bb.tar.gz', /hidden characters \(pkg\/a\\u\{200B\}b\.tar\.gz\)/],
      ['pkg/Cafe\u0301-2.tar.gz', /normal form NFC/],
      ['pkg/caf\u00e9.tar.gz', /differs from the target path "pkg\/Caf\u00e9\.tar\.gz" only by case or Unicode normalization/],
    ];
    for (const [path, message] of cases) {
      const r = await fx.run(fx.ws, ['targets', 'add', file, '--path', path]);
      assert.equal(r.code, 2, `${JSON.stringify(path)}: ${r.stderr}`);
      assert.match(r.stderr, message, JSON.stringify(path));
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.stderr, /[\u202e\u200b\u0000-\u0009\u000b-\u001f]/u, 'the path is shown escaped');
    }
  });
});
