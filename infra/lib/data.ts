// The single DynamoDB table, the bucket of content and proof files, the bucket
// of their access logs, and the customer-managed key that encrypts them (and
// the queues, topic, logs and function environments of the stack).
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { skipChecks } from './checkov';
import { Resources } from './definition';
import { StageConfig } from './stage';

export interface DataProps {
  resources: Resources;
  stage: StageConfig;
}

export class Data extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const { resources, stage } = props;
    const removalPolicy = stage.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const { region, account } = Stack.of(this);

    this.key = new kms.Key(this, 'Key', {
      description: `${stage.prefix}: table, files, queues, topic, logs and function environments`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts the stack's log groups with it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${region}:${account}:*` } },
      }),
    );
    // CloudWatch alarms publish to the encrypted topic; EventBridge sends to the encrypted dead-letter queues.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    const t = resources.table;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: stage.prefix,
      partitionKey: { name: t.partition_key, type: dynamodb.AttributeType.STRING },
      sortKey: { name: t.sort_key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: t.ttl_attribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: stage.protectData,
      removalPolicy,
    });
    for (const gsi of t.global_secondary_indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partition_key, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sort_key, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // Server access logs can only be delivered to an SSE-S3 bucket.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      // S3 log delivery is allowed by the bucket policy (no ACLs; cdk.json's serverAccessLogsUseBucketPolicy).
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { expiration: Duration.days(stage.logRetentionDays), noncurrentVersionExpiration: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    skipChecks(this.accessLogs, [
      ['CKV_AWS_18', 'This is the access-log bucket; logging it into itself would loop'],
    ]);

    const c = resources.bucket.cors;
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'files/',
      // The portal uploads and downloads with presigned URLs, from its own origin only.
      cors: [
        {
          allowedOrigins: [new URL(stage.portalUrl).origin],
          allowedMethods: c.allowed_methods.map((m) => m as s3.HttpMethods),
          allowedHeaders: c.allowed_headers,
          exposedHeaders: c.exposed_headers,
          maxAge: c.max_age_seconds,
        },
      ],
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
