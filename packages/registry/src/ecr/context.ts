import type { Logger } from '@lambdock/common';
import type { RegistryCore } from '../core.js';
import type { TokenIssuer } from '../auth/tokens.js';

export interface EcrContext {
  core: RegistryCore;
  tokens: TokenIssuer;
  log: Logger;
}

/** One ECR operation: validated JSON input in, JSON output out; throws EcrError. */
export type EcrOperation = (ctx: EcrContext, input: Record<string, unknown>) => Promise<unknown>;
