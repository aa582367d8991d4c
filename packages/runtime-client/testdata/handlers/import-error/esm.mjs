import missing from 'lambdock-fixture-package-that-does-not-exist';
export const handler = async () => missing;
