"""Programming languages: Python, Go, Rust, Java and Bash."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="Python",
        domain="languages",
        tags=("python", "backend"),
        lang="python",
        config_lang="toml",
        nouns=("virtualenv", "asyncio task", "import path", "dataclass", "GIL", "logging handler"),
        errors=(
            "ModuleNotFoundError: No module named 'app'",
            "RuntimeError: dictionary changed size during iteration",
            "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0",
            "RecursionError: maximum recursion depth exceeded",
            "TypeError: can't compare offset-naive and offset-aware datetimes",
        ),
        howtos=(
            ("profile a script", "python -m cProfile -s cumtime script.py | head -30"),
            (
                "see where a package is imported from",
                "python -c 'import yaml; print(yaml.__file__)'",
            ),
            ("write a file atomically", "os.replace(tmp_path, final_path)"),
            ("run a module with the debugger", "python -m pdb -m app.cli sync"),
            ("find what allocates memory", "python -X tracemalloc=25 app.py"),
        ),
        settings=(
            ("requires-python", '">=3.10"', "pip refuses old interpreters"),
            ("tool.ruff.line-length", "100", "same as the formatter"),
            ("tool.pytest.ini_options.filterwarnings", '["error"]', "warnings fail tests"),
        ),
        gotchas=(
            "a mutable default argument is shared between calls",
            "closures in a loop capture the variable, not its value at that iteration",
            "datetime.utcnow() returns a naive datetime",
        ),
        code=(
            "import os\nimport tempfile\n\n"
            "def write_atomic(path: str, data: bytes) -> None:\n"
            "    directory = os.path.dirname(path) or '.'\n"
            "    with tempfile.NamedTemporaryFile(dir=directory, delete=False) as tmp:\n"
            "        tmp.write(data)\n"
            "        tmp.flush()\n"
            "        os.fsync(tmp.fileno())\n"
            "    os.replace(tmp.name, path)",
            "import asyncio\n\n"
            "async def fetch_all(urls: list[str]) -> list[bytes]:\n"
            "    sem = asyncio.Semaphore(10)\n\n"
            "    async def one(url: str) -> bytes:\n"
            "        async with sem:\n"
            "            return await fetch(url)\n\n"
            "    return await asyncio.gather(*(one(u) for u in urls))",
        ),
        alts=("Go", "Node.js"),
    ),
    Tech(
        name="Go",
        domain="languages",
        tags=("go", "golang", "backend"),
        lang="go",
        config_lang="toml",
        nouns=(
            "goroutine",
            "context cancellation",
            "interface nil check",
            "go module",
            "channel close",
            "HTTP client",
        ),
        errors=(
            "fatal error: all goroutines are asleep - deadlock!",
            "panic: assignment to entry in nil map",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "go: inconsistent vendoring",
            "fatal error: concurrent map writes",
        ),
        howtos=(
            ("run tests with the race detector", "go test -race ./..."),
            ("find which module pulls a dependency", "go mod why -m golang.org/x/net"),
            ("profile a running service", "go tool pprof http://localhost:6060/debug/pprof/heap"),
            ("build a static Linux binary", "CGO_ENABLED=0 GOOS=linux go build -o app ."),
            ("tidy go.mod", "go mod tidy"),
        ),
        settings=(
            ("GOFLAGS", "-mod=readonly", "CI fails if go.mod is out of date"),
            ("GOPRIVATE", "github.com/acme/*", "private modules skip the proxy"),
            ("GOMAXPROCS", "2", "matches the container CPU limit"),
        ),
        gotchas=(
            "an interface holding a nil pointer is not equal to nil",
            "the default http.Client has no timeout",
            "a loop variable captured by a goroutine was shared before Go 1.22",
        ),
        code=(
            "ctx, cancel := context.WithTimeout(ctx, 5*time.Second)\n"
            "defer cancel()\n\n"
            "req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)\n"
            "if err != nil {\n"
            "\treturn err\n"
            "}\n"
            "resp, err := client.Do(req)",
            "g, ctx := errgroup.WithContext(ctx)\n"
            "for _, id := range ids {\n"
            "\tg.Go(func() error {\n"
            "\t\treturn sync(ctx, id)\n"
            "\t})\n"
            "}\n"
            "if err := g.Wait(); err != nil {\n"
            "\treturn err\n"
            "}",
        ),
        alts=("Rust", "Java"),
    ),
    Tech(
        name="Rust",
        domain="languages",
        tags=("rust", "cargo"),
        lang="rust",
        config_lang="toml",
        nouns=(
            "borrow checker",
            "lifetime annotation",
            "async runtime",
            "trait object",
            "cargo feature",
            "Arc<Mutex>",
        ),
        errors=(
            "error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable",
            "error[E0382]: borrow of moved value: `config`",
            "error[E0277]: `Rc<RefCell<State>>` cannot be sent between threads safely",
            "thread 'main' panicked at 'called `Option::unwrap()` on a `None` value'",
        ),
        howtos=(
            ("see the expanded macro", "cargo expand --lib parser"),
            ("find why a crate is included", "cargo tree -i openssl"),
            ("speed up incremental builds", "cargo build --timings"),
            ("run clippy as in CI", "cargo clippy --all-targets -- -D warnings"),
            ("check for vulnerable crates", "cargo audit"),
        ),
        settings=(
            ("profile.release.lto", '"thin"', "smaller binary, modest build time"),
            ("profile.dev.opt-level", "1", "tests run much faster"),
            ("workspace.resolver", '"2"', "features no longer leak between targets"),
        ),
        gotchas=(
            "holding a std Mutex guard across an .await can deadlock the runtime",
            "integer overflow panics in debug builds but wraps in release",
            "a blocking call inside a tokio task starves the other tasks",
        ),
        code=(
            "use std::sync::Arc;\n"
            "use tokio::sync::Mutex;\n\n"
            "let state = Arc::new(Mutex::new(Vec::new()));\n"
            "let handle = {\n"
            "    let state = Arc::clone(&state);\n"
            "    tokio::spawn(async move { state.lock().await.push(1) })\n"
            "};\n"
            "handle.await?;",
            "#[derive(Debug, thiserror::Error)]\n"
            "pub enum SyncError {\n"
            '    #[error("http: {0}")]\n'
            "    Http(#[from] reqwest::Error),\n"
            '    #[error("record {0} not found")]\n'
            "    NotFound(u64),\n"
            "}",
        ),
        alts=("Go", "C++"),
    ),
    Tech(
        name="Java",
        domain="languages",
        tags=("java", "jvm", "backend"),
        lang="java",
        config_lang="yaml",
        nouns=(
            "garbage collector",
            "thread pool",
            "Spring bean",
            "JDBC connection pool",
            "Maven dependency",
            "Optional",
        ),
        errors=(
            "java.lang.OutOfMemoryError: Java heap space",
            "java.util.ConcurrentModificationException",
            "org.springframework.beans.factory.UnsatisfiedDependencyException: Error creating "
            "bean with name 'orderService'",
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not "
            "available, request timed out after 30000ms.",
        ),
        howtos=(
            ("take a heap dump", "jcmd 4242 GC.heap_dump /tmp/heap.hprof"),
            ("print thread stacks", "jstack 4242 > threads.txt"),
            ("see the dependency tree", "mvn dependency:tree -Dincludes=com.fasterxml.jackson*"),
            ("watch GC activity", "jstat -gcutil 4242 1000"),
            ("run one test class", "./gradlew test --tests 'OrderServiceTest'"),
        ),
        settings=(
            ("spring.datasource.hikari.maximum-pool-size", "20", "matches the DB limits"),
            ("server.shutdown", "graceful", "in-flight requests finish on deploy"),
            ("management.endpoints.web.exposure.include", "health,prometheus", "no env dump"),
        ),
        gotchas=(
            "Arrays.asList returns a fixed-size list that throws on add",
            "comparing Integer objects with == works only for small values",
            "a @Transactional method called from the same class skips the proxy",
        ),
        code=(
            "try (var conn = dataSource.getConnection();\n"
            '     var stmt = conn.prepareStatement("SELECT id FROM orders WHERE status = ?")) {\n'
            '    stmt.setString(1, "open");\n'
            "    try (var rs = stmt.executeQuery()) {\n"
            "        while (rs.next()) ids.add(rs.getLong(1));\n"
            "    }\n"
            "}",
            "ExecutorService pool = Executors.newFixedThreadPool(8);\n"
            "List<Future<Result>> futures = pool.invokeAll(tasks, 30, TimeUnit.SECONDS);\n"
            "pool.shutdown();",
        ),
        alts=("Kotlin", "Go"),
    ),
    Tech(
        name="Bash",
        domain="languages",
        tags=("bash", "shell", "linux"),
        lang="bash",
        config_lang="bash",
        nouns=(
            "trap handler",
            "here-doc",
            "word splitting",
            "exit status",
            "subshell",
            "background job",
        ),
        errors=(
            "bash: ./deploy.sh: /bin/bash^M: bad interpreter: No such file or directory",
            "bash: /usr/bin/rm: Argument list too long",
            "unbound variable",
            "syntax error near unexpected token `fi'",
        ),
        howtos=(
            ("keep a job running after logout", "nohup ./sync.sh > sync.log 2>&1 &"),
            ("fail on the first error", "set -euo pipefail"),
            ("loop over files with spaces", "find . -name '*.log' -print0 | xargs -0 gzip"),
            ("retry a command", "for i in 1 2 3; do curl -fsS $URL && break; sleep 5; done"),
            ("time each command of a script", "PS4='+ $(date +%s.%N) ' bash -x script.sh"),
        ),
        settings=(
            ("HISTSIZE", "100000", "long shell history"),
            ("HISTCONTROL", "ignoreboth", "no duplicates or space-prefixed lines"),
            ("shopt -s", "globstar", "** matches nested folders"),
        ),
        gotchas=(
            "set -e does not stop the script when a command fails inside a pipeline",
            "an unquoted variable with spaces is split into several arguments",
            "cd in a subshell does not change the directory of the parent",
        ),
        code=(
            "#!/usr/bin/env bash\n"
            "set -euo pipefail\n\n"
            "tmp=$(mktemp -d)\n"
            "trap 'rm -rf \"$tmp\"' EXIT\n\n"
            'curl -fsSL "$URL" -o "$tmp/archive.tar.gz"\n'
            'tar -xzf "$tmp/archive.tar.gz" -C "$tmp"',
            "while IFS= read -r line; do\n  printf '%s\\n' \"${line%%,*}\"\ndone < users.csv",
        ),
        alts=("Python", "Make"),
    ),
)
