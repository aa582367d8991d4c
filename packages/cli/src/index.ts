export { main, explain } from './main.js';
export { createOutput, CliError } from './output.js';
export type { Output, Progress } from './output.js';
export { clientConfig, lambdockHome, DEFAULT_API_PORT, DEFAULT_REGISTRY_PORT } from './config.js';
export type { ClientConfig } from './config.js';
