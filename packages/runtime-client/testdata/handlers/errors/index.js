'use strict';

class MyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MyError';
  }
}

exports.asyncThrow = async () => {
  throw new MyError('something went wrong');
};

exports.throwString = async () => {
  throw 'plain string';
};

exports.syncThrow = (event) => {
  throw new TypeError('sync boom');
};

exports.unicodeName = async () => {
  const err = new Error('naïve ☃');
  err.name = 'Ünïcode';
  throw err;
};

// A 100 KB message with a deep stack: the report must still get through (headers have limits).
exports.hugeMessage = async () => {
  const dive = (n) => {
    if (n === 0) throw new Error('big: ' + 'x'.repeat(100000));
    return dive(n - 1) + 1;
  };
  return dive(50);
};
