/**
 * Repository name and tag rules: distribution's reference grammar
 * (github.com/distribution/reference regexp.go), with ECR's 256-character cap.
 */
const component = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const nameRe = new RegExp(`^${component}(?:/${component})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;

export const MAX_NAME_LENGTH = 256;

export function isValidRepositoryName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_NAME_LENGTH && nameRe.test(name);
}

export function isValidTag(tag: string): boolean {
  return tagRe.test(tag);
}
