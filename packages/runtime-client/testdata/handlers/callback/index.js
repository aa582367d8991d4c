// Callback-style handlers (event, context, callback): Node.js 18-22 only.
'use strict';

// callbackWaitsForEmptyEventLoop = true (default): the result is serialised after the
// event loop drains, so the timer's change is in the response.
exports.waits = (event, context, callback) => {
  const result = { timerRan: false };
  setTimeout(() => {
    result.timerRan = true;
  }, 50);
  callback(null, result);
};

// false: the result goes out at once, before the timer runs.
exports.noWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  const result = { timerRan: false };
  setTimeout(() => {
    result.timerRan = true;
  }, 50);
  callback(null, result);
};

exports.error = (event, context, callback) => {
  setTimeout(() => callback(new Error('callback failed')), 5);
};

// Never calls back: Lambda answers null once the event loop is empty.
exports.neverCalls = (event, context, callback) => {};

// Only the first completion counts.
exports.twice = (event, context, callback) => {
  callback(null, 'first');
  callback(null, 'second');
};
