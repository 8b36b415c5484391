// tinymqtt/web's options.ca (in place of lib/tls-ca.ts in the web bundle):
// refused, since the browser does TLS with the certificates it trusts.
import { argError } from '../errors.js';

export function caText(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  throw argError(name, 'is not taken by tinymqtt/web: the browser (or runtime) does TLS, with its own trusted certificates');
}
