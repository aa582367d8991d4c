import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine, InvalidTransitionError } from '@lambdock/common';
import { startLine, endLine, reportLine, timeoutLine } from './report.js';
import { environmentTransitions, type EnvironmentState } from './state.js';

test('log lines match Lambda byte for byte', () => {
  assert.equal(startLine('abc', '$LATEST'), 'START RequestId: abc Version: $LATEST');
  assert.equal(endLine('abc'), 'END RequestId: abc');
  assert.equal(
    reportLine({ requestId: 'abc', durationMs: 79.666, initDurationMs: 166.624 }, 128, 73.2),
    'REPORT RequestId: abc\tDuration: 79.67 ms\tBilled Duration: 80 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\tInit Duration: 166.62 ms\t',
  );
  assert.equal(
    reportLine({ requestId: 'abc', durationMs: 0.31 }, 3008, 40),
    'REPORT RequestId: abc\tDuration: 0.31 ms\tBilled Duration: 1 ms\tMemory Size: 3008 MB\tMax Memory Used: 40 MB\t',
  );
  assert.match(timeoutLine('abc', 5.0123), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z abc Task timed out after 5\.01 seconds$/);
});

test('the environment state machine refuses every transition it does not list', () => {
  const all: EnvironmentState[] = ['init', 'ready', 'invoking', 'init-failed', 'shutdown'];
  const allowed = new Set(['init>ready', 'init>init-failed', 'init>shutdown', 'ready>invoking', 'ready>shutdown', 'invoking>ready', 'invoking>shutdown', 'init-failed>shutdown']);
  for (const from of all)
    for (const to of all) {
      const m = new StateMachine<EnvironmentState>('env', environmentTransitions, from);
      if (allowed.has(`${from}>${to}`)) m.to(to);
      else assert.throws(() => m.to(to), InvalidTransitionError, `${from} -> ${to}`);
    }
});
