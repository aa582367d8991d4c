import type { ManifestRecord } from '../metadata/store.js';
import { EcrError } from './errors.js';

/**
 * ECR lifecycle policies: validation of the policy document and the evaluation
 * that picks images to expire. Evaluation follows ECR's rules
 * (userguide/LifecyclePolicies.html#lp_evaluation_rules):
 *  - rules run by ascending rulePriority; an image is expired by at most one rule;
 *  - an image matched by a rule's tag selection cannot be expired by a later rule,
 *    though later rules still count it;
 *  - tagged selections need every listed prefix/pattern to match one of the image's tags.
 */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: 'tagged' | 'untagged' | 'any';
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: 'imageCountMoreThan' | 'sinceImagePushed';
    countUnit?: 'days';
    countNumber: number;
  };
  action: { type: 'expire' };
}

const invalid = (why: string): EcrError =>
  new EcrError('InvalidParameterException', `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`);

export function parseLifecyclePolicy(text: string): LifecycleRule[] {
  if (text.length < 100 || text.length > 30720) {
    throw new EcrError('InvalidParameterException', `Invalid parameter at 'lifecyclePolicyText' failed to satisfy constraint: 'Member must have length between 100 and 30720'`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalid('the policy is not valid JSON');
  }
  const rules = (doc as { rules?: unknown })?.rules;
  if (!Array.isArray(rules) || rules.length === 0) throw invalid('"rules" must be a non-empty array');
  const seen = new Set<number>();
  const out: LifecycleRule[] = rules.map((r: unknown, i: number) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const where = `rules[${i}]`;
    const p = o['rulePriority'];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) throw invalid(`${where}.rulePriority must be a positive integer`);
    if (seen.has(p)) throw invalid(`rulePriority ${p} is used by more than one rule`);
    seen.add(p);
    const s = (o['selection'] ?? {}) as Record<string, unknown>;
    const tagStatus = s['tagStatus'];
    if (tagStatus !== 'tagged' && tagStatus !== 'untagged' && tagStatus !== 'any') throw invalid(`${where}.selection.tagStatus must be tagged, untagged or any`);
    const prefixes = s['tagPrefixList'];
    const patterns = s['tagPatternList'];
    for (const [k, v] of [['tagPrefixList', prefixes], ['tagPatternList', patterns]] as const) {
      if (v !== undefined && (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === ''))) {
        throw invalid(`${where}.selection.${k} must be a non-empty list of strings`);
      }
    }
    if (tagStatus === 'tagged' && prefixes === undefined && patterns === undefined) throw invalid(`${where}: tagStatus tagged requires tagPrefixList or tagPatternList`);
    if (tagStatus === 'tagged' && prefixes !== undefined && patterns !== undefined) throw invalid(`${where}: use either tagPrefixList or tagPatternList, not both`);
    if (tagStatus !== 'tagged' && (prefixes !== undefined || patterns !== undefined)) throw invalid(`${where}: tagPrefixList/tagPatternList are only allowed with tagStatus tagged`);
    if (Array.isArray(patterns) && patterns.some((x: string) => x.split('*').length - 1 > 4)) throw invalid(`${where}.selection.tagPatternList: at most 4 wildcards per pattern`);
    const countType = s['countType'];
    if (countType !== 'imageCountMoreThan' && countType !== 'sinceImagePushed') throw invalid(`${where}.selection.countType must be imageCountMoreThan or sinceImagePushed`);
    const n = s['countNumber'];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw invalid(`${where}.selection.countNumber must be a positive integer`);
    if (countType === 'sinceImagePushed' && s['countUnit'] !== 'days') throw invalid(`${where}.selection.countUnit must be days for sinceImagePushed`);
    if (countType === 'imageCountMoreThan' && s['countUnit'] !== undefined) throw invalid(`${where}.selection.countUnit is not allowed with imageCountMoreThan`);
    const action = (o['action'] ?? {}) as Record<string, unknown>;
    if (action['type'] !== 'expire') throw invalid(`${where}.action.type must be expire`);
    const rule: LifecycleRule = {
      rulePriority: p,
      selection: { tagStatus, countType, countNumber: n, ...(countType === 'sinceImagePushed' ? { countUnit: 'days' as const } : {}) },
      action: { type: 'expire' },
    };
    if (typeof o['description'] === 'string') rule.description = o['description'];
    if (prefixes !== undefined) rule.selection.tagPrefixList = prefixes as string[];
    if (patterns !== undefined) rule.selection.tagPatternList = patterns as string[];
    return rule;
  });
  out.sort((a, b) => a.rulePriority - b.rulePriority);
  const anyIdx = out.findIndex((r) => r.selection.tagStatus === 'any');
  if (anyIdx >= 0 && anyIdx !== out.length - 1) throw invalid('a rule with tagStatus any must have the highest rulePriority');
  return out;
}

function patternRe(p: string): RegExp {
  return new RegExp(`^${p.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function matches(rule: LifecycleRule, m: ManifestRecord): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'untagged') return m.tags.length === 0;
  if (s.tagStatus === 'any') return true;
  if (m.tags.length === 0) return false;
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => m.tags.some((t) => t.startsWith(p)));
  if (s.tagPatternList) return s.tagPatternList.map(patternRe).every((re) => m.tags.some((t) => re.test(t)));
  return false;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The images the policy expires now, with the rule that expires each. */
export function evaluateLifecycle(rules: LifecycleRule[], images: ManifestRecord[], now: number): { image: ManifestRecord; rule: LifecycleRule }[] {
  const claimed = new Set<string>();
  const expired: { image: ManifestRecord; rule: LifecycleRule }[] = [];
  for (const rule of rules) {
    const selected = images.filter((m) => matches(rule, m)).sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest));
    let victims: ManifestRecord[];
    if (rule.selection.countType === 'imageCountMoreThan') victims = selected.slice(rule.selection.countNumber);
    else victims = selected.filter((m) => m.pushedAt < now - rule.selection.countNumber * DAY_MS);
    for (const v of victims) if (!claimed.has(v.digest)) expired.push({ image: v, rule });
    for (const m of selected) claimed.add(m.digest);
  }
  return expired;
}
