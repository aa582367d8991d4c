import type { Handler } from '../http/types.js';
import { sendJson } from '../http/io.js';

/** GET /2016-08-19/account-settings → {AccountLimit, AccountUsage}. */
export const getAccountSettings: Handler = async (ctx, svc) => {
  const s = await svc.functions.accountSettings();
  sendJson(
    ctx.res,
    200,
    {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: svc.functions.accountConcurrency,
        UnreservedConcurrentExecutions: s.unreserved,
      },
      AccountUsage: { TotalCodeSize: s.totalCodeSize, FunctionCount: s.functionCount },
    },
    ctx.requestId,
  );
};
