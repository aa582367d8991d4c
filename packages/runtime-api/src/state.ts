import type { TransitionTable } from '@lambdock/common';

/**
 * Lifecycle of one execution environment (one runtime process):
 *
 *   init ──▶ ready ⇄ invoking
 *    │         │        │
 *    ▼         ▼        ▼
 *  init-failed ──▶ shutdown ◀──
 *
 * `ready` means the runtime (and every extension) has asked for its next event and
 * nothing is running; `invoking` lasts from handing an event to the runtime until
 * the runtime and every INVOKE-subscribed extension have asked for the next one.
 * Anything not listed is refused.
 */
export type EnvironmentState = 'init' | 'ready' | 'invoking' | 'init-failed' | 'shutdown';

export const environmentTransitions: TransitionTable<EnvironmentState> = {
  init: ['ready', 'init-failed', 'shutdown'],
  ready: ['invoking', 'shutdown'],
  invoking: ['ready', 'shutdown'],
  'init-failed': ['shutdown'],
  shutdown: [],
};
