import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine } from './state-machine.js';
import { InvalidTransitionError } from './errors.js';

type S = 'init' | 'ready' | 'invoking' | 'shutdown';
const table = { init: ['ready', 'shutdown'], ready: ['invoking', 'shutdown'], invoking: ['ready', 'shutdown'], shutdown: [] } as const;

test('allows listed transitions and refuses everything else', () => {
  const m = new StateMachine<S>('env', table, 'init');
  m.to('ready');
  m.to('invoking');
  assert.throws(() => m.to('init'), InvalidTransitionError);
  assert.equal(m.state, 'invoking');
  m.to('shutdown');
  assert.throws(() => m.to('ready'), /env: transition shutdown -> ready is not allowed/);
});
