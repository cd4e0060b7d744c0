// Stage configuration (dev or prod) read from CDK context: no account ids or
// hosts in the code. `cdk deploy -c stage=prod -c portalUrl=https://...`.
import { Node } from 'constructs';

export interface Federation {
  /** `oidc` or `saml`. */
  type: 'oidc' | 'saml';
  /** Name shown on the hosted sign-in page. */
  name: string;
  /** OIDC: issuer URL, client id, and the secret's name in Secrets Manager. */
  issuer?: string;
  clientId?: string;
  clientSecretName?: string;
  /** SAML: the IdP's metadata URL. */
  metadataUrl?: string;
  /** Prefix of the Cognito hosted domain (required with federation). */
  domainPrefix: string;
}

export interface StageConfig {
  stage: 'dev' | 'prod';
  /** Resource names start with this (e.g. `prm-prod`). */
  prefix: string;
  /** Where the web portal is (links in emails, CORS). */
  portalUrl: string;
  /** Verified SES sender of every email. */
  senderEmail: string;
  /** Program name in emails. */
  programName: string;
  /** Who receives alarms (optional). */
  alarmEmail?: string;
  /** Reserved concurrency of each function (0: none reserved). */
  reservedConcurrency: number;
  /** API throttling (requests per second, burst). */
  throttleRate: number;
  throttleBurst: number;
  /** Log retention, days. */
  logRetentionDays: number;
  /** Optional SAML or OIDC sign-in for vendor staff. */
  federation?: Federation;
  /** Production: deletion protection and retained data. */
  protectData: boolean;
}

function str(node: Node, key: string, fallback: string): string {
  const v = node.tryGetContext(key);
  return typeof v === 'string' && v.length > 0 ? v : fallback;
}

function num(node: Node, key: string, fallback: number): number {
  const v = node.tryGetContext(key);
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`context ${key} must be a non-negative number, not ${String(v)}`);
  return n;
}

export function stageConfig(node: Node, defaultSender: string): StageConfig {
  const stage = str(node, 'stage', 'dev');
  if (stage !== 'dev' && stage !== 'prod') throw new Error(`context stage must be dev or prod, not ${stage}`);
  const prod = stage === 'prod';
  const federationRaw = node.tryGetContext('federation');
  const federation: Federation | undefined =
    typeof federationRaw === 'string' && federationRaw.length > 0 ? JSON.parse(federationRaw) : federationRaw ?? undefined;
  if (federation && federation.type !== 'oidc' && federation.type !== 'saml') {
    throw new Error('context federation.type must be oidc or saml');
  }
  return {
    stage,
    prefix: `prm-${stage}`,
    portalUrl: str(node, 'portalUrl', prod ? 'https://partners.example.com' : 'http://127.0.0.1:3000'),
    senderEmail: str(node, 'senderEmail', defaultSender),
    programName: str(node, 'programName', 'Partner Program'),
    alarmEmail: node.tryGetContext('alarmEmail') || undefined,
    reservedConcurrency: num(node, 'reservedConcurrency', prod ? 50 : 5),
    throttleRate: num(node, 'throttleRate', prod ? 500 : 50),
    throttleBurst: num(node, 'throttleBurst', prod ? 1000 : 100),
    logRetentionDays: num(node, 'logRetentionDays', prod ? 365 : 30),
    federation,
    protectData: prod,
  };
}
