/* A real OpenID Connect provider for the tests: panva's oidc-provider (OpenID Certified),
 * on a loopback port, with its development sign-in pages (any login, any password).
 *
 *   node provider.mjs CONFIG.json
 *
 * CONFIG names the port, the API's audience (a resource indicator), the Explorer's public
 * client (its redirect and post-logout URIs) and the people who can sign in: the login
 * they type, their display name, the id of their Person node and their groups. Access
 * tokens are JWTs for the audience, carrying `person_id` and `groups` as an organisation's
 * provider would be configured to add them. The script prints "ready <issuer>" once it
 * listens, and stops when its standard input closes (the test process ended).
 */

import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const people = config.people;

// A fresh signing key for every run: the API learns it from the published JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.clientId,
    client_name: 'Maestro Graph Explorer',
    token_endpoint_auth_method: 'none', // a public client: PKCE instead of a secret
    redirect_uris: config.redirectUris,
    post_logout_redirect_uris: config.redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-cookie-signing-key'] },
  scopes: ['openid', 'profile', 'offline_access', 'read', 'write', 'admin'],
  claims: { openid: ['sub'], profile: ['name'] },
  ttl: { AccessToken: config.accessTokenSeconds || 300, IdToken: 300 },
  async findAccount(ctx, id) {
    const person = people[id];
    if (!person) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, name: person.name }) };
  },
  // Refresh tokens for the Explorer (a public client allowed the grant), for silent renewal.
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // The claims an organisation's provider adds to access tokens for this API.
  async extraTokenClaims(ctx, token) {
    const person = people[token.accountId];
    if (!person) return undefined;
    return { person_id: person.personId, groups: person.groups };
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => config.audience,
      useGrantedResource: async () => true,
      async getResourceServerInfo(ctx, resource) {
        // The API's audience, and others' (a token for another API must be refused by this one).
        if (resource !== config.audience && !(config.otherAudiences || []).includes(resource)) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'read write admin',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: config.accessTokenSeconds || 300,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});

process.stdin.resume();
process.stdin.on('end', () => process.exit(0)); // nothing to keep: every grant lives in memory
