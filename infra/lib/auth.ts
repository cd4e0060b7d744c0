// The Cognito user pool: the four groups, the immutable `custom:partner_id`
// that the portal's app client can read but never write, the password policy,
// optional MFA, and optional SAML or OIDC federation switched on by context.
import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { Resources } from './definition';
import { StageConfig } from './stage';

export interface AuthProps {
  resources: Resources;
  stage: StageConfig;
}

export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const { resources, stage } = props;
    const p = resources.user_pool;
    const pw = p.password_policy;
    const customAttributes: Record<string, cognito.ICustomAttribute> = {};
    for (const a of p.custom_attributes) {
      customAttributes[a.name] = new cognito.StringAttribute({ minLen: a.min_length, maxLen: a.max_length, mutable: a.mutable });
    }
    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: stage.prefix,
      // Accounts are created by invitation only (vendor admins and partner admins).
      selfSignUpEnabled: false,
      signInAliases: { email: p.username_attributes.includes('email') },
      autoVerify: { email: p.auto_verified_attributes.includes('email') },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      customAttributes,
      passwordPolicy: {
        minLength: pw.minimum_length,
        requireUppercase: pw.require_uppercase,
        requireLowercase: pw.require_lowercase,
        requireDigits: pw.require_numbers,
        requireSymbols: pw.require_symbols,
        tempPasswordValidity: Duration.days(pw.temporary_password_validity_days),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: stage.protectData,
      removalPolicy: stage.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const g of p.groups) {
      new cognito.CfnUserPoolGroup(this, `Group-${g.name}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: g.name,
        precedence: g.precedence,
        description: g.description,
      });
    }

    const standard = (names: string[]): cognito.StandardAttributesMask => ({
      email: names.includes('email'),
      emailVerified: names.includes('email_verified'),
      fullname: names.includes('name'),
    });
    const custom = (names: string[]) => names.filter((n) => n.startsWith('custom:')).map((n) => n.slice('custom:'.length));
    const c = p.client;
    let readAttributes = new cognito.ClientAttributes().withStandardAttributes(standard(c.read_attributes));
    const readCustom = custom(c.read_attributes);
    if (readCustom.length > 0) readAttributes = readAttributes.withCustomAttributes(...readCustom);
    // Only standard attributes are writable: the partner a user belongs to is set by the API alone.
    const writeAttributes = new cognito.ClientAttributes().withStandardAttributes(standard(c.write_attributes));

    const providers: cognito.UserPoolClientIdentityProvider[] = [cognito.UserPoolClientIdentityProvider.COGNITO];
    let provider: Construct | undefined;
    const f = stage.federation;
    if (f) {
      this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: f.domainPrefix } });
      const attributeMapping = { email: cognito.ProviderAttribute.other('email') };
      if (f.type === 'oidc') {
        if (!f.issuer || !f.clientId || !f.clientSecretName) {
          throw new Error('OIDC federation needs issuer, clientId and clientSecretName');
        }
        provider = new cognito.UserPoolIdentityProviderOidc(this, 'Oidc', {
          userPool: this.userPool,
          name: f.name,
          issuerUrl: f.issuer,
          clientId: f.clientId,
          // A dynamic reference: CloudFormation reads the secret at deploy time; it is not in the template.
          clientSecret: SecretValue.secretsManager(f.clientSecretName).unsafeUnwrap(),
          scopes: ['openid', 'email', 'profile'],
          attributeMapping,
        });
      } else {
        if (!f.metadataUrl) throw new Error('SAML federation needs metadataUrl');
        provider = new cognito.UserPoolIdentityProviderSaml(this, 'Saml', {
          userPool: this.userPool,
          name: f.name,
          metadata: cognito.UserPoolIdentityProviderSamlMetadata.url(f.metadataUrl),
          attributeMapping,
        });
      }
      providers.push(cognito.UserPoolClientIdentityProvider.custom(f.name));
    }

    this.client = this.userPool.addClient('Portal', {
      userPoolClientName: c.name,
      generateSecret: false,
      // The web portal signs in with USER_PASSWORD_AUTH over TLS to Cognito's own
      // endpoint (the password never reaches the API); SRP stays allowed for other clients.
      // The admin flows (ADMIN_USER_PASSWORD_AUTH) exist only in the local emulator.
      authFlows: {
        userSrp: c.explicit_auth_flows.includes('ALLOW_USER_SRP_AUTH'),
        userPassword: c.explicit_auth_flows.includes('ALLOW_USER_PASSWORD_AUTH'),
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      readAttributes,
      writeAttributes,
      idTokenValidity: Duration.minutes(c.id_token_validity_minutes),
      accessTokenValidity: Duration.minutes(c.id_token_validity_minutes),
      refreshTokenValidity: Duration.days(c.refresh_token_validity_days),
      supportedIdentityProviders: providers,
      oAuth: f
        ? {
            flows: { authorizationCodeGrant: true },
            scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
            callbackUrls: [`${stage.portalUrl}/auth/callback`],
            logoutUrls: [stage.portalUrl],
          }
        : undefined,
    });
    if (provider) this.client.node.addDependency(provider);
  }

  /** The issuer API Gateway's JWT authorizer checks. */
  issuer(region: string): string {
    return `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
