const missing = require('lambdock-fixture-package-that-does-not-exist');
exports.handler = async () => missing;
