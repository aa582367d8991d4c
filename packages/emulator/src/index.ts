export { startEmulator } from './emulator.js';
export type { Emulator, EmulatorOptions } from './emulator.js';
export { parseConfig, USAGE, UsageError, BOOTSTRAP_CANDIDATES } from './config.js';
export type { EmulatorConfig } from './config.js';
export { humanLogger } from './log.js';
