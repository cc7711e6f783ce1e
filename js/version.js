// The package version (kept equal to package.json's by tests/js/otlp.test.mjs): the OTLP
// instrumentation scope's version and telemetry.sdk.version.
export const VERSION = '0.1.0';
