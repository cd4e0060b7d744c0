// checkov reads suppressions from a resource's `Metadata.checkov.skip`; each
// one carries the reason it does not apply.
import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

export type Skip = [id: string, reason: string];

function cfnOf(scope: IConstruct): CfnResource {
  const child = scope instanceof CfnResource ? scope : scope.node.defaultChild;
  if (!(child instanceof CfnResource)) throw new Error(`${scope.node.path} has no CloudFormation resource`);
  return child;
}

export function skipChecks(scope: IConstruct, skips: Skip[]): void {
  const cfn = cfnOf(scope);
  const existing = (cfn.getMetadata('checkov') as { skip?: { id: string; comment: string }[] } | undefined)?.skip ?? [];
  cfn.addMetadata('checkov', { skip: [...existing, ...skips.map(([id, comment]) => ({ id, comment }))] });
}
