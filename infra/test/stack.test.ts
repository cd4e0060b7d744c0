// Offline assertions on the synthesized template: the security and
// reliability properties the platform relies on, and no drift from the
// definitions the local stack is provisioned from (resources.json, routes.json).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadResources, loadRoutes, workspaceRoot } from '../lib/definition';
import { SPECS } from '../lib/functions';
import { PrmStack } from '../lib/prm-stack';

type Json = Record<string, any>;

// The feature flags and defaults of cdk.json, as the CLI passes them.
const cdkContext = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context as Json;

function app(context: Record<string, unknown> = {}): App {
  // Bundling skipped: the tests never build the Rust functions.
  return new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
}

function synth(context: Record<string, unknown> = {}): Template {
  const app_ = app(context);
  const stack = new PrmStack(app_, 'prm-test', { env: { account: '111111111111', region: 'eu-west-1' } });
  return Template.fromStack(stack);
}

const dev = synth();
const prod = synth({ stage: 'prod', portalUrl: 'https://partners.example.org', alarmEmail: 'ops@example.org' });
const resources = loadResources();
const routes = loadRoutes();

function only(t: Template, type: string): Json {
  const all = t.findResources(type);
  const values = Object.values(all);
  assert.equal(values.length, 1, `exactly one ${type}`);
  return values[0].Properties;
}

function logicalId(t: Template, type: string, props: Json): string {
  const ids = Object.keys(t.findResources(type, { Properties: props }));
  assert.equal(ids.length, 1, `one ${type} with ${JSON.stringify(props)}`);
  return ids[0];
}

describe('table', () => {
  it('has the keys, indexes and TTL of resources.json (the local provisioning)', () => {
    const table = only(dev, 'AWS::DynamoDB::Table');
    const t = resources.table;
    assert.deepEqual(table.KeySchema, [
      { AttributeName: t.partition_key, KeyType: 'HASH' },
      { AttributeName: t.sort_key, KeyType: 'RANGE' },
    ]);
    assert.equal(table.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(table.TimeToLiveSpecification, { AttributeName: t.ttl_attribute, Enabled: true });
    const indexes = (table.GlobalSecondaryIndexes as Json[]).map((g) => ({
      name: g.IndexName,
      partition_key: g.KeySchema[0].AttributeName,
      sort_key: g.KeySchema[1].AttributeName,
      projection: g.Projection.ProjectionType,
    }));
    const expected = t.global_secondary_indexes.map((g) => ({
      name: g.name,
      partition_key: g.partition_key,
      sort_key: g.sort_key,
      projection: g.projection,
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual(indexes.sort(byName), expected.sort(byName));
  });

  it('has point-in-time recovery and a customer-managed key; production adds deletion protection', () => {
    for (const t of [dev, prod]) {
      const table = only(t, 'AWS::DynamoDB::Table');
      assert.equal(table.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, true);
      assert.equal(table.SSESpecification.SSEEnabled, true);
      assert.equal(table.SSESpecification.SSEType, 'KMS');
    }
    assert.notEqual(only(dev, 'AWS::DynamoDB::Table').DeletionProtectionEnabled, true);
    assert.equal(only(prod, 'AWS::DynamoDB::Table').DeletionProtectionEnabled, true);
    prod.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('buckets', () => {
  it('block every kind of public access and refuse plain HTTP', () => {
    const buckets = dev.findResources('AWS::S3::Bucket');
    assert.equal(Object.keys(buckets).length, 3, 'files, access logs, web portal');
    for (const [id, b] of Object.entries(buckets)) {
      assert.deepEqual(b.Properties.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      assert.ok(b.Properties.BucketEncryption, `${id} is encrypted`);
      dev.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('keep files under the stack key, versioned, CORS for the portal only, old versions expire', () => {
    const files = Object.values(prod.findResources('AWS::S3::Bucket')).find((b) => b.Properties.CorsConfiguration)!;
    const p = files.Properties;
    assert.equal(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'aws:kms');
    assert.equal(p.VersioningConfiguration.Status, 'Enabled');
    const cors = p.CorsConfiguration.CorsRules;
    assert.equal(cors.length, 1);
    assert.deepEqual(cors[0].AllowedOrigins, ['https://partners.example.org']);
    assert.deepEqual(cors[0].AllowedMethods, resources.bucket.cors.allowed_methods);
    const rules = p.LifecycleConfiguration.Rules as Json[];
    assert.ok(rules.some((r) => r.NoncurrentVersionExpiration?.NoncurrentDays > 0), 'old versions expire');
    assert.ok(rules.some((r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation > 0), 'failed uploads are cleaned');
    assert.ok(p.LoggingConfiguration?.DestinationBucketName, 'access is logged');
    assert.equal(files.DeletionPolicy, 'Retain');
  });
});

describe('user pool', () => {
  it('has the four groups of resources.json', () => {
    const groups = Object.values(dev.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    assert.deepEqual(groups.sort(), resources.user_pool.groups.map((g) => g.name).sort());
    assert.equal(groups.length, 4);
  });

  it('lets the app client read custom:partner_id but never write it', () => {
    const pool = only(dev, 'AWS::Cognito::UserPool');
    const attr = (pool.Schema as Json[]).find((s) => s.Name === 'partner_id');
    assert.ok(attr, 'custom:partner_id is in the schema');
    assert.equal(attr.Mutable, false);
    const client = only(dev, 'AWS::Cognito::UserPoolClient');
    assert.ok(client.ReadAttributes.includes('custom:partner_id'));
    assert.ok(client.WriteAttributes.every((a: string) => !a.startsWith('custom:')), `writes ${client.WriteAttributes}`);
    assert.equal(client.GenerateSecret, false);
    assert.equal(client.PreventUserExistenceErrors, 'ENABLED');
    assert.deepEqual(
      client.ExplicitAuthFlows.filter((f: string) => f.includes('PASSWORD')).sort(),
      ['ALLOW_USER_PASSWORD_AUTH'],
      'the portal signs in with the user password flow; no admin password flow in AWS',
    );
  });

  it('has the password policy, optional MFA and no self sign-up', () => {
    const pool = only(dev, 'AWS::Cognito::UserPool');
    const pw = resources.user_pool.password_policy;
    assert.equal(pool.Policies.PasswordPolicy.MinimumLength, pw.minimum_length);
    assert.equal(pool.Policies.PasswordPolicy.RequireSymbols, pw.require_symbols);
    assert.equal(pool.Policies.PasswordPolicy.TemporaryPasswordValidityDays, pw.temporary_password_validity_days);
    assert.equal(pool.MfaConfiguration, 'OPTIONAL');
    assert.deepEqual(pool.EnabledMfas, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(pool.AdminCreateUserConfig.AllowAdminCreateUserOnly, true);
    assert.equal(only(prod, 'AWS::Cognito::UserPool').DeletionProtection, 'ACTIVE');
  });

  it('federates only when the context asks, with OIDC or SAML', () => {
    dev.resourceCountIs('AWS::Cognito::UserPoolIdentityProvider', 0);
    dev.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    const oidc = synth({
      federation: {
        type: 'oidc',
        name: 'Corp',
        issuer: 'https://login.example.org',
        clientId: 'abc',
        clientSecretName: 'prm/oidc',
        domainPrefix: 'prm-corp',
      },
    });
    oidc.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { ProviderType: 'OIDC', ProviderName: 'Corp' });
    oidc.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    const client = only(oidc, 'AWS::Cognito::UserPoolClient');
    assert.deepEqual(client.SupportedIdentityProviders.sort(), ['COGNITO', 'Corp']);
    assert.ok(!JSON.stringify(oidc.toJSON()).includes('"ClientSecret":"'), 'the OIDC secret is a dynamic reference');
    const saml = synth({ federation: JSON.stringify({ type: 'saml', name: 'Okta', metadataUrl: 'https://idp.example.org/m', domainPrefix: 'prm-okta' }) });
    saml.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { ProviderType: 'SAML', ProviderName: 'Okta' });
    assert.throws(() => synth({ federation: { type: 'ldap', name: 'x', domainPrefix: 'x' } }), /oidc or saml/);
  });
});

describe('HTTP API', () => {
  const routeKeys = (t: Template) =>
    Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);

  it('has every route of the code, each to its own function', () => {
    const keys = routeKeys(dev).map((r) => r.RouteKey).sort();
    assert.deepEqual(keys, routes.map((r) => `${r.method} ${r.path}`).sort());
    const integrations = dev.findResources('AWS::ApiGatewayV2::Integration');
    const fnOf = (integrationRef: string) => {
      const uri = integrations[integrationRef].Properties.IntegrationUri;
      return uri['Fn::GetAtt'][0] as string;
    };
    const functionIds: Record<string, string> = {};
    for (const [id, f] of Object.entries(dev.findResources('AWS::Lambda::Function'))) {
      functionIds[id] = f.Properties.FunctionName;
    }
    for (const r of routeKeys(dev)) {
      const def = routes.find((d) => `${d.method} ${d.path}` === r.RouteKey)!;
      const integration = (r.Target['Fn::Join'][1][1].Ref as string);
      assert.equal(functionIds[fnOf(integration)], `prm-dev-${def.function}`, r.RouteKey);
    }
  });

  it('puts the Cognito JWT authorizer on every route but health, the OpenAPI document and share links', () => {
    const authorizer = only(dev, 'AWS::ApiGatewayV2::Authorizer');
    assert.equal(authorizer.AuthorizerType, 'JWT');
    assert.deepEqual(authorizer.IdentitySource, ['$request.header.Authorization']);
    assert.ok(JSON.stringify(authorizer.JwtConfiguration.Issuer).includes('cognito-idp'));
    const open: string[] = [];
    for (const r of routeKeys(dev)) {
      if (r.AuthorizationType === 'JWT') assert.ok(r.AuthorizerId, r.RouteKey);
      else open.push(r.RouteKey);
    }
    assert.deepEqual(open.sort(), ['GET /v1/health', 'GET /v1/openapi.json', 'GET /v1/s/{token}']);
  });

  it('throttles, logs every request as JSON and allows CORS from the portal only', () => {
    const stage = only(prod, 'AWS::ApiGatewayV2::Stage');
    assert.equal(stage.StageName, '$default');
    assert.ok(stage.DefaultRouteSettings.ThrottlingRateLimit > 0);
    assert.ok(stage.DefaultRouteSettings.ThrottlingBurstLimit > 0);
    assert.ok(stage.AccessLogSettings.DestinationArn);
    assert.ok(JSON.parse(stage.AccessLogSettings.Format).requestId);
    const api = only(prod, 'AWS::ApiGatewayV2::Api');
    assert.deepEqual(api.CorsConfiguration.AllowOrigins, ['https://partners.example.org']);
  });
});

describe('functions', () => {
  const fns = Object.values(dev.findResources('AWS::Lambda::Function')).map((f) => f.Properties);

  it('are the workspace binaries, arm64 on provided.al2023, traced, with encrypted environments', () => {
    const bins = new Set<string>();
    for (const pkg of readdirSync(join(workspaceRoot, 'functions'))) {
      const manifest = readFileSync(join(workspaceRoot, 'functions', pkg, 'Cargo.toml'), 'utf8');
      const name = /^name\s*=\s*"([^"]+)"/m.exec(manifest)![1];
      bins.add(name);
      try {
        for (const f of readdirSync(join(workspaceRoot, 'functions', pkg, 'src', 'bin'))) bins.add(f.replace(/\.rs$/, ''));
      } catch {
        // no extra binaries
      }
    }
    bins.delete('local-api'); // the local server, not deployed
    assert.deepEqual(Object.keys(SPECS).sort(), [...bins].sort());
    assert.equal(fns.length, bins.size);
    for (const f of fns) {
      assert.deepEqual(f.Architectures, ['arm64'], f.FunctionName);
      assert.equal(f.Runtime, 'provided.al2023', f.FunctionName);
      assert.equal(f.TracingConfig.Mode, 'Active', f.FunctionName);
      assert.ok(f.KmsKeyArn, `${f.FunctionName} environment is encrypted`);
      assert.ok(f.ReservedConcurrentExecutions > 0, `${f.FunctionName} has reserved concurrency`);
      assert.ok(f.LoggingConfig?.LogGroup, `${f.FunctionName} logs to its own group`);
      assert.ok(f.Environment.Variables.TABLE_NAME, f.FunctionName);
    }
  });

  it('keep the cursor secret out of the template', () => {
    for (const f of fns) {
      const secret = f.Environment.Variables.CURSOR_SECRET;
      if (secret === undefined) continue;
      assert.ok(JSON.stringify(secret).includes('{{resolve:secretsmanager:'), `${f.FunctionName} reads it at deploy time`);
    }
  });

  it('may never Scan, and only the portal and alerts may touch Cognito users', () => {
    const policies = Object.values(dev.findResources('AWS::IAM::Policy'));
    const text = JSON.stringify(policies);
    assert.ok(!text.includes('dynamodb:Scan'), 'no Scan granted');
    assert.ok(!text.includes('dynamodb:*') && !text.includes('"s3:*"') && !text.includes('"*:*"'), 'no wildcard actions');
    for (const p of policies) {
      const actions = JSON.stringify(p.Properties.PolicyDocument);
      if (!actions.includes('cognito-idp:')) continue;
      const roles = JSON.stringify(p.Properties.Roles);
      assert.ok(/portal(?!events)|alerts/i.test(roles), `cognito access only for portal and alerts: ${roles}`);
    }
  });

  it('invoked asynchronously retry, then keep the event in a dead-letter queue', () => {
    const configs = Object.values(dev.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => c.Properties);
    const async = Object.entries(SPECS).filter(([, s]) => s.kind !== 'http');
    assert.equal(configs.length, async.length);
    for (const c of configs) assert.equal(c.MaximumRetryAttempts, 2);
    for (const [name] of async) {
      const f = fns.find((x) => x.FunctionName === `prm-dev-${name}`)!;
      assert.ok(f.DeadLetterConfig?.TargetArn, `${name} has a dead-letter queue`);
    }
  });
});

describe('events', () => {
  it('routes each rule of resources.json on the bus with a retry policy and a dead-letter queue', () => {
    const bus = logicalId(dev, 'AWS::Events::EventBus', { Name: 'prm-dev' });
    const rules = Object.values(dev.findResources('AWS::Events::Rule')).map((r) => r.Properties);
    assert.equal(rules.length, resources.rules.length + resources.schedules.length);
    for (const def of resources.rules) {
      const rule = rules.find((r) => r.Description === def.description);
      assert.ok(rule, def.name);
      assert.deepEqual(rule.EventBusName, { Ref: bus });
      assert.deepEqual(rule.EventPattern['detail-type'], def.event_pattern['detail-type']);
    }
    for (const def of resources.schedules) {
      const rule = rules.find((r) => r.Description === def.description);
      assert.ok(rule, def.name);
      const [, n, unit] = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(rule.ScheduleExpression)!;
      assert.equal(Number(n) * { minute: 1, hour: 60, day: 1440 }[unit as 'minute']!, def.rate_minutes, def.name);
    }
    for (const r of rules) {
      for (const t of r.Targets) {
        assert.ok(t.RetryPolicy.MaximumRetryAttempts > 0, r.Description);
        assert.ok(t.DeadLetterConfig.Arn, r.Description);
      }
    }
  });

  it('has a verified sender identity with a configuration set', () => {
    dev.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: resources.email.sender });
    dev.resourceCountIs('AWS::SES::ConfigurationSet', 1);
  });
});

describe('observability', () => {
  it('alarms on errors and throttles of every function, every dead-letter queue and API 5xx', () => {
    const alarms = Object.values(prod.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const n = Object.keys(SPECS).length;
    const dlqs = Object.values(SPECS).filter((s) => s.kind !== 'http').length;
    assert.equal(alarms.filter((a) => a.MetricName === 'Errors').length, n);
    assert.equal(alarms.filter((a) => a.MetricName === 'Throttles').length, n);
    assert.equal(alarms.filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible').length, dlqs);
    assert.equal(alarms.filter((a) => a.MetricName === '5xx').length, 1);
    const topic = logicalId(prod, 'AWS::SNS::Topic', { TopicName: 'prm-prod-alarms' });
    for (const a of alarms) assert.deepEqual(a.AlarmActions, [{ Ref: topic }], a.AlarmName);
    prod.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' });
    assert.ok(only(prod, 'AWS::SNS::Topic').KmsMasterKeyId, 'the topic is encrypted');
  });

  it('encrypts every log group and queue with the stack key', () => {
    for (const g of Object.values(dev.findResources('AWS::Logs::LogGroup'))) {
      assert.ok(g.Properties.KmsKeyId, g.Properties.LogGroupName);
      assert.ok(g.Properties.RetentionInDays > 0, g.Properties.LogGroupName);
    }
    for (const q of Object.values(dev.findResources('AWS::SQS::Queue'))) {
      assert.ok(q.Properties.KmsMasterKeyId, q.Properties.QueueName);
    }
    assert.equal(only(dev, 'AWS::KMS::Key').EnableKeyRotation, true);
  });
});

describe('stage configuration', () => {
  it('hard-codes no account id', () => {
    const text = JSON.stringify(synth().toJSON());
    assert.ok(!/\b\d{12}\b/.test(text.replaceAll('111111111111', '')), 'no twelve-digit ids');
    const t = Template.fromStack(new PrmStack(app(), 'prm-agnostic'));
    assert.ok(!/\b\d{12}\b/.test(JSON.stringify(t.toJSON())));
  });

  it('refuses an unknown stage and a bad number', () => {
    assert.throws(() => synth({ stage: 'staging' }), /dev or prod/);
    assert.throws(() => synth({ reservedConcurrency: 'many' }), /non-negative number/);
  });

  it('gives every checkov suppression a reason', () => {
    let count = 0;
    for (const r of Object.values(prod.toJSON().Resources as Json)) {
      for (const s of r.Metadata?.checkov?.skip ?? []) {
        count += 1;
        assert.match(s.id, /^CKV2?_AWS_\d+$/);
        assert.ok(typeof s.comment === 'string' && s.comment.length > 20, `${s.id} has a reason`);
      }
    }
    assert.ok(count > 0);
  });
});

describe('web portal', () => {
  it('is served from a private bucket through CloudFront with origin access control, HTTPS only', () => {
    const dist = only(prod, 'AWS::CloudFront::Distribution').DistributionConfig;
    assert.equal(dist.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    assert.deepEqual(dist.DefaultCacheBehavior.AllowedMethods, ['GET', 'HEAD']);
    assert.equal(dist.DefaultRootObject, 'index.html');
    assert.ok(dist.Origins[0].OriginAccessControlId, 'origin access control');
    assert.deepEqual(
      dist.CustomErrorResponses.map((r: Json) => [r.ErrorCode, r.ResponseCode, r.ResponsePagePath]),
      [[403, 200, '/index.html'], [404, 200, '/index.html']],
      'deep links answer the page',
    );
    prod.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const headers = only(prod, 'AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    assert.ok(headers.StrictTransportSecurity && headers.ContentSecurityPolicy && headers.FrameOptions);
    // Only CloudFront reads the portal's bucket.
    const policies = Object.values(prod.findResources('AWS::S3::BucketPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    assert.ok(policies.some((p) => p.includes('cloudfront.amazonaws.com') && p.includes('AWS:SourceArn')));
    assert.equal(Object.keys(prod.findResources('AWS::S3::Bucket')).length, 3);
  });
});
