import { StateMachine } from '@lambdock/common';
import type { TransitionTable } from '@lambdock/common';
import type { FunctionState, LastUpdateStatus } from './model.js';

/**
 * Function state (Lambda's `State`): Pending while the first image is prepared, then
 * Active or Failed. A failed function can be given new code (back to Pending).
 * Inactive is reserved for idle functions whose snapshots were evicted (not yet used).
 */
const stateTable: TransitionTable<FunctionState> = {
  Pending: ['Active', 'Failed'],
  Active: ['Inactive'],
  Inactive: ['Pending', 'Active'],
  Failed: ['Pending'],
};

/** `LastUpdateStatus`: every update goes InProgress → Successful | Failed. */
const updateTable: TransitionTable<LastUpdateStatus> = {
  InProgress: ['Successful', 'Failed'],
  Successful: ['InProgress'],
  Failed: ['InProgress'],
};

export function checkStateTransition(from: FunctionState, to: FunctionState): void {
  if (from === to) return;
  new StateMachine('function state', stateTable, from).to(to);
}

export function checkUpdateTransition(from: LastUpdateStatus, to: LastUpdateStatus): void {
  new StateMachine('function update', updateTable, from).to(to);
}
