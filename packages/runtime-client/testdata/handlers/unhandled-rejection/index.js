exports.handler = async () => {
  Promise.reject(new Error('nobody listens'));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return 'unreachable';
};
