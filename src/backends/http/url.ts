/** The endpoint URL as it may appear in reports and messages: no credentials, no secret-looking query values. */

const SECRET_PARAM = /key|token|secret|password|passwd|auth|signature|sig$|credential/i;

export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (url.username) url.username = '***';
  if (url.password) url.password = '***';
  for (const name of [...new Set(url.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}
