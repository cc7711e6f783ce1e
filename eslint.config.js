// `npm run lint` (scripts/lint.sh): the recommended rules of ESLint over every JS file of the
// repository, with the globals of where each runs; layout is Prettier's (.prettierrc.json).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/**
 * ESLint 9 does not count `<App />` as a use of `App` (eslint-plugin-react's jsx-uses-vars does;
 * the demo's two .jsx files are all the JSX there is, not worth the plugin): marks the variable a
 * JSX element names (`App` of `<App>`, `ui` of `<ui.Button>`) as used. Lower-case names are tags.
 */
const jsxUsesVars = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    return {
      JSXOpeningElement(node) {
        let name = node.name;
        while (name.type === 'JSXMemberExpression') name = name.object;
        if (name.type === 'JSXIdentifier' && (name !== node.name || /^[A-Z]/.test(name.name))) context.sourceCode.markVariableAsUsed(name.name, node);
      },
    };
  },
};

export default [
  // As .gitignore: built, generated or written by runs.
  {
    ignores: [
      'dist/',
      'build/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'coverage/',
      'bench-results/',
      'bench/.build/',
      'demo/dist/',
      'fuzz/corpus/',
      '.cache/',
    ],
  },
  js.configs.recommended,
  prettier,
  {
    files: ['**/*.{js,mjs,jsx}'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.node, ...globals.worker },
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // ignoreRestSiblings: `const { id, ...rest } = x` is how this code leaves fields out.
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.jsx'],
    plugins: { local: { rules: { 'jsx-uses-vars': jsxUsesVars } } },
    rules: { 'local/jsx-uses-vars': 'error' },
  },
];
