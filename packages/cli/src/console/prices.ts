import { readFileSync } from 'node:fs';

/** Lambda's public on-demand prices (us-east-1), the default price table. */
export interface PriceTable {
  perGbSecond: number;
  perGbSecondArm: number;
  perMillionRequests: number;
  source: string;
}

export const LAMBDA_PUBLIC_PRICES: PriceTable = {
  perGbSecond: 0.0000166667,
  perGbSecondArm: 0.0000133334,
  perMillionRequests: 0.2,
  source: 'AWS Lambda public on-demand prices, us-east-1, first tier',
};

/** `LAMBDOCK_PRICES` may name a JSON file overriding any field of the table. */
export function loadPrices(path = process.env['LAMBDOCK_PRICES']): PriceTable {
  if (!path) return LAMBDA_PUBLIC_PRICES;
  const custom = JSON.parse(readFileSync(path, 'utf8')) as Partial<PriceTable>;
  const table = { ...LAMBDA_PUBLIC_PRICES, source: path, ...custom };
  for (const k of ['perGbSecond', 'perGbSecondArm', 'perMillionRequests'] as const) {
    if (typeof table[k] !== 'number' || !(table[k] >= 0)) throw new Error(`${path}: ${k} must be a non-negative number`);
  }
  return table;
}
