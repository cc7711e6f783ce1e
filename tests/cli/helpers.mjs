// What the CLI suites share (not a test file): a command called directly with captured streams.

/** A writable stand-in that keeps the text written to it. */
function textSink() {
  return {
    text: '',
    write(s) {
      this.text += s;
      return true;
    },
  };
}

/**
 * Runs a command (`fn(argv, { stdout, stderr })`, e.g. runCompare) with both streams captured.
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export async function run(fn, argv) {
  const stdout = textSink();
  const stderr = textSink();
  const code = await fn(argv, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
