// A JSON string of event.bytes characters (the posted body is 2 bytes longer: the quotes).
exports.handler = async (event) => 'x'.repeat(event.bytes);
