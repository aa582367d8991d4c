// Outlives any deadline the tests give it.
exports.handler = async () => {
  await new Promise((resolve) => setTimeout(resolve, 60000));
  return 'too late';
};
