// SPDX-License-Identifier: Apache-2.0
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The rules of a pure part of the core (`what`): no file system, process, clock, randomness, nor the `edges` modules. */
function pureRules(what, edges) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['node:*', '!node:crypto', '!node:buffer'], message: `${what} is pure: only node:crypto and node:buffer are allowed.` },
          { group: edges, message: `${what} must not import the edges.` },
        ],
      },
    ],
    'no-restricted-globals': ['error', 'process', 'setTimeout', 'setInterval', 'fetch'],
    'no-restricted-properties': [
      'error',
      { object: 'Date', property: 'now', message: 'Pass the reference time in.' },
      { object: 'Math', property: 'random', message: 'The core has no randomness.' },
    ],
    'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Pass the reference time in.' }],
  };
}

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'release/**', 'eslint.config.js', 'bin/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/require-await': 'error',
      'no-console': 'error',
    },
  },
  {
    // The pure core: no file system, process, clock, terminal or network.
    files: ['src/metadata/**/*.ts'],
    rules: pureRules('src/metadata', ['../cli/*', '../store/*', '../ui/*']),
  },
  {
    // The guided-run engine is pure too: the workspace, the terminal and the clock come in through RunEffects.
    files: ['src/ceremony/run-engine.ts', 'src/ceremony/run-steps.ts', 'src/ceremony/run-state.ts', 'src/ceremony/run-output.ts', 'src/ceremony/run-recovery.ts'],
    rules: pureRules('the run engine', ['../cli/*', '../store/*', '../ui/*', '../crypto/*']),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-floating-promises': 'off' },
  }
);
