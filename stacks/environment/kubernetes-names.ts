// The syntax Kubernetes accepts for the names and labels herd hands it, as the API server checks
// them (k8s.io/apimachinery/pkg/util/validation/validation.go). No maintained npm package carries
// these rules, so the upstream expressions are restated here, each beside the name it has there.

/** dns1123LabelFmt, DNS1123LabelMaxLength = 63: node names, pool names, racks. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** dns1123SubdomainFmt, DNS1123SubdomainMaxLength = 253: label-key prefixes, the cluster DNS domain. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** qualifiedNameFmt, qualifiedNameMaxLength = 63: the name part of a label or taint key. */
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

export function isDns1123Label(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

export function isDns1123Subdomain(text: string): boolean {
  return text.length <= 253 && DNS1123_SUBDOMAIN.test(text);
}

/** Why a label or taint key is refused (IsQualifiedName), or undefined when Kubernetes accepts it. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'may hold at most one "/", between a DNS prefix and a name';
  const [prefix, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [undefined, parts[0]!];
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) {
    return `has the prefix "${prefix}", which must be a DNS subdomain such as example.com (lower-case letters, digits, "-" and ".", at most 253 characters)`;
  }
  if (name.length === 0) return 'needs a name after the prefix';
  if (name.length > 63) return `has a name of ${name.length} characters; at most 63 are allowed`;
  if (!QUALIFIED_NAME.test(name)) {
    return 'must be a name of letters, digits, "-", "_" and ".", starting and ending with a letter or digit, optionally after a DNS prefix and "/" (e.g. example.com/tier)';
  }
  return undefined;
}

/** Why a label or taint value is refused (IsValidLabelValue), or undefined when Kubernetes accepts it. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `is ${value.length} characters long; label values are at most 63`;
  if (value !== '' && !QUALIFIED_NAME.test(value)) {
    return 'must be empty or letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}
