import type { EcrOperation } from '../context.js';
import { epochSeconds } from '../common.js';

/** The CLI's get-login-password prints the part after "AWS:" of the decoded token. */
export const getAuthorizationToken: EcrOperation = async ({ core, tokens }) => {
  const { password, expiresAt } = tokens.issue(core.settings.account);
  return {
    authorizationData: [
      {
        authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
        expiresAt: epochSeconds(expiresAt),
        proxyEndpoint: `http://${core.settings.publicUrl}`,
      },
    ],
  };
};
