import type { ClientConfig } from './config.js';
import type { Output } from './output.js';

export type Flags = Record<string, string | boolean | undefined>;

export interface CommandContext {
  args: string[];
  flags: Flags;
  out: Output;
  config: ClientConfig;
}
