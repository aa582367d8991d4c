exports.handler = async () => 'fine';
exports.notAFunction = 42;
