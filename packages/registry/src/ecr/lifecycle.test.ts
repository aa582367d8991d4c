import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManifestRecord } from '../metadata/store.js';
import { EcrError } from './errors.js';
import { evaluateLifecycle, parseLifecyclePolicy } from './lifecycle.js';

const DAY = 86_400_000;
const img = (digest: string, tags: string[], ageDays: number, now: number): ManifestRecord => ({
  repo: 'r',
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 1,
  imageSize: 1,
  pushedAt: now - ageDays * DAY,
  tags,
});
const policy = (rules: unknown[]): string => JSON.stringify({ rules }).padEnd(100, ' ');

test('imageCountMoreThan keeps the newest N matching images; a claimed image is not expired by a later rule', () => {
  const now = Date.now();
  const images = [img('a', ['prod-1'], 5, now), img('b', ['prod-2'], 4, now), img('c', ['prod-3'], 3, now), img('d', [], 2, now), img('e', [], 1, now)];
  const rules = parseLifecyclePolicy(
    policy([
      { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
      { rulePriority: 2, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    ]),
  );
  const expired = evaluateLifecycle(rules, images, now).map((x) => `${x.image.digest}@${x.rule.rulePriority}`);
  // rule 1 expires a (oldest prod); rule 2 (any, keep 1) would expire everything but e, yet b and c were claimed by rule 1
  assert.deepEqual(expired.sort(), ['a@1', 'd@2']);
});

test('sinceImagePushed expires images older than countNumber days; tagPatternList wildcards', () => {
  const now = Date.now();
  const images = [img('old', ['release-1.0'], 30, now), img('new', ['release-2.0'], 1, now), img('other', ['dev'], 30, now)];
  const rules = parseLifecyclePolicy(
    policy([{ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['release-*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } }]),
  );
  assert.deepEqual(evaluateLifecycle(rules, images, now).map((x) => x.image.digest), ['old']);
});

test('invalid policies are refused with ECR wording', () => {
  const bad = [
    '{"rules":[]}'.padEnd(100, ' '),
    policy([{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }]),
    policy([{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1 }, action: { type: 'expire' } }]),
    policy([
      { rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    ]),
    'not json'.padEnd(100, ' '),
    '{}',
  ];
  for (const p of bad) {
    assert.throws(() => parseLifecyclePolicy(p), (e: unknown) => e instanceof EcrError && e.type === 'InvalidParameterException');
  }
});
