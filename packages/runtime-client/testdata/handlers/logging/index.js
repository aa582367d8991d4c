exports.handler = async () => {
  console.log('hello\nworld');
  console.info('info %d', 42);
  console.warn('careful');
  console.error(new Error('logged error'));
  console.debug('debugging');
  console.trace('tracing');
  console.log({ structured: true });
  return 'logged';
};
