import type { DistributionHandler } from '../http.js';
import { sendJson } from '../http.js';

/** GET /v2/ — API version check (authentication is enforced before this runs). */
export const getBase: DistributionHandler = async ({ res }) => {
  sendJson(res, 200, {});
};
