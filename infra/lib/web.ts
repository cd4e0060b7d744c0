// The web portal's static files: a private bucket behind CloudFront (origin
// access control, HTTPS only, security headers); deep links of emails
// (`/deals/{id}`, ...) answer index.html, which routes them. `make deploy`
// uploads web/dist and the page's config.json after the stack is deployed.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { skipChecks } from './checkov';
import { StageConfig } from './stage';

export interface WebProps {
  stage: StageConfig;
  accessLogs: s3.IBucket;
  /** Origins the page may call: the API and Cognito. */
  connectSources: string[];
}

export class Web extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: WebProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'portal/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            `connect-src 'self' ${props.connectSources.join(' ')} https://*.amazonaws.com`,
            "img-src 'self' data: https://*.amazonaws.com",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });
    const indexOn = (httpStatus: number): cloudfront.ErrorResponse => ({
      httpStatus,
      responseHttpStatus: 200,
      responsePagePath: '/index.html',
      ttl: Duration.seconds(0),
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${props.stage.prefix} web portal`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      },
      // The bucket answers 403 for a key it does not have: the page routes deep links itself.
      errorResponses: [indexOn(403), indexOn(404)],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    skipChecks(this.distribution, [
      ['CKV_AWS_68', 'Static files only, no forms or APIs behind this distribution (the API has its own throttling); a WAF web ACL costs more than it protects here'],
      ['CKV_AWS_174', 'TLS 1.2 minimum needs a custom domain and ACM certificate; the default cloudfront.net certificate does not allow setting it'],
      ['CKV_AWS_86', 'Standard logging needs an ACL-enabled bucket; requests are served from a private bucket whose server access logs are kept'],
    ]);
  }
}
