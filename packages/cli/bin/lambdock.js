#!/usr/bin/env node
// Thin launcher so the bin exists (and is executable) before the TypeScript build.
// The SDK's notice about Node 20 support is for developers of the SDK's users, not for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/main.js');

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 1; },
);
