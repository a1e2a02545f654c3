"""Networking: DNS, TLS, SSH and HTTP."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="DNS",
        domain="networking",
        tags=("dns", "networking"),
        lang="bash",
        config_lang="ini",
        nouns=(
            "TTL",
            "CNAME record",
            "resolver cache",
            "split-horizon zone",
            "search domain",
            "negative cache",
        ),
        errors=(
            "getaddrinfo ENOTFOUND api.internal",
            "Temporary failure in name resolution",
            "SERVFAIL from the upstream resolver",
            "dial tcp: lookup db.svc.cluster.local: i/o timeout",
        ),
        howtos=(
            ("query one name server directly", "dig @1.1.1.1 api.example.com +short"),
            ("trace the delegation", "dig +trace example.com"),
            ("see the resolver config", "resolvectl status"),
            ("check the remaining TTL", "dig api.example.com | grep -A1 'ANSWER SECTION'"),
            ("look up the mail servers", "dig example.com MX +short"),
        ),
        settings=(
            ("options ndots", "2", "fewer search-domain lookups in pods"),
            ("DNSStubListener", "no", "frees port 53 for the local resolver"),
            ("Cache", "yes", "systemd-resolved caches answers"),
        ),
        gotchas=(
            "a CNAME cannot live at the zone apex next to other records",
            "lowering the TTL only helps after the old TTL has expired everywhere",
            "ndots:5 in Kubernetes turns one lookup into several",
        ),
        code=(
            "for ns in 1.1.1.1 8.8.8.8 9.9.9.9; do\n"
            '  printf \'%s \' "$ns"; dig @"$ns" api.example.com +short\n'
            "done",
            "dig api.example.com A +noall +answer +ttlid",
        ),
        alts=("hosts file entries", "service discovery"),
    ),
    Tech(
        name="TLS",
        domain="networking",
        tags=("tls", "ssl", "security"),
        lang="bash",
        config_lang="nginx",
        nouns=(
            "certificate chain",
            "SNI",
            "cipher suite",
            "ACME renewal",
            "client certificate",
            "OCSP stapling",
        ),
        errors=(
            "SSL: CERTIFICATE_VERIFY_FAILED certificate verify failed: unable to get local "
            "issuer certificate",
            "x509: certificate signed by unknown authority",
            "ERR_CERT_DATE_INVALID",
            "tlsv1 alert protocol version",
        ),
        howtos=(
            (
                "show the chain a server sends",
                "openssl s_client -connect api.example.com:443 -servername api.example.com "
                "-showcerts",
            ),
            ("check the expiry date", "openssl x509 -in cert.pem -noout -enddate"),
            ("renew with certbot", "sudo certbot renew --dry-run"),
            ("test which protocols are offered", "nmap --script ssl-enum-ciphers -p 443 host"),
            ("make a local dev certificate", "mkcert localhost 127.0.0.1"),
        ),
        settings=(
            ("ssl_protocols", "TLSv1.2 TLSv1.3", "old clients are gone"),
            ("ssl_stapling", "on", "faster handshakes"),
            ("ssl_session_cache", "shared:SSL:10m", "session reuse across workers"),
        ),
        gotchas=(
            "serving only the leaf certificate works in browsers but fails in curl and Java",
            "a certificate for example.com does not cover www.example.com",
            "Python's requests uses certifi, not the system trust store",
        ),
        code=(
            "echo | openssl s_client -connect api.example.com:443 \\\n"
            "  -servername api.example.com 2>/dev/null \\\n"
            "  | openssl x509 -noout -subject -issuer -dates",
            "cat server.crt intermediate.crt > fullchain.pem\n"
            "openssl verify -CAfile root.pem -untrusted intermediate.crt server.crt",
        ),
        alts=("a managed load balancer certificate", "a service mesh"),
    ),
    Tech(
        name="SSH",
        domain="networking",
        tags=("ssh", "networking", "linux"),
        lang="bash",
        config_lang="ssh",
        nouns=(
            "agent forwarding",
            "jump host",
            "known_hosts entry",
            "port forward",
            "ControlMaster socket",
            "authorized key",
        ),
        errors=(
            "Permission denied (publickey).",
            "WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!",
            "client_loop: send disconnect: Broken pipe",
            "sign_and_send_pubkey: signing failed: agent refused operation",
        ),
        howtos=(
            ("connect through a bastion", "ssh -J bastion.example.com app1.internal"),
            ("forward a remote database port", "ssh -N -L 5433:localhost:5432 db1"),
            ("debug key negotiation", "ssh -vvv app1"),
            ("remove a stale host key", "ssh-keygen -R app1.internal"),
            ("copy a key to a server", "ssh-copy-id -i ~/.ssh/id_ed25519.pub deploy@app1"),
        ),
        settings=(
            ("ServerAliveInterval", "30", "keeps NAT mappings alive"),
            ("ControlPersist", "10m", "reuses one connection for many commands"),
            ("IdentitiesOnly", "yes", "offers just the configured key"),
        ),
        gotchas=(
            "an SSH session's child processes get SIGHUP when the connection drops",
            "a private key with loose permissions is silently ignored",
            "agent forwarding lets root on the remote host use your keys",
        ),
        code=(
            "Host bastion\n"
            "  HostName bastion.example.com\n"
            "  User deploy\n\n"
            "Host *.internal\n"
            "  ProxyJump bastion\n"
            "  IdentityFile ~/.ssh/id_ed25519\n"
            "  ServerAliveInterval 30",
            "ssh -f -N -M -S ~/.ssh/ctl-db -L 5433:localhost:5432 db1\n"
            "ssh -S ~/.ssh/ctl-db -O exit db1",
        ),
        alts=("a VPN", "SSM Session Manager"),
        code_langs=("ssh-config", "bash"),
    ),
    Tech(
        name="HTTP",
        domain="networking",
        tags=("http", "api", "networking"),
        lang="bash",
        config_lang="http",
        nouns=(
            "keep-alive connection",
            "cache header",
            "retry policy",
            "redirect chain",
            "chunked response",
            "idempotency key",
        ),
        errors=(
            "ECONNRESET socket hang up",
            "429 Too Many Requests",
            "net::ERR_TOO_MANY_REDIRECTS",
            "HTTP/1.1 431 Request Header Fields Too Large",
        ),
        howtos=(
            (
                "time each phase of a request",
                "curl -o /dev/null -s "
                "-w '%{time_connect} %{time_starttransfer} %{time_total}\\n' $URL",
            ),
            ("follow redirects and show them", "curl -sIL https://example.com"),
            ("send JSON", "curl -H 'Content-Type: application/json' -d @body.json $URL"),
            ("see only the response headers", "curl -sI https://example.com"),
            ("test behind a proxy", "curl -x http://proxy:3128 -v https://example.com"),
        ),
        settings=(
            ("Cache-Control", "public, max-age=31536000, immutable", "hashed static assets"),
            ("Retry-After", "30", "clients back off on 429 and 503"),
            ("Strict-Transport-Security", "max-age=63072000", "browsers stay on HTTPS"),
        ),
        gotchas=(
            "retrying a POST without an idempotency key can charge a customer twice",
            "a 301 redirect is cached by browsers almost forever",
            "an idle keep-alive connection closed by the server fails the next request",
        ),
        code=(
            "curl --retry 5 --retry-all-errors --retry-delay 2 \\\n"
            '  -H "Idempotency-Key: $(uuidgen)" \\\n'
            "  -d @payment.json https://api.example.com/payments",
            "curl -sS -D - -o /dev/null https://example.com/app.js | grep -i cache-control",
        ),
        alts=("gRPC", "WebSockets"),
    ),
)
