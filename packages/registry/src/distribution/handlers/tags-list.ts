import type { DistributionHandler } from '../http.js';
import { sendJson } from '../http.js';
import { existingRepository, pageParams } from './common.js';

/** GET /v2/<name>/tags/list?n=&last= — tags in lexical order, Link header when more follow. */
export const getTagsList: DistributionHandler = async ({ res, url, core }, { name }) => {
  await existingRepository(core, name!);
  const page = pageParams(url);
  const tags = await core.metadata.listTags(name!, { limit: page.limit + 1, ...(page.last !== undefined ? { last: page.last } : {}) });
  const shown = tags.slice(0, page.limit);
  const headers: Record<string, string> = {};
  if (tags.length > page.limit && shown.length > 0) {
    headers['Link'] = `</v2/${name}/tags/list?n=${page.limit}&last=${encodeURIComponent(shown[shown.length - 1]!)}>; rel="next"`;
  }
  sendJson(res, 200, { name, tags: shown }, headers);
};
