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
