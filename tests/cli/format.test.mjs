// Unit tests of js/cli/format.js: the two styles of formatNumber, formatRate and formatP, on the
// values that tell their rules apart (no core, no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumber, formatP, formatRate } from '../../js/cli/format.js';
import { formatJudged } from '../../js/cli/budget.js';

// [value, default style (measurements), precise style (a value beside its limit)]
const CASES = [
  [0, '0', '0'],
  [5, '5.00', '5'],
  [1.5, '1.50', '1.5'],
  [12, '12.0', '12'],
  [12.345, '12.3', '12.35'],
  [99.995, '100.0', '100'],
  [800, '800', '800'],
  [800.4, '800', '800.4'],
  [123.45, '123', '123.5'],
  [-100.5, '-100', '-100.5'],
  [0.5, '0.5', '0.5'],
  [0.000123456, '0.000123', '0.000123'],
  [1.5e-7, '1.50e-7', '1.5e-7'],
  [Infinity, 'Infinity', 'Infinity'],
  [-Infinity, '-Infinity', '-Infinity'],
];

test('formatNumber: fixed decimals by magnitude by default, only the digits a value needs when precise', () => {
  for (const [v, plain, precise] of CASES) {
    assert.equal(formatNumber(v), plain, `formatNumber(${v})`);
    assert.equal(formatNumber(v, { precise: true }), precise, `formatNumber(${v}, { precise: true })`);
    assert.equal(formatJudged(v), precise, `formatJudged(${v})`);
  }
});

test('formatNumber: absent values', () => {
  for (const v of [null, undefined]) {
    assert.equal(formatNumber(v), '–');
    assert.equal(formatNumber(v, { precise: true }), '–');
    assert.equal(formatNumber(v, { absent: 'n/a' }), 'n/a');
    assert.equal(formatJudged(v), 'null');
  }
  assert.equal(formatNumber(NaN), '–');
  assert.equal(formatNumber(NaN, { precise: true }), 'NaN');
});

test('formatRate and formatP', () => {
  assert.equal(formatRate(0.125), '12.5%');
  assert.equal(formatRate(0), '0.0%');
  assert.equal(formatRate(null), '–');
  assert.equal(formatRate(undefined), '–');
  assert.equal(formatP(0.01234567), '0.0123');
  assert.equal(formatP(0.00001234), '1.2e-5');
  assert.equal(formatP(null), '–');
});
