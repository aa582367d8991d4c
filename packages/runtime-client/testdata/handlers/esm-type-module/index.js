import { greet } from './lib/greet.js';

export const handler = async (event) => ({ loadedAs: 'esm-js', greeting: greet(event.name) });
