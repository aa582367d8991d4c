// The function lives on the default export only.
export default { handler: async () => ({ loadedAs: 'default-export' }) };
