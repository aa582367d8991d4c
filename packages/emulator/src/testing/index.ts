export { spawnEmulator, invoke, CLI_ENTRY } from './process.js';
export type { EmulatorProcess, EmulatorProcessOptions, InvokeReply } from './process.js';
export { ensureOfficialRic, officialRicCacheDir, OFFICIAL_RIC_VERSION } from './official-ric.js';
export type { OfficialRic } from './official-ric.js';
