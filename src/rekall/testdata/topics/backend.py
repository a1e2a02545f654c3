"""Back-end web topics: Node.js, Django, FastAPI and nginx."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="Node.js",
        domain="web",
        tags=("nodejs", "javascript", "backend"),
        lang="js",
        config_lang="json",
        nouns=(
            "event loop",
            "worker thread",
            "stream pipeline",
            "ESM import",
            "child process",
            "unhandled rejection",
        ),
        errors=(
            "Error [ERR_REQUIRE_ESM]: require() of ES Module not supported.",
            "Error: listen EADDRINUSE: address already in use :::3000",
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "Error: ENOSPC: System limit for number of file watchers reached",
            "UnhandledPromiseRejection: This error originated either by throwing inside of an "
            "async function without a catch block",
        ),
        howtos=(
            ("find what holds the port", "lsof -i :3000"),
            ("raise the heap limit", "NODE_OPTIONS=--max-old-space-size=4096 npm run build"),
            ("profile CPU", "node --cpu-prof server.js"),
            (
                "pipe streams with error handling",
                "await pipeline(fs.createReadStream(src), zlib.createGzip(), out);",
            ),
            ("load .env without a package", "node --env-file=.env app.js"),
        ),
        settings=(
            ('"type"', '"module"', "every .js file is ESM; CommonJS files need .cjs"),
            ('"engines"', '{ "node": ">=20" }', "fails fast on old runtimes in CI"),
            ('"exports"', '"./dist/index.js"', "hides internal files from consumers"),
        ),
        gotchas=(
            "a synchronous JSON.parse of a big payload blocks every other request",
            "process.exit() drops log lines still buffered in stdout",
            "__dirname does not exist in ES modules",
        ),
        code=(
            "import { pipeline } from 'node:stream/promises';\n"
            "import { createReadStream, createWriteStream } from 'node:fs';\n"
            "import { createGzip } from 'node:zlib';\n\n"
            "await pipeline(\n"
            "  createReadStream('export.csv'),\n"
            "  createGzip(),\n"
            "  createWriteStream('export.csv.gz'),\n"
            ");",
            "process.on('SIGTERM', async () => {\n"
            "  server.close();\n"
            "  await db.end();\n"
            "  process.exitCode = 0;\n"
            "});",
        ),
        alts=("Deno", "Bun"),
    ),
    Tech(
        name="Django",
        domain="web",
        tags=("django", "python", "backend"),
        lang="python",
        config_lang="python",
        nouns=(
            "ORM queryset",
            "migration",
            "middleware",
            "admin",
            "signal handler",
            "template cache",
        ),
        errors=(
            "django.db.utils.OperationalError: no such column: orders_order.status",
            "django.core.exceptions.ImproperlyConfigured: Requested setting DEBUG, but settings "
            "are not configured.",
            "Forbidden (403) CSRF verification failed. Request aborted.",
            "django.db.migrations.exceptions.InconsistentMigrationHistory: Migration "
            "admin.0001_initial is applied before its dependency",
        ),
        howtos=(
            ("see the SQL of a queryset", "print(Order.objects.filter(paid=True).query)"),
            ("avoid N+1 queries", "Order.objects.select_related('customer')"),
            ("squash old migrations", "python manage.py squashmigrations orders 0042"),
            ("show unapplied migrations", "python manage.py showmigrations --plan"),
            ("run one test fast", "python manage.py test orders.tests.test_api --keepdb"),
        ),
        settings=(
            ("CONN_MAX_AGE", "60", "reuses database connections between requests"),
            ("CSRF_TRUSTED_ORIGINS", '["https://app.example.com"]', "needed behind HTTPS proxy"),
            ("DATA_UPLOAD_MAX_MEMORY_SIZE", "10 * 1024 * 1024", "rejects oversized form posts"),
        ),
        gotchas=(
            "a queryset in a template loop runs one query per row",
            "post_save signals do not fire on bulk_update",
            "USE_TZ=False stores naive datetimes that shift after a DST change",
        ),
        code=(
            "from django.db import transaction\n\n"
            "@transaction.atomic\n"
            "def pay(order_id: int) -> None:\n"
            "    order = Order.objects.select_for_update().get(pk=order_id)\n"
            "    order.mark_paid()\n"
            "    order.save(update_fields=['status', 'paid_at'])",
            "class Order(models.Model):\n"
            "    status = models.CharField(max_length=20, db_index=True)\n"
            "    created = models.DateTimeField(auto_now_add=True)\n\n"
            "    class Meta:\n"
            "        indexes = [models.Index(fields=['status', 'created'])]",
        ),
        alts=("Flask", "FastAPI"),
    ),
    Tech(
        name="FastAPI",
        domain="web",
        tags=("fastapi", "python", "api"),
        lang="python",
        config_lang="toml",
        nouns=(
            "dependency injection",
            "background task",
            "Pydantic model",
            "lifespan handler",
            "response model",
            "async endpoint",
        ),
        errors=(
            "422 Unprocessable Entity: value is not a valid integer",
            "RuntimeError: Event loop is closed",
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
            "RuntimeError: Task attached to a different loop",
        ),
        howtos=(
            ("run with auto-reload", "uvicorn app.main:app --reload --port 8000"),
            ("test an endpoint without a server", "client = TestClient(app)"),
            (
                "export the OpenAPI schema",
                "python -c 'import json,app.main as m; print(json.dumps(m.app.openapi()))'",
            ),
            ("run with several workers", "gunicorn -k uvicorn.workers.UvicornWorker -w 4 app:app"),
            ("check that the app imports cleanly", "python -c 'import app.main'"),
        ),
        settings=(
            ("workers", "4", "one per core; the app is I/O bound"),
            ("timeout-keep-alive", "5", "frees idle connections behind the load balancer"),
            ("root-path", '"/api"', "the proxy strips the prefix"),
        ),
        gotchas=(
            "a blocking call inside an async def endpoint stalls every request",
            "BackgroundTasks run in the same process and die with it",
            "a mutable default in a Pydantic model is shared between requests in v1",
        ),
        code=(
            "from contextlib import asynccontextmanager\n\n"
            "@asynccontextmanager\n"
            "async def lifespan(app: FastAPI):\n"
            "    app.state.pool = await create_pool(DSN)\n"
            "    yield\n"
            "    await app.state.pool.close()\n\n"
            "app = FastAPI(lifespan=lifespan)",
            "@app.get('/items/{item_id}', response_model=ItemOut)\n"
            "async def read_item(item_id: int, db: Session = Depends(get_db)) -> ItemOut:\n"
            "    item = await db.get(Item, item_id)\n"
            "    if item is None:\n"
            "        raise HTTPException(status_code=404, detail='not found')\n"
            "    return item",
        ),
        alts=("Flask", "Django REST Framework"),
    ),
    Tech(
        name="nginx",
        domain="web",
        tags=("nginx", "proxy", "http"),
        lang="nginx",
        config_lang="nginx",
        nouns=(
            "upstream block",
            "location match",
            "proxy buffer",
            "gzip config",
            "rate limit zone",
            "TLS server block",
        ),
        errors=(
            "502 Bad Gateway: upstream prematurely closed connection while reading response header",
            "413 Request Entity Too Large",
            "504 Gateway Time-out: upstream timed out (110: Connection timed out)",
            'nginx: [emerg] unknown directive "proxy_pas"',
        ),
        howtos=(
            ("test the config before reload", "sudo nginx -t && sudo systemctl reload nginx"),
            ("dump the effective config", "sudo nginx -T"),
            ("follow the error log", "sudo tail -f /var/log/nginx/error.log"),
            ("see which location matched", "add_header X-Location $uri always;"),
            ("count requests per status", "awk '{print $9}' access.log | sort | uniq -c"),
        ),
        settings=(
            ("client_max_body_size", "50m", "uploads of large CSV files"),
            ("proxy_read_timeout", "120s", "report endpoints take up to a minute"),
            ("keepalive_timeout", "65s", "longer than the load balancer's idle timeout"),
        ),
        gotchas=(
            "a trailing slash in proxy_pass changes how the URI is forwarded",
            "add_header in a location drops every add_header inherited from the server block",
            "if inside location is evil: most directives inside it do not do what they seem",
        ),
        code=(
            "upstream api {\n"
            "    server 127.0.0.1:8000;\n"
            "    keepalive 32;\n"
            "}\n\n"
            "location /api/ {\n"
            "    proxy_pass http://api/;\n"
            "    proxy_http_version 1.1;\n"
            '    proxy_set_header Connection "";\n'
            "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "}",
            "limit_req_zone $binary_remote_addr zone=login:10m rate=5r/m;\n\n"
            "location = /login {\n"
            "    limit_req zone=login burst=10 nodelay;\n"
            "    proxy_pass http://api;\n"
            "}",
        ),
        alts=("Caddy", "HAProxy"),
    ),
)
