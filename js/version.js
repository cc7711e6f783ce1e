// The package version (kept equal to package.json's by tests/js/otlp.test.mjs): the OTLP
// instrumentation scope's version and telemetry.sdk.version.
export const VERSION = '0.1.0';

/** Version of the export document this build writes and reads (`schemaVersion` in exports):
 * schema/description.mjs holds it, through the module generated from it. */
export { schemaVersion } from './generated/description.js';
