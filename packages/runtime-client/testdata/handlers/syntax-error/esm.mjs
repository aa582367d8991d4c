export const handler = async () => {{ 'unbalanced';
