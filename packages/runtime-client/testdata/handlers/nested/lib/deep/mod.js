exports.a = { b: { c: async () => ({ loadedAs: 'nested' }) } };
