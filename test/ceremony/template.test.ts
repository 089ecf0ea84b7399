// SPDX-License-Identifier: Apache-2.0
/**
 * Ceremony templates (src/ceremony/template.ts) and answers files
 * (src/ceremony/answers.ts): every shipped template checks against the
 * schema; hostile templates and answers are refused naming the file and
 * the field; references expand as documented.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAnswers } from '../../src/ceremony/answers.js';
import {
  expandArgv,
  expandFile,
  expandText,
  isStepEnabled,
  parseTemplate,
  signaturesNeeded,
  STEP_KINDS,
  type Template,
  type VariableValue,
} from '../../src/ceremony/template.js';
import { packageRoot } from '../../src/store/self-hash.js';
import { thrownInputError } from '../support/assert-input.js';

const FILE = 'hostile.yaml';
const SHIPPED = ['add-keyholder', 'bootstrap-root', 'key-compromise-recovery', 'pep458-layout', 'replace-keyholder', 'routine-resign'];

function templatesDir(): string {
  const root = packageRoot();
  assert.ok(root !== null, 'the package root is found from the build');
  return join(root, 'ceremony-templates');
}

/** A small valid template; `patch` edits its text. */
const MINIMAL = `format: tuf-ceremony/template/v1
id: minimal
revision: 1
title: A minimal template
requires: { tool: 0.1.0 }
participants:
  coordinator: { title: Coordinator }
  witnesses: { title: Witness, min: 1, max: 2 }
  keyholders: { title: Keyholder, min: 1, max: 3 }
parameters:
  - { id: plan, type: path, prompt: The plan }
  - { id: extra, type: boolean, prompt: Extra?, default: false }
  - { id: extra_key, type: path, prompt: The extra key, when: extra }
steps:
  - id: look
    title: Look around
    kind: checklist
    actor: coordinator
    say: Look.
    items: [the room is empty]
  - id: draft
    title: Draft
    kind: command
    actor: coordinator
    say: Draft it from \${plan}.
    run: [root, draft, --plan, "\${plan}"]
sign_off:
  statement: Signed.
`;

const parse = (text: string, file = FILE): Template => parseTemplate(Buffer.from(text), file).template;

function refused(text: string, field: string | null, message: RegExp, file = FILE): void {
  const e = thrownInputError(() => parse(text, file));
  assert.equal(e.file, file, e.message);
  assert.equal(e.field ?? null, field, e.message);
  assert.match(e.message, message);
  assert.ok(e.message.startsWith(file), `the message names the file: ${e.message}`);
}

describe('shipped templates', () => {
  test('every file in ceremony-templates/ checks against the schema, its ID is its file name, and the six ceremonies are there', () => {
    const dir = templatesDir();
    const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    assert.deepEqual(files.map((f) => f.replace(/\.yaml$/, '')), SHIPPED);
    for (const f of files) {
      const parsed = parseTemplate(readFileSync(join(dir, f)), f);
      const t = parsed.template;
      assert.equal(`${t.id}.yaml`, f);
      assert.match(parsed.sha256, /^[0-9a-f]{64}$/);
      // What issue 5 §1 asks of every template: preconditions, ordered steps, a sign-off.
      const pre = t.steps.filter((s) => s.precondition);
      assert.ok(pre.some((s) => s.kind === 'checklist' && s.id === 'air-gap'), `${f}: an air-gap checklist`);
      assert.ok(pre.some((s) => s.kind === 'verify' && s.check === 'tool'), `${f}: a tool version and SHA-256 check`);
      assert.ok(pre.some((s) => s.kind === 'verify' && s.check === 'clock'), `${f}: a clock check`);
      assert.ok(pre.some((s) => s.kind === 'device-inventory'), `${f}: a device inventory`);
      assert.ok(t.steps.some((s) => s.kind === 'sign'), `${f}: signatures`);
      assert.ok(t.steps.some((s) => s.kind === 'attest'), `${f}: a witness attestation`);
      assert.ok(t.steps.some((s) => s.on_failure === 'exception-allowed'), `${f}: a step that may continue with an exception`);
      assert.ok(t.sign_off.statement.length > 0);
      assert.ok(t.participants.keyholders.min >= 1 && t.participants.witnesses.min >= 1);
    }
  });

  test('together the shipped templates use every kind of step', () => {
    const kinds = new Set<string>();
    for (const name of SHIPPED) for (const s of parse(readFileSync(join(templatesDir(), `${name}.yaml`), 'utf8'), name).steps) kinds.add(s.kind);
    assert.deepEqual([...kinds].sort(), [...STEP_KINDS].sort());
  });

  test('PEP 458: root t of n with t > 1, targets 2 of 2, 16,384 bins of bit length 14 by the online key, 1-year offline expiry, an optional backsigned role', () => {
    const text = readFileSync(join(templatesDir(), 'pep458-layout.yaml'), 'utf8');
    const t = parse(text, 'pep458-layout.yaml');
    assert.equal(t.participants.keyholders.threshold_min, 2);
    const targetsKeyholders = t.parameters.find((p) => p.id === 'targets_keyholders');
    assert.deepEqual([targetsKeyholders?.min, targetsKeyholders?.max], [2, 2]);
    const plan = t.files.find((f) => f.name === 'root-plan.yaml')?.text ?? '';
    assert.match(plan, /expires: \+365d/);
    assert.match(plan, /targets: \{ threshold: 2, keyholders: \[\$\{targets_keyholders\}\] \}/);
    assert.match(plan, /snapshot: \{ threshold: 1, keys: \[\$\{online_key\}\] \}/);
    assert.match(plan, /timestamp: \{ threshold: 1, keys: \[\$\{online_key\}\] \}/);
    const byId = new Map(t.steps.map((s) => [s.id, s]));
    const bins = byId.get('delegate-bins');
    const binRoles = byId.get('delegate-bin-roles');
    const backsigned = byId.get('delegate-backsigned');
    assert.ok(bins?.kind === 'command' && binRoles?.kind === 'command' && backsigned?.kind === 'command');
    for (const s of [bins, binRoles]) {
      assert.deepEqual(s.run.slice(0, 10), ['targets', 'delegate-bins', '--name-prefix', 'bins', '--bit-length', '14', '--key', '${online_key}', '--threshold', '1']);
    }
    assert.deepEqual([bins.when, binRoles.when, backsigned.when], [
      { parameter: 'backsigned', negate: true },
      { parameter: 'backsigned', negate: false },
      { parameter: 'backsigned', negate: false },
    ]);
    assert.ok(backsigned.run.includes('${backsigned_key}'));
    // backsigned is delegated before the bins, so it is searched first.
    assert.ok(t.steps.indexOf(backsigned) < t.steps.indexOf(binRoles));
    const online = byId.get('online-roles');
    assert.ok(online?.kind === 'checklist' && online.items.some((i) => /expire 1 day/.test(i)));
    const expires = byId.get('expires-targets');
    assert.ok(expires?.kind === 'command');
    assert.deepEqual(expires.run, ['targets', 'expires', '+365d']);
  });
});

describe('parseTemplate refuses hostile templates, naming the file and the field', () => {
  const patch = (from: string, to: string): string => {
    assert.ok(MINIMAL.includes(from), from);
    return MINIMAL.replace(from, to);
  };
  const cases: [string, string, string | null, RegExp][] = [
    ['malformed YAML', 'steps: [\n', null, /not a valid template at line \d+ column \d+/],
    ['a duplicate key', patch('revision: 1\n', 'revision: 1\nrevision: 2\n'), 'revision', /duplicate key/],
    ['a duplicate key in a step', patch('    actor: coordinator\n    say: Look.', '    actor: coordinator\n    actor: witness\n    say: Look.'), 'steps[0].actor', /duplicate key/],
    ['an unknown top-level field', patch('revision: 1\n', 'revision: 1\nauthor: me\n'), 'author', /unknown field \(a template has format, id/],
    ['an unknown step field', patch('    items: [the room is empty]', '    items: [the room is empty]\n    colour: red'), 'steps[0].colour', /unknown field \(a checklist step has/],
    ['a field of another kind', patch('    items: [the room is empty]', '    items: [the room is empty]\n    run: [status]'), 'steps[0].run', /unknown field \(a checklist step/],
    ['an unknown kind', patch('kind: checklist', 'kind: dance'), 'steps[0].kind', /must be one of checklist, command, sign, verify, attest, device-inventory/],
    ['a wrong type', patch('revision: 1', 'revision: "1"'), 'revision', /must be an integer >= 1/],
    ['the wrong format', patch('format: tuf-ceremony/template/v1', 'format: tuf-ceremony/template/v2'), 'format', /must be "tuf-ceremony\/template\/v1"/],
    ['a duplicate step ID', patch('  - id: draft\n', '  - id: look\n'), 'steps[1].id', /duplicate step ID "look" \(also steps\[0\]\)/],
    ['a bad step ID', patch('  - id: draft\n', '  - id: Draft Step\n'), 'steps[1].id', /is not a step ID/],
    ['an unknown reference', patch('say: Look.', 'say: Look at ${nobody}.'), 'steps[0].say', /\$\{nobody\}: no such variable/],
    ['an unclosed reference', patch('say: Look.', 'say: Look at ${plan.'), 'steps[0].say', /without a closing/],
    ['a list inside an argument', patch('--plan, "${plan}"]', '--plan, "x${keyholders}"]'), 'steps[1].run[3]', /is a list: it must be an argument of its own/],
    ['--dir in a command', patch('run: [root, draft,', 'run: [root, --dir=/elsewhere, draft,'), 'steps[1].run[1]', /--dir is not allowed in a template/],
    ['--yes in a command', patch('run: [root, draft,', 'run: [root, draft, --yes,'), 'steps[1].run[2]', /--yes is not allowed/],
    ['a command a step may not run', patch('run: [root, draft,', 'run: [init, draft,'), 'steps[1].run[0]', /"init" is not a command a step may run/],
    ['sign as a command', patch('run: [root, draft,', 'run: [sign, draft,'), 'steps[1].run[0]', /signatures are sign steps/],
    ['a conditional parameter used without its condition', patch('say: Look.', 'say: Look at ${extra_key}.'), 'steps[0]', /\$\{extra_key\} is asked only when extra: this step must have when: extra/],
    ['a condition on a non-boolean', patch('    say: Look.', '    when: plan\n    say: Look.'), 'steps[0].when', /"plan" is not a boolean parameter/],
    ['an attest step by the coordinator', patch('    kind: checklist\n    actor: coordinator\n    say: Look.\n    items: [the room is empty]', '    kind: attest\n    actor: coordinator\n    say: Look.\n    statement: I saw it.'), 'steps[0].actor', /its actor is witness/],
    ['a control character', patch('say: Look.', 'say: "Look\\u001b[2J."'), 'steps[0].say', /control characters/],
    ['no steps at all', patch(MINIMAL.slice(MINIMAL.indexOf('steps:'), MINIMAL.indexOf('sign_off:')), 'steps: []\n'), 'steps', /at least one step/],
    ['a YAML anchor', patch('say: Look.', 'say: &a Look.'), 'steps[0].say', /YAML anchors \(&a\) are not allowed in a template/],
    ['a YAML tag', patch('revision: 1', 'revision: !!int 1'), 'revision', /YAML tags/],
    ['a float', patch('revision: 1', 'revision: 1.5'), 'revision', /not a whole number/],
    ['two documents', MINIMAL + '---\nid: again\n', null, /holds 2 YAML documents; a template is one/],
    ['a bad default', patch('default: false', 'default: maybe'), 'parameters[1].default', /must be true or false/],
    ['a path with a default', patch('{ id: plan, type: path, prompt: The plan }', '{ id: plan, type: path, prompt: The plan, default: plan.yaml }'), 'parameters[0].default', /no default/],
    ['a parameter named like a built-in', patch('{ id: plan,', '{ id: threshold,'), 'parameters[0].id', /is a built-in variable/],
    ['a threshold above the keyholders allowed', patch('{ title: Keyholder, min: 1, max: 3 }', '{ title: Keyholder, min: 1, max: 3, threshold: { min: 4 } }'), 'participants.keyholders.threshold.min', /more than the 3 keyholders allowed/],
    ['a newer format version of the tool', patch('tool: 0.1.0', 'tool: latest'), 'requires.tool', /is not a version such as 0\.1\.0/],
  ];
  for (const [name, text, field, message] of cases) {
    test(name, () => {
      refused(text, field, message);
    });
  }

  test('an oversized template is refused before it is parsed', () => {
    refused(MINIMAL + '# ' + 'x'.repeat(1024 * 1024), null, /more than the 1048576 a template may have/);
  });

  test('a JSON template is read as strict JSON (duplicate keys refused with their path)', () => {
    refused('{"format": "tuf-ceremony/template/v1", "id": "a", "id": "b"}', 'id', /duplicate key/, 'hostile.json');
  });

  test('the minimal template reads, and its SHA-256 is that of its bytes', () => {
    const p = parseTemplate(Buffer.from(MINIMAL), FILE);
    assert.equal(p.template.steps.length, 2);
    assert.equal(p.template.parameters[2]?.when?.parameter, 'extra');
    assert.equal(p.sha256, createHash('sha256').update(MINIMAL).digest('hex'));
  });
});

describe('references', () => {
  const vars = new Map<string, VariableValue>([
    ['keyholders', { type: 'names', value: ['alice', 'bob'] }],
    ['threshold', { type: 'integer', value: 2 }],
    ['plan', { type: 'path', value: '/media/usb/my "plan".yaml' }],
    ['extra', { type: 'boolean', value: false }],
  ]);

  test('text joins lists with commas; an argument that is a whole list reference becomes one argument per item', () => {
    assert.equal(expandText('${keyholders} sign, ${threshold} needed', vars), 'alice, bob sign, 2 needed');
    assert.deepEqual(expandArgv(['keyholder', 'add', '${keyholders}', '--plan=${plan}'], vars), ['keyholder', 'add', 'alice', 'bob', '--plan=/media/usb/my "plan".yaml']);
  });

  test('files get JSON-encoded values, so a value cannot change the YAML around it', () => {
    assert.equal(expandFile('root: { threshold: ${threshold}, keyholders: [${keyholders}] }\nkeys: [${plan}]', vars), 'root: { threshold: 2, keyholders: ["alice", "bob"] }\nkeys: ["/media/usb/my \\"plan\\".yaml"]');
  });

  test('when conditions, and the signatures a sign step needs', () => {
    const t = parse(
      MINIMAL.replace(
        'sign_off:',
        `  - id: sign
    title: Sign
    kind: sign
    role: root
    min: \${threshold}
    actor: keyholders
    when: not extra
    say: Sign.
sign_off:`
      )
    );
    const s = t.steps[2];
    assert.ok(s?.kind === 'sign');
    assert.equal(s.signers, 'keyholders');
    assert.equal(signaturesNeeded(s, vars), 2);
    assert.equal(signaturesNeeded({ ...s, min: null }, vars), 2);
    assert.equal(isStepEnabled(s, vars), true);
    assert.equal(isStepEnabled(s, new Map([...vars, ['extra', { type: 'boolean', value: true }]])), false);
  });
});

describe('parseAnswers', () => {
  const t = parse(MINIMAL);
  const A = 'answers.yaml';
  const answers = (text: string): ReturnType<typeof parseAnswers> => parseAnswers(Buffer.from(text), A, t);
  const refusedAnswers = (text: string, field: string | null, message: RegExp): void => {
    const e = thrownInputError(() => answers(text));
    assert.equal(e.file, A, e.message);
    assert.equal(e.field ?? null, field, e.message);
    assert.match(e.message, message);
  };
  const HEAD = 'format: tuf-ceremony/answers/v1\n';

  test('a complete answers file reads', () => {
    const a = answers(`${HEAD}template: minimal
participants: { coordinator: carol, witnesses: [wendy], keyholders: [alice], threshold: 1 }
parameters: { plan: plan.yaml, extra: false }
steps:
  look: { confirm: [true] }
`);
    assert.equal(a.participants.coordinator, 'carol');
    assert.equal(a.parameters.get('plan'), 'plan.yaml');
    assert.deepEqual(a.steps.get('look')?.confirm, [true]);
  });

  const cases: [string, string, string | null, RegExp][] = [
    ['malformed YAML', '{', null, /not a valid answers file at line/],
    ['a duplicate key', `${HEAD}steps:\n  look: { confirm: true }\n  look: { confirm: false }\n`, 'steps.look', /duplicate key/],
    ['an unknown field', `${HEAD}answer: 42\n`, 'answer', /unknown field \(an answers file has/],
    ['the wrong format', 'format: nope\n', 'format', /must be "tuf-ceremony\/answers\/v1"/],
    ['another template', `${HEAD}template: other\n`, 'template', /for template "other", not "minimal"/],
    ['an unknown step', `${HEAD}steps:\n  dance: { confirm: true }\n`, 'steps.dance', /has no step "dance"/],
    ['an answer the step never asks', `${HEAD}steps:\n  draft: { confirm: true }\n`, 'steps.draft.confirm', /unknown field \(a command step's answers are exception\)/],
    ['an exception for a step that allows none', `${HEAD}steps:\n  look: { exception: because }\n`, 'steps.look.exception', /allows no exception/],
    ['a wrong number of checklist answers', `${HEAD}steps:\n  look: { confirm: [true, true] }\n`, 'steps.look.confirm', /one answer per item \(1\)/],
    ['an unknown parameter', `${HEAD}parameters: { colour: red }\n`, 'parameters.colour', /has no parameter "colour"/],
    ['a parameter of the wrong type', `${HEAD}parameters: { extra: "yes" }\n`, 'parameters.extra', /must be true or false/],
    ['a bad participant name', `${HEAD}participants: { coordinator: "Carol Smith" }\n`, 'participants.coordinator', /is not a name/],
    ['a bad threshold', `${HEAD}participants: { threshold: 0 }\n`, 'participants.threshold', /must be at least 1/],
  ];
  for (const [name, text, field, message] of cases) {
    test(name, () => {
      refusedAnswers(text, field, message);
    });
  }

  test('an oversized answers file is refused', () => {
    refusedAnswers(HEAD + '# ' + 'x'.repeat(1024 * 1024), null, /more than the 1048576 an answers file may have/);
  });
});
