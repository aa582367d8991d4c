exports.handler = async () => ({ loadedAs: 'cjs' });
