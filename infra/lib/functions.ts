// Every function as a RustFunction (cargo-lambda-cdk, arm64, provided.al2023)
// built from the workspace manifest by binary name, with its environment from
// the other constructs and only the grants its code uses.
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';
import { Auth } from './auth';
import { skipChecks } from './checkov';
import { Data } from './data';
import { workspaceRoot } from './definition';
import { Notifications } from './notifications';
import { StageConfig } from './stage';

/** How a function is invoked. */
export type Kind = 'http' | 'events' | 'schedule';

interface Spec {
  kind: Kind;
  /** Uses the shared config (TABLE_NAME and CURSOR_SECRET). */
  core: boolean;
  timeoutSeconds: number;
  env: (c: Wiring) => Record<string, string>;
  grant: (fn: lambda.Function, c: Wiring) => void;
}

/** What the functions are wired to. */
export interface Wiring {
  stage: StageConfig;
  data: Data;
  auth: Auth;
  notifications: Notifications;
  busName: string;
  grantPutEvents: (fn: iam.IGrantable) => void;
  publicApiUrl: string;
}

// DynamoDB actions the code issues; never Scan.
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];

const portalEnv = (c: Wiring) => ({
  USER_POOL_ID: c.auth.userPool.userPoolId,
  SENDER_EMAIL: c.notifications.sender,
  PORTAL_URL: c.stage.portalUrl,
  PROGRAM_NAME: c.stage.programName,
  EVENT_BUS_NAME: c.busName,
  BUCKET_NAME: c.data.bucket.bucketName,
});

const files = (fn: lambda.Function, c: Wiring) => {
  c.data.bucket.grantRead(fn);
  c.data.bucket.grantPut(fn);
};

/** The binaries, by name (package name = binary name = CDK binaryName). */
export const SPECS: Record<string, Spec> = {
  portal: {
    kind: 'http',
    core: true,
    timeoutSeconds: 15,
    env: (c) => ({ ...portalEnv(c), PUBLIC_API_URL: c.publicApiUrl }),
    grant: (fn, c) => {
      files(fn, c);
      c.auth.userPool.grant(fn, 'cognito-idp:AdminCreateUser', 'cognito-idp:AdminAddUserToGroup', 'cognito-idp:AdminDeleteUser');
      c.notifications.grantSend(fn);
      c.grantPutEvents(fn);
    },
  },
  'portal-events': {
    kind: 'events',
    core: true,
    timeoutSeconds: 300,
    env: portalEnv,
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  deals: {
    kind: 'http',
    core: true,
    timeoutSeconds: 15,
    env: (c) => ({ EVENT_BUS_NAME: c.busName }),
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  'deals-sweeps': {
    kind: 'schedule',
    core: true,
    timeoutSeconds: 120,
    env: (c) => ({ EVENT_BUS_NAME: c.busName }),
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  mdf: {
    kind: 'http',
    core: true,
    timeoutSeconds: 15,
    env: (c) => ({ EVENT_BUS_NAME: c.busName, BUCKET_NAME: c.data.bucket.bucketName }),
    grant: (fn, c) => {
      files(fn, c);
      c.grantPutEvents(fn);
    },
  },
  'mdf-events': {
    kind: 'events',
    core: true,
    timeoutSeconds: 120,
    env: (c) => ({ EVENT_BUS_NAME: c.busName, BUCKET_NAME: c.data.bucket.bucketName }),
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  training: {
    kind: 'http',
    core: true,
    timeoutSeconds: 15,
    env: (c) => ({ EVENT_BUS_NAME: c.busName }),
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  'training-sweeps': {
    kind: 'schedule',
    core: true,
    timeoutSeconds: 120,
    env: (c) => ({ EVENT_BUS_NAME: c.busName }),
    grant: (fn, c) => c.grantPutEvents(fn),
  },
  alerts: {
    kind: 'events',
    core: false,
    timeoutSeconds: 120,
    env: (c) => ({
      USER_POOL_ID: c.auth.userPool.userPoolId,
      SENDER_EMAIL: c.notifications.sender,
      PORTAL_URL: c.stage.portalUrl,
      PROGRAM_NAME: c.stage.programName,
    }),
    grant: (fn, c) => {
      c.auth.userPool.grant(fn, 'cognito-idp:ListUsersInGroup');
      c.notifications.grantSend(fn);
    },
  },
};

export class Functions extends Construct {
  readonly byName: Record<string, lambda.Function> = {};
  /** The dead-letter queue of each asynchronously invoked function. */
  readonly deadLetters: Record<string, sqs.Queue> = {};
  readonly cursorSecret: secrets.Secret;

  constructor(scope: Construct, id: string, wiring: Wiring) {
    super(scope, id);
    const { stage, data } = wiring;
    this.cursorSecret = new secrets.Secret(this, 'CursorSecret', {
      description: `${stage.prefix}: HMAC key of pagination cursors`,
      encryptionKey: data.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    for (const [name, spec] of Object.entries(SPECS)) {
      const logGroup = new logs.LogGroup(this, `${name}-logs`, {
        logGroupName: `/aws/lambda/${stage.prefix}-${name}`,
        retention: retention(stage.logRetentionDays),
        encryptionKey: data.key,
      });
      let deadLetterQueue: sqs.Queue | undefined;
      if (spec.kind !== 'http') {
        deadLetterQueue = new sqs.Queue(this, `${name}-dlq`, {
          queueName: `${stage.prefix}-${name}-dlq`,
          encryption: sqs.QueueEncryption.KMS,
          encryptionMasterKey: data.key,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
        });
        this.deadLetters[name] = deadLetterQueue;
      }
      const environment: Record<string, string> = {
        LOG_LEVEL: 'info',
        ...spec.env(wiring),
        ...(spec.core
          ? { TABLE_NAME: data.table.tableName, CURSOR_SECRET: this.cursorSecret.secretValue.unsafeUnwrap() }
          : { TABLE_NAME: data.table.tableName }),
      };
      const fn = new RustFunction(this, name, {
        functionName: `${stage.prefix}-${name}`,
        manifestPath: `${workspaceRoot}/Cargo.toml`,
        binaryName: name,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.seconds(spec.timeoutSeconds),
        environment,
        environmentEncryption: data.key,
        logGroup,
        tracing: lambda.Tracing.ACTIVE,
        reservedConcurrentExecutions: stage.reservedConcurrency > 0 ? stage.reservedConcurrency : undefined,
        // Asynchronous invocations (events, schedules) are retried twice, then kept in the queue.
        retryAttempts: spec.kind === 'http' ? undefined : 2,
        maxEventAge: spec.kind === 'http' ? undefined : Duration.hours(6),
        deadLetterQueue,
      });
      data.table.grant(fn, ...TABLE_ACTIONS);
      data.key.grantEncryptDecrypt(fn);
      spec.grant(fn, wiring);
      const skips: [string, string][] = [
        ['CKV_AWS_117', 'Calls only AWS public endpoints (DynamoDB, S3, SES, Cognito, EventBridge); no VPC resource to reach, and a VPC would add NAT cost and cold-start time'],
      ];
      if (spec.kind === 'http') {
        skips.push(['CKV_AWS_116', 'Invoked synchronously by API Gateway: a dead-letter queue applies only to asynchronous invocations']);
      }
      if (stage.reservedConcurrency === 0) {
        skips.push(['CKV_AWS_115', 'Reserved concurrency switched off by context (reservedConcurrency=0) for small accounts']);
      }
      skipChecks(fn, skips);
      this.byName[name] = fn;
    }
  }
}

function retention(days: number): logs.RetentionDays {
  const known = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  const fit = known.sort((a, b) => a - b).find((d) => d >= days);
  return (fit ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}

