import { LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { ClientConfig } from './config.js';

/** The platform's typed clients are the AWS SDK's own: Lambdock speaks the real protocols. */
export function lambdaClient(cfg: ClientConfig): LambdaClient {
  return new LambdaClient({ endpoint: cfg.endpoint, region: cfg.region, credentials: cfg.credentials, maxAttempts: 1 });
}

export function logsClient(cfg: ClientConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint: cfg.endpoint, region: cfg.region, credentials: cfg.credentials, maxAttempts: 1 });
}

export function ecrClient(cfg: ClientConfig): ECRClient {
  return new ECRClient({ endpoint: cfg.endpoint, region: cfg.region, credentials: cfg.credentials, maxAttempts: 1 });
}
