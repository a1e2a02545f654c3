"""Security: OAuth, CORS and Vault."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="OAuth",
        domain="security",
        tags=("oauth", "auth", "security"),
        lang="js",
        config_lang="json",
        nouns=(
            "refresh token",
            "PKCE flow",
            "JWT signature",
            "token audience",
            "session cookie",
            "clock skew",
        ),
        errors=(
            "invalid_grant: refresh token expired or revoked",
            "JsonWebTokenError: invalid signature",
            "TokenExpiredError: jwt expired",
            "redirect_uri_mismatch",
        ),
        howtos=(
            (
                "decode a JWT without verifying it",
                "echo $TOKEN | cut -d. -f2 | base64 -d 2>/dev/null | jq",
            ),
            ("fetch the signing keys", "curl -s https://auth.example.com/.well-known/jwks.json"),
            ("introspect a token", "curl -u $ID:$SECRET -d token=$TOKEN $ISSUER/oauth/introspect"),
            (
                "test the token endpoint",
                "curl -d grant_type=client_credentials -u $ID:$SECRET $ISSUER/oauth/token",
            ),
            ("check the token's audience", "jwt.verify(token, key, { audience: 'api' })"),
        ),
        settings=(
            ('"accessTokenTtl"', "900", "fifteen minutes; refresh handles the rest"),
            ('"clockTolerance"', "30", "servers drift a few seconds"),
            ('"sameSite"', '"lax"', "the session cookie survives the login redirect"),
        ),
        gotchas=(
            "a JWT payload is only base64, so anyone can read it",
            "accepting alg none lets anyone forge a token",
            "a refresh token stored in localStorage is readable by any injected script",
        ),
        code=(
            "const { payload } = await jwtVerify(token, JWKS, {\n"
            "  issuer: 'https://auth.example.com/',\n"
            "  audience: 'api',\n"
            "  clockTolerance: 30,\n"
            "});",
            "const verifier = base64url(crypto.randomBytes(32));\n"
            "const challenge = base64url(\n"
            "  crypto.createHash('sha256').update(verifier).digest(),\n"
            ");",
        ),
        alts=("server-side sessions", "API keys"),
    ),
    Tech(
        name="CORS",
        domain="security",
        tags=("cors", "browser", "security"),
        lang="js",
        config_lang="nginx",
        nouns=(
            "preflight request",
            "credentialed request",
            "allowed origin list",
            "Vary header",
            "third-party cookie",
            "exposed header",
        ),
        errors=(
            "Access to fetch at 'https://api.example.com' from origin 'https://app.example.com' "
            "has been blocked by CORS policy",
            "The value of the 'Access-Control-Allow-Origin' header must not be the wildcard '*' "
            "when the request's credentials mode is 'include'.",
            "Response to preflight request doesn't pass access control check: It does not have "
            "HTTP ok status.",
            "Origin https://app.example.com is not allowed by Access-Control-Allow-Origin.",
        ),
        howtos=(
            (
                "reproduce a preflight with curl",
                "curl -i -X OPTIONS -H 'Origin: https://app.example.com' "
                "-H 'Access-Control-Request-Method: PUT' $URL",
            ),
            ("send cookies cross-origin", "fetch(url, { credentials: 'include' })"),
            ("read a custom response header", "Access-Control-Expose-Headers: X-Request-Id"),
            ("cache the preflight", "Access-Control-Max-Age: 600"),
            (
                "check which CORS headers come back",
                "curl -sI -H 'Origin: https://app.example.com' $URL | grep -i access-control",
            ),
        ),
        settings=(
            ("Access-Control-Allow-Origin", "https://app.example.com", "never * with cookies"),
            ("Access-Control-Allow-Credentials", "true", "the app sends its session cookie"),
            ("Vary", "Origin", "caches keep one response per origin"),
        ),
        gotchas=(
            "Safari blocks third-party cookies, so a credentialed cross-site call loses the "
            "session",
            "a 500 without CORS headers shows up in the console as a CORS error",
            "CORS is enforced by the browser, so curl works while the page fails",
        ),
        code=(
            "app.use((req, res, next) => {\n"
            "  const origin = req.headers.origin;\n"
            "  if (ALLOWED.has(origin)) {\n"
            "    res.setHeader('Access-Control-Allow-Origin', origin);\n"
            "    res.setHeader('Access-Control-Allow-Credentials', 'true');\n"
            "    res.setHeader('Vary', 'Origin');\n"
            "  }\n"
            "  next();\n"
            "});",
            "const res = await fetch('https://api.example.com/me', {\n"
            "  credentials: 'include',\n"
            "  headers: { 'Content-Type': 'application/json' },\n"
            "});",
        ),
        alts=("a same-origin reverse proxy", "JSONP"),
    ),
    Tech(
        name="Vault",
        domain="security",
        tags=("vault", "secrets", "security"),
        lang="bash",
        config_lang="hcl",
        nouns=(
            "secret lease",
            "AppRole login",
            "KV v2 engine",
            "policy path",
            "dynamic database credential",
            "unseal key",
        ),
        errors=(
            "Code: 403. Errors: * permission denied",
            "Error making API request. Code: 503. Errors: * Vault is sealed",
            "lease not found or lease is not renewable",
            "error: missing client token",
        ),
        howtos=(
            ("read a KV v2 secret", "vault kv get -field=password secret/app/db"),
            ("check what a token may do", "vault token capabilities secret/data/app/db"),
            ("get short-lived DB credentials", "vault read database/creds/app-readonly"),
            ("renew a lease", "vault lease renew database/creds/app/abc123"),
            (
                "log in with AppRole",
                "vault write auth/approle/login role_id=$ROLE_ID secret_id=$SECRET_ID",
            ),
        ),
        settings=(
            ("default_lease_ttl", '"1h"', "credentials expire quickly"),
            ("max_lease_ttl", '"24h"', "a leaked credential dies within a day"),
            ("disable_mlock", "false", "secrets never hit swap"),
        ),
        gotchas=(
            "KV v2 paths need data/ in policies but not in the CLI",
            "a secret in an environment variable shows up in crash dumps and ps output",
            "a revoked parent token revokes every child token with it",
        ),
        code=(
            'path "secret/data/app/*" {\n'
            '  capabilities = ["read"]\n'
            "}\n\n"
            'path "database/creds/app-readonly" {\n'
            '  capabilities = ["read"]\n'
            "}",
            "export VAULT_ADDR=https://vault.internal:8200\n"
            "vault login -method=oidc\n"
            "vault kv put secret/app/api key=@api-key.txt",
        ),
        alts=("AWS Secrets Manager", "SOPS files in git"),
        code_langs=("hcl", "bash"),
    ),
)
