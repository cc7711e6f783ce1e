// JUnit XML for CI job pages: one <testsuite> for the budget, one for the regression check, one
// <testcase> per assertion with a <failure message="..."> when it failed.

/** Escapes text for XML content and attribute values; drops characters XML 1.0 forbids. */
export function escapeXml(/** @type {unknown} */ value) {
  return (
    String(value)
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
      .replace(/\t/g, '&#9;')
  );
}

/**
 * A case that could not be judged (the run did not complete) has `error: true`: it is written as
 * <error>, which CI pages show apart from failed assertions.
 * @typedef {{ name: string, classname: string, pass: boolean, message: string, details?: string, error?: boolean }} JUnitCase
 * @typedef {{ name: string, cases: JUnitCase[] }} JUnitSuite
 */

/**
 * @param {JUnitSuite[]} suites
 * @param {{ name?: string, timeSec?: number }} [options]
 * @returns {string}
 */
export function junitXml(suites, { name = 'webllm-monitor', timeSec = 0 } = {}) {
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failed = (/** @type {JUnitCase[]} */ cases) => cases.filter((c) => !c.pass && !c.error).length;
  const errored = (/** @type {JUnitCase[]} */ cases) => cases.filter((c) => !c.pass && c.error).length;
  const failures = suites.reduce((n, s) => n + failed(s.cases), 0);
  const errors = suites.reduce((n, s) => n + errored(s.cases), 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="${escapeXml(name)}" tests="${total}" failures="${failures}" errors="${errors}" time="${timeSec.toFixed(3)}">`);
  for (const s of suites) {
    lines.push(
      `  <testsuite name="${escapeXml(s.name)}" tests="${s.cases.length}" failures="${failed(s.cases)}" errors="${errored(s.cases)}" skipped="0" time="0">`,
    );
    for (const c of s.cases) {
      const open = `    <testcase name="${escapeXml(c.name)}" classname="${escapeXml(c.classname)}" time="0"`;
      if (c.pass) {
        lines.push(`${open}>`);
        lines.push(`      <system-out>${escapeXml(c.message)}</system-out>`);
        lines.push('    </testcase>');
      } else {
        lines.push(`${open}>`);
        const [tag, type] = c.error ? ['error', 'CliError'] : ['failure', 'AssertionError'];
        lines.push(`      <${tag} message="${escapeXml(c.message)}" type="${type}">${escapeXml(c.details ?? c.message)}</${tag}>`);
        lines.push('    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
