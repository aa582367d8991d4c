exports.handler = async () => {
  setTimeout(() => {
    throw new Error('async boom');
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return 'unreachable';
};
