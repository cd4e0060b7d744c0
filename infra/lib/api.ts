// The HTTP API: a Cognito JWT authorizer on every route but health, the
// OpenAPI document and share links; routes from `routes.json`, grouped per
// function; throttling, JSON access logs and CORS for the portal's origin.
import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { RouteDef } from './definition';
import { StageConfig } from './stage';

export interface ApiProps {
  stage: StageConfig;
  key: kms.IKey;
  issuer: string;
  audience: string;
}

export class Api extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly authorizer: HttpJwtAuthorizer;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { stage } = props;
    this.httpApi = new apigwv2.HttpApi(this, 'Http', {
      apiName: stage.prefix,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [new URL(stage.portalUrl).origin],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        allowMethods: [
          apigwv2.CorsHttpMethod.GET,
          apigwv2.CorsHttpMethod.POST,
          apigwv2.CorsHttpMethod.PUT,
          apigwv2.CorsHttpMethod.PATCH,
          apigwv2.CorsHttpMethod.DELETE,
        ],
        exposeHeaders: ['idempotent-replayed', 'retry-after', 'location', 'content-disposition'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${stage.prefix}`,
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.key,
    });
    this.stage = this.httpApi.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: stage.throttleRate, burstLimit: stage.throttleBurst },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });
    this.authorizer = new HttpJwtAuthorizer('Cognito', props.issuer, {
      authorizerName: 'cognito',
      jwtAudience: [props.audience],
      identitySource: ['$request.header.Authorization'],
    });
  }

  /** Where the API answers. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }

  /** One route per entry of the table, to its function. */
  addRoutes(routes: RouteDef[], functions: Record<string, lambda.IFunction>): void {
    const integrations: Record<string, HttpLambdaIntegration> = {};
    for (const r of routes) {
      const fn = functions[r.function];
      if (!fn) throw new Error(`routes.json names ${r.function}, which is not a function`);
      // One integration and one invoke permission per function, not per route.
      integrations[r.function] ??= new HttpLambdaIntegration(`${r.function}-integration`, fn, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        scopePermissionToRoute: false,
      });
      this.httpApi.addRoutes({
        path: r.path,
        methods: [r.method as apigwv2.HttpMethod],
        integration: integrations[r.function],
        authorizer: r.public ? new apigwv2.HttpNoneAuthorizer() : this.authorizer,
      });
    }
  }
}
