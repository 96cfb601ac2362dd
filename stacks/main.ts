import { herdApp, withoutSourceMaps } from './app.ts';
import { ConfigError } from './environment/errors.ts';

// cdktf runs this file to synthesize (cdktf.json "app"). A wrong environment file
// is reported like `herd validate` does, not as a stack trace.
try {
  withoutSourceMaps(() => herdApp().synth());
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} found; nothing was synthesized.\n`);
  process.exitCode = 2;
}
