import type { DistributionHandler } from '../http.js';
import { sendJson } from '../http.js';
import { pageParams } from './common.js';

/** GET /v2/_catalog?n=&last= — repository names in lexical order. */
export const getCatalog: DistributionHandler = async ({ res, url, core }) => {
  const page = pageParams(url);
  const repos = await core.metadata.listRepositories({ limit: page.limit + 1, ...(page.last !== undefined ? { last: page.last } : {}) });
  const names = repos.slice(0, page.limit).map((r) => r.name);
  const headers: Record<string, string> = {};
  if (repos.length > page.limit && names.length > 0) {
    headers['Link'] = `</v2/_catalog?n=${page.limit}&last=${encodeURIComponent(names[names.length - 1]!)}>; rel="next"`;
  }
  sendJson(res, 200, { repositories: names }, headers);
};
