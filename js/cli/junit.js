// JUnit XML for CI job pages: one <testsuite> for the budget, one for the regression check, one
// <testcase> per assertion with a <failure message="..."> when it failed.

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(/** @type {unknown} */ value) {
  return String(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

/**
 * @typedef {{ name: string, classname: string, pass: boolean, message: string, details?: string }} JUnitCase
 * @typedef {{ name: string, cases: JUnitCase[] }} JUnitSuite
 */

/**
 * @param {JUnitSuite[]} suites
 * @param {{ name?: string, timeSec?: number }} [options]
 * @returns {string}
 */
export function junitXml(suites, { name = 'webllm-monitor', timeSec = 0 } = {}) {
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => !c.pass).length, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="${escapeXml(name)}" tests="${total}" failures="${failures}" errors="0" time="${timeSec.toFixed(3)}">`);
  for (const s of suites) {
    const f = s.cases.filter((c) => !c.pass).length;
    lines.push(`  <testsuite name="${escapeXml(s.name)}" tests="${s.cases.length}" failures="${f}" errors="0" skipped="0" time="0">`);
    for (const c of s.cases) {
      const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="0"`;
      if (c.pass) {
        lines.push(`${open}>`);
        lines.push(`      <system-out>${escapeXml(c.message)}</system-out>`);
        lines.push('    </testcase>');
      } else {
        lines.push(`${open}>`);
        lines.push(`      <failure message="${escapeXml(c.message)}" type="AssertionError">${escapeXml(c.details ?? c.message)}</failure>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
